import { describe, expect, it } from 'vitest'
import { createFilter, pathPassesFilter } from './filter.js'

describe('createFilter', () => {
  it('syncs the default types and skips hidden folders, __pycache__ and node_modules', () => {
    const f = createFilter()
    expect(pathPassesFilter(f, 'pipelines/etl/clean.py')).toBe(true)
    expect(pathPassesFilter(f, 'README.MD')).toBe(true)
    expect(pathPassesFilter(f, 'model.R')).toBe(true)
    expect(pathPassesFilter(f, 'image.png')).toBe(false)
    expect(pathPassesFilter(f, 'Makefile')).toBe(false)
    expect(pathPassesFilter(f, '.git/config.yml')).toBe(false)
    expect(pathPassesFilter(f, 'a/.venv/x.py')).toBe(false)
    expect(pathPassesFilter(f, 'a/__pycache__/x.py')).toBe(false)
    expect(pathPassesFilter(f, 'node_modules/x/readme.md')).toBe(false)
  })

  it('adds extensions and honours gitignore rules', () => {
    const f = createFilter({ extraExtensions: ['json', '.CSV'], ignoreRules: 'drafts/\n*.tmp.md\n!keep.tmp.md\n' })
    expect(pathPassesFilter(f, 'data/x.json')).toBe(true)
    expect(pathPassesFilter(f, 'data/x.csv')).toBe(true)
    expect(pathPassesFilter(f, 'drafts/a.md')).toBe(false)
    expect(pathPassesFilter(f, 'notes/a.tmp.md')).toBe(false)
    expect(pathPassesFilter(f, 'notes/keep.tmp.md')).toBe(true)
  })
})
