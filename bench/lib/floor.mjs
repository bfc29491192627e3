// The floor from DESIGN.md: a plain Node walk + stat of a tree, and walk + read + sha256.
// Usage: node bench/lib/floor.mjs stat|hash DIR  → prints the file count.
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'

const [mode, root] = process.argv.slice(2)
let n = 0
const walk = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue
    const abs = path.join(dir, e.name)
    if (e.isDirectory()) walk(abs)
    else if (e.isFile()) {
      fs.statSync(abs)
      if (mode === 'hash') crypto.createHash('sha256').update(fs.readFileSync(abs)).digest()
      n++
    }
  }
}
walk(root)
process.stdout.write(`${n}\n`)
