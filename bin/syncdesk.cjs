#!/usr/bin/env node
'use strict'
// File transfers run on libuv's thread pool; the default of 4 threads leaves the disk idle.
process.env.UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE || '32'
const path = require('node:path')
const fs = require('node:fs')
const entry = path.join(__dirname, '..', 'dist', 'cli.cjs')
if (!fs.existsSync(entry)) {
  process.stderr.write('syncdesk is not built yet: run "npm install" (or "npm run build") in ' + path.dirname(__dirname) + '\n')
  process.exit(1)
}
// The command names the code cache (bin/cached-require.cjs); the project folder is skipped.
const args = process.argv.slice(2)
const command = args.find((a, i) => /^[a-z][a-z-]*$/.test(a) && !/^--(local-)?project-dir$/.test(args[i - 1] ?? '')) ?? 'none'
const { cachedRequire } = require('./cached-require.cjs')
const runAll = () => cachedRequire(entry, command)
// A status may be answered by the host that keeps the project live, without the whole CLI
// (src-main/cli/quick-status-command.ts); when it cannot be, nothing was printed.
const quick = path.join(__dirname, '..', 'dist', 'quick-status.cjs')
if ((command === 'status' || command === 'sync-status') && fs.existsSync(quick)) {
  cachedRequire(quick, 'status')
    .runQuickStatus(args)
    .then((code) => (code === null ? runAll() : (process.exitCode = code)), runAll)
} else {
  runAll()
}
