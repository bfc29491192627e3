import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { prng } from '../../test/helpers.js'
import { mergeText, splitLines } from './text-merge.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-merge-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** `git merge-file -p local base remote`: the merged text and whether it conflicted. */
function gitMerge(base: string, local: string, remote: string): { clean: boolean; merged: string } {
  const [b, l, r] = ['base', 'local', 'remote'].map((n) => path.join(dir, n)) as [string, string, string]
  fs.writeFileSync(b, base)
  fs.writeFileSync(l, local)
  fs.writeFileSync(r, remote)
  const out = spawnSync('git', ['merge-file', '-p', l, b, r], { encoding: 'utf8' })
  return { clean: out.status === 0, merged: out.stdout }
}

/** Random edits of some lines: replace, delete or insert, each line with its newline. */
function edit(lines: string[], rand: () => number, tag: string): string[] {
  const out: string[] = []
  for (const line of lines) {
    const r = rand()
    if (r < 0.08) out.push(`${tag} ${Math.floor(rand() * 1000)}\n`)
    else if (r < 0.12) continue
    else if (r < 0.16) out.push(line, `${tag} added ${Math.floor(rand() * 1000)}\n`)
    else out.push(line)
  }
  return out
}

describe('mergeText', () => {
  const seed = Number(process.env.SYNCDESK_SEED ?? 4711)
  it(`agrees with git merge-file on 300 seeded random cases (SYNCDESK_SEED=${seed})`, () => {
    const rand = prng(seed)
    let clean = 0
    let conflicted = 0
    for (let k = 0; k < 300; k++) {
      const base = Array.from({ length: 5 + Math.floor(rand() * 30) }, (_, i) => `line ${i} ${Math.floor(rand() * 5)}\n`)
      const local = edit(base, rand, 'mine')
      const remote = rand() < 0.1 ? [...local] : edit(base, rand, 'theirs')
      const git = gitMerge(base.join(''), local.join(''), remote.join(''))
      const ours = mergeText(Buffer.from(base.join('')), Buffer.from(local.join('')), Buffer.from(remote.join('')))
      expect(ours, `case ${k}`).not.toBeNull()
      expect(ours?.clean, `case ${k}: clean?`).toBe(git.clean)
      if (ours?.clean) {
        clean++
        expect(ours.merged.toString('utf8'), `case ${k}`).toBe(git.merged)
      } else conflicted++
    }
    // The cases were not vacuous: both outcomes occurred often.
    expect(clean).toBeGreaterThan(30)
    expect(conflicted).toBeGreaterThan(30)
  })

  it('keeps CRLF lines and a missing final newline as each side had them', () => {
    const base = 'one\r\ntwo\r\nthree\r\nfour\r\nfive'
    const local = 'ONE\r\ntwo\r\nthree\r\nfour\r\nfive'
    const remote = 'one\r\ntwo\r\nthree\r\nfour\r\nFIVE'
    const m = mergeText(Buffer.from(base), Buffer.from(local), Buffer.from(remote))
    expect(m).toMatchObject({ clean: true })
    expect(m?.clean && m.merged.toString()).toBe('ONE\r\ntwo\r\nthree\r\nfour\r\nFIVE')
    expect(m?.clean && m.merged.toString()).toBe(gitMerge(base, local, remote).merged)
  })

  it('identical edits are no conflict; overlapping edits are, with hunks; binary is never merged', () => {
    const base = 'a\nb\nc\n'
    expect(mergeText(Buffer.from(base), Buffer.from('a\nX\nc\n'), Buffer.from('a\nX\nc\n'))).toMatchObject({ clean: true })
    const conflict = mergeText(Buffer.from(base), Buffer.from('a\nX\nc\n'), Buffer.from('a\nY\nc\n'))
    expect(conflict).toEqual({ clean: false, hunks: [{ baseLine: 1, base: ['b\n'], local: ['X\n'], remote: ['Y\n'] }] })
    expect(mergeText(Buffer.from(base), Buffer.from('a\0b'), Buffer.from(base))).toBeNull()
    expect(splitLines('x\r\ny\nz')).toEqual(['x\r\n', 'y\n', 'z'])
  })
})
