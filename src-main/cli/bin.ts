/** The `syncdesk` executable: runs the CLI and sets the exit code. */
import { main } from './main.js'

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
})
void main(process.argv).then((code) => {
  process.exitCode = code
})
