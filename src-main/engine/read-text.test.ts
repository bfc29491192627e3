import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readTextFile } from './read-text.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-read-text-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('readTextFile', () => {
  it.each([
    ['ASCII', '{"paths":["a/b.md"],"n":1}'],
    ['accents, composed and decomposed', '{"paths":["caf\u00e9.md","cafe\u0301.md"]}'],
    ['characters outside the BMP', '{"name":"\u{1F680} launch"}'],
    ['an empty file', ''],
  ])('reads %s as UTF-8 does', (_what, text) => {
    const file = path.join(dir, 'f.json')
    fs.writeFileSync(file, text, 'utf8')
    expect(readTextFile(file)).toBe(fs.readFileSync(file, 'utf8'))
    expect(readTextFile(file)).toBe(text)
  })

  it('reads bytes that are not UTF-8 as UTF-8 does (replacement characters)', () => {
    const file = path.join(dir, 'bad.json')
    fs.writeFileSync(file, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))
    expect(readTextFile(file)).toBe(fs.readFileSync(file, 'utf8'))
  })
})
