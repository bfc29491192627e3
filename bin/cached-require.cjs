'use strict'
/**
 * Loads one of the bundles in dist/ with V8's code cache, so that every start after the
 * first skips compiling the bundle's JavaScript again (measured on the 2.9 MB CLI bundle: a
 * third of a bare `syncdesk --version`).
 *
 * Node 22.1 and later do this themselves (`module.enableCompileCache`), and then that is used.
 * Node 20 has no such switch, so here the bundle is compiled through `vm.Script` with the
 * cached data of the previous start, exactly as Node's own loader would wrap it; the cache is
 * written once, after a run, when there was none or V8 refused it.
 *
 * The cache is only ever an optimisation: it lives in the user's cache folder, is named after
 * the bundle's size and mtime and the Node version (V8 itself checks the rest), is written
 * to a temp file and renamed, and any failure to read or write it is ignored.
 */
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const vm = require('node:vm')
const Module = require('node:module')
const { isAscii } = require('node:buffer')

/** The folder for the caches, or null when there is no usable home. */
function cacheDir() {
  if (process.env.SYNCDESK_CODE_CACHE === 'off') return null
  const base = process.env.XDG_CACHE_HOME || (os.homedir() ? path.join(os.homedir(), '.cache') : '')
  return base ? path.join(base, 'syncdesk', 'code-cache') : null
}

/**
 * Requires `entry` (an absolute path to a CommonJS bundle) with a code cache. `flavor` names
 * the kind of run (the CLI's command): each kind has its own cache, since V8 caches the
 * functions a run compiled, and `status` compiles others than `--version`.
 */
function cachedRequire(entry, flavor = 'main') {
  const dir = cacheDir()
  if (dir && typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache(dir)
    return require(entry)
  }
  if (!dir) return require(entry)
  let source
  let cacheFile
  try {
    const st = fs.statSync(entry)
    // The bundles are ASCII (scripts/build.mjs): copied as Latin-1 at memory speed, where
    // Node 20 decodes UTF-8 at a few hundred MB/s (15 ms of every start for the CLI).
    const bytes = fs.readFileSync(entry)
    source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8')
    const tag = `${path.basename(entry)}-${flavor}-${process.version}-${process.arch}-${st.size}-${Math.trunc(st.mtimeMs * 1000)}`
    cacheFile = path.join(dir, tag.replace(/[^\w.-]/g, '_') + '.v8')
  } catch {
    return require(entry)
  }
  let cachedData
  try {
    cachedData = fs.readFileSync(cacheFile)
  } catch {
    cachedData = undefined
  }
  // The bundles hold no import() (scripts/build.mjs): a script from vm.Script has no loader for one.
  const script = new vm.Script(Module.wrap(source), { filename: entry, cachedData })
  if (cachedData === undefined || script.cachedDataRejected) process.once('exit', () => writeCache(script, dir, cacheFile))
  const mod = new Module(entry, module)
  mod.filename = entry
  mod.paths = Module._nodeModulePaths(path.dirname(entry))
  Module._cache[entry] = mod
  const wrapper = script.runInThisContext({ displayErrors: true })
  const req = Module.createRequire(entry)
  wrapper.call(mod.exports, mod.exports, req, mod, entry, path.dirname(entry))
  mod.loaded = true
  return mod.exports
}

function writeCache(script, dir, cacheFile) {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    // Caches of other builds of the same bundle and kind of run are of no more use.
    const mine = path.basename(cacheFile)
    const kind = mine.split('-').slice(0, 2).join('-') + '-'
    for (const old of fs.readdirSync(dir)) {
      if (old.startsWith(kind) && old !== mine) fs.rmSync(path.join(dir, old), { force: true })
    }
    const tmp = `${cacheFile}.${process.pid}.tmp`
    fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 })
    fs.renameSync(tmp, cacheFile)
  } catch {
    // The cache is an optimisation only.
  }
}

module.exports = { cachedRequire }
