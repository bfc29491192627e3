/**
 * The layers of STYLE.md hold: lint refuses an import across the wrong line, for each folder.
 * Each probe is linted as if it were a file of that folder (nothing is written).
 */
import path from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'
import { REPO } from './helpers.js'

const eslint = new ESLint({ cwd: REPO })

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO, file) })
  return (result?.messages ?? []).filter((m) => m.ruleId === 'local/layers').map((m) => m.message)
}

describe('the layers', () => {
  it.each([
    ['src-main/engine/_probe.ts', "import { main } from '../cli/main.js'"],
    ['src-main/engine/_probe.ts', "import { KeytarCredentialStore } from '../secrets/keytar-store.js'"],
    ['src-main/engine/_probe.ts', "import { ServerRemote } from '../remotes/server-remote.js'"],
    ['src-main/engine/_probe.ts', "import { SyncHost } from '../host/sync-host.js'"],
    ['src-main/remotes/_probe.ts', "import { SyncHost } from '../host/sync-host.js'"],
    ['src-main/host/_probe.ts', "import { main } from '../cli/main.js'"],
    ['src-main/host/_probe.ts', "import { app } from 'electron'"],
    ['src-main/cli/_probe.ts', "import { DirStore } from '../engine/dir-store.js'"],
    ['src-main/cli/_probe.ts', "export { openRemote } from '../host/../remotes/server-remote.js'"],
    ['src-main/web/_probe.ts', "const m = await import('../engine/sync-engine.js')"],
    ['src-main/web/_probe.ts', "import { app } from 'electron'"],
    ['src-server/_probe.ts', "import { ServerRemote } from '../src-main/remotes/server-remote.js'"],
    ['src-server/_probe.ts', "import { SyncHost } from '../src-main/host/sync-host.js'"],
    ['src-shared/_probe.ts', "import fs from 'node:fs'"],
    ['src-shared/_probe.ts', "import { z } from 'zod'\nimport React from 'react'"],
    ['src-shared/_probe.ts', "import { Project } from '../src-main/engine/project.js'"],
    ['src-renderer/_probe.ts', "import path from 'path'"],
    ['src-renderer/_probe.ts', "import { SyncHost } from '../src-main/host/sync-host.js'"],
    ['src-renderer/_probe.ts', "import { ipcRenderer } from 'electron'"],
  ])('%s: %s is refused', async (file, code) => {
    expect(await problems(file, code)).not.toEqual([])
  })

  it.each([
    ['src-main/engine/_probe.ts', "import fs from 'node:fs'\nimport { SyncDeskError } from '../../src-shared/errors.js'"],
    ['src-main/host/_probe.ts', "import { ServerRemote } from '../remotes/server-remote.js'\nimport { KeytarCredentialStore } from '../secrets/keytar-store.js'"],
    ['src-main/cli/_probe.ts', "import { SyncHost } from '../host/sync-host.js'\nimport { Command } from 'commander'"],
    ['src-main/electron/_probe.ts', "import { app } from 'electron'\nimport type { HostPort } from '../host/host-api.js'"],
    ['src-renderer/_probe.ts', "import type { Requests } from '../src-shared/ipc.js'"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await problems(file, code)).toEqual([])
  })
})
