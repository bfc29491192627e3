/**
 * The checks' quick paths find exactly what the slow ones do: the YAML subset proof
 * (yaml-fast.ts), the secret prefilter (secret-prefilter.ts) and the check workers
 * (check-pool.ts), on seeded corpora with syntax errors and planted secrets of every kind.
 */
import fs from 'node:fs'
import path from 'node:path'
import { parseAllDocuments } from 'yaml'
import { afterAll, describe, expect, it } from 'vitest'
import { candidateFolder, removeCandidateFolders } from './candidate-folder.test-support.js'
import { DirStore } from '../dir-store.js'
import { checkSettings, type ChecksConfig } from './check-settings.js'
import { runChecks, useCheckWorkers, type CheckCandidate, type CheckWorkers, type FileChecks } from './run-checks.js'
import { checkSecrets, secretRuleIds } from './secret-check.js'
import { maySecretlintReport, RULE_TRIGGERS } from './secret-prefilter.js'
import { prng, SECRET_MAKERS, seededCorpus, yamlNearSubset } from './seeded-corpus.test-support.js'
import { checkYaml } from './yaml-check.js'
import { surelyValidYaml } from './yaml-fast.js'

afterAll(removeCandidateFolders)

function project(contents: Record<string, string | Buffer>) {
  const { dir, candidates } = candidateFolder(contents, 'syncdesk-fast-')
  const read = async (rel: string) => fs.readFileSync(path.join(dir, ...rel.split('/')))
  return { dir, candidates, read }
}

/** What a run found, in a form to compare. */
const shape = (c: FileChecks) => ({ found: [...c.found.entries()].sort(), unchecked: [...c.unchecked.entries()].sort(), warnings: c.warnings })

function yamlErrors(text: string): number {
  const docs = parseAllDocuments(text, { prettyErrors: false })
  return (Array.isArray(docs) ? docs : [docs]).reduce((n, d) => n + d.errors.length, 0)
}

const WORKER = path.resolve('dist/check-worker.cjs')

describe('the YAML subset proof', () => {
  it('accepts only texts that yaml parses without an error (seeded, in and around the subset)', () => {
    const r = prng(20261201)
    let accepted = 0
    let valid = 0
    for (let n = 0; n < 2500; n++) {
      const text = yamlNearSubset(r)
      const errors = yamlErrors(text)
      if (errors === 0) valid++
      if (!surelyValidYaml(text)) continue
      accepted++
      expect(errors, JSON.stringify(text)).toBe(0)
    }
    // The proof covers a good share of the valid texts, or it would prove little.
    expect(accepted).toBeGreaterThan(valid / 4)
  })

  it('accepts only valid texts among random lines of YAML pieces (seeded)', () => {
    const r = prng(7)
    const lines = ['', '# c', 'a: 1', 'b:', '  - x', '- y', '  c: d', 'e: |', '  text', '    more', 'f: "q"', "g: 'it''s'", 'h: x # c', '---', '...', 'k: [a]', 'k: []', 'x', '  y z', ':', 'a: b: c', '\tt: 1', 'a: 1', '  - k: v', '    l: w', 'm: >-', '%YAML 1.2', 'n: -', 'o: @x', 'p: ~', 'q: https://x.y/z']
    let accepted = 0
    for (let n = 0; n < 20000; n++) {
      const text = Array.from({ length: 1 + r.int(7) }, () => r.pick(lines)).join('\n')
      if (!surelyValidYaml(text)) continue
      accepted++
      expect(yamlErrors(text), JSON.stringify(text)).toBe(0)
    }
    expect(accepted).toBeGreaterThan(1000)
  })

  it('proves typical configuration files valid, and the benchmark tree’s files', () => {
    const agent = 'name: planner\nmodel: gpt-4\ntemperature: 0.2\ntools:\n  - search\n  - name: mail\n    retries: 3\nprompt: |\n  You plan.\n\n  Be brief: always.\nlabels: {}\n# end\n'
    const k8s = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app.kubernetes.io/name: web\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: web\n        image: "nginx:1.25"\n        ports:\n        - containerPort: 80\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n'
    const bench = '# services/agents/agent_1/config_secret_42.yaml\n# generated file 42\nder invoice payment\n    customer_order_invoice agent\n        select from where\nschema table\n'
    for (const t of [agent, k8s, bench, k8s.replace(/\n/g, '\r\n')]) {
      expect(surelyValidYaml(t)).toBe(true)
      expect(yamlErrors(t)).toBe(0)
    }
    for (const t of ['a: 1\na: 2\n', 'a:\n  b: 1\n c: 2\n', 'x: "open\n', 'a: b: c\n', 'k: *alias\n', 'True: 1\ntrue: 2\n']) expect(surelyValidYaml(t)).toBe(false)
  })

  it('gives the same problems as the full parser on broken and valid texts', () => {
    const r = prng(99)
    for (let n = 0; n < 600; n++) {
      const text = yamlNearSubset(r)
      expect(checkYaml(text), JSON.stringify(text)).toEqual(checkYaml(text, 1, { fast: false }))
    }
  })
})

describe('the secret prefilter', () => {
  it('knows every rule of the recommended preset, and no other', async () => {
    expect(Object.keys(RULE_TRIGGERS).sort()).toEqual([...(await secretRuleIds())].sort())
  })

  it('lets through every planted secret, in every place (seeded)', async () => {
    const ids = await secretRuleIds()
    const r = prng(11)
    for (const [name, make] of Object.entries(SECRET_MAKERS)) {
      for (let k = 0; k < 20; k++) {
        const secret = make(r)
        const text = `${'x: filler\n'.repeat(r.int(3))}${r.pick(['', 'key: ', '"k": "', '# ', 'A=', 'é '])}${secret}${r.pick(['', '\n', '"', ' # c', 'é'])}`
        const ext = r.pick(['.yml', '.json', '.env', '.toml'])
        const found = await checkSecrets(text, `f${ext}`, new Set(), { prefilter: false })
        if (found.length) expect(maySecretlintReport(text, ext, ids), `${name}: ${JSON.stringify(text)}`).toBe(true)
      }
    }
  })

  it('stops files that hold no trigger, and lets a rule turned off go', async () => {
    const ids = await secretRuleIds()
    expect(maySecretlintReport('name: agent\nmodel: gpt-4\nsecret: the word alone\n', '.yml', ids)).toBe(false)
    expect(maySecretlintReport('token: ghp_x\n', '.yml', ids)).toBe(true)
    expect(maySecretlintReport('token: ghp_x\n', '.yml', ids.filter((i) => !i.endsWith('-github')))).toBe(false)
    expect(maySecretlintReport('see https://example.com/docs\n', '.yml', ids)).toBe(false)
    expect(maySecretlintReport('db: postgres://app:pw12@db/app\n', '.yml', ids)).toBe(true)
    expect(maySecretlintReport('{"private_key_id": "x"}', '.json', ids)).toBe(true)
    expect(maySecretlintReport('{"private_key_id": "x"}', '.yml', ids)).toBe(false)
    expect(maySecretlintReport('anything', '.p12', ids)).toBe(true)
    // A rule the table does not know: everything is linted.
    expect(maySecretlintReport('plain text', '.yml', [...ids, '@secretlint/secretlint-rule-new'])).toBe(true)
  })
})

describe('the quick paths of a run', () => {
  const settingsCases: (ChecksConfig | undefined)[] = [undefined, { off: ['github', 'basicauth'] }, { secrets: ['*'], syntax: { '.md': 'markdown-frontmatter' } }]

  it('find the same problems as the slow paths on a seeded corpus (syntax errors, planted secrets)', async () => {
    const corpus = seededCorpus(424242, 500)
    corpus['docs/guide.md'] = `---\ntitle: Guide\ntoken: ${SECRET_MAKERS.githubClassic!(prng(1))}\n---\n# Guide\n`
    corpus['bin/blob.env'] = Buffer.from([0x41, 0x00, 0x42, 0xff]).toString('latin1')
    const p = project(corpus)
    for (const config of settingsCases) {
      const settings = checkSettings(config)
      const slow = await runChecks(p.candidates, { settings, read: p.read, cacheFile: null, fastPaths: false, workers: false })
      const fast = await runChecks(p.candidates, { settings, read: p.read, cacheFile: null, workers: false })
      expect(shape(fast)).toEqual(shape(slow))
      if (config === undefined) {
        const problems = [...slow.found.values()].flat()
        const rules = new Set(problems.map((x) => x.rule))
        // The corpus plants what the brief names, and syntax errors of both kinds.
        for (const id of Object.keys(RULE_TRIGGERS).filter((i) => !i.endsWith('-filter-comments'))) expect(rules, id).toContain(id)
        expect(rules).toContain('yaml')
        expect(rules).toContain('json')
        expect(problems.length).toBeGreaterThan(200)
      }
    }
  })

  it.skipIf(!fs.existsSync(WORKER))('find the same on check workers as on this thread, and a worker that fails changes nothing', async () => {
    const p = project(seededCorpus(777, 400))
    const settings = checkSettings(undefined)
    const here = await runChecks(p.candidates, { settings, read: p.read, cacheFile: null, workers: false })
    const workers: CheckWorkers = { script: WORKER, count: 2, minFiles: 0, minBytes: 0, minWorkMs: 0 }
    const pooled = await runChecks(p.candidates, { settings, read: p.read, cacheFile: null, workers })
    expect(shape(pooled)).toEqual(shape(here))
    const slowPooled = await runChecks(p.candidates, { settings, read: p.read, cacheFile: null, workers, fastPaths: false })
    expect(shape(slowPooled)).toEqual(shape(here))
    const broken = path.join(p.dir, 'broken-worker.cjs')
    fs.writeFileSync(broken, 'throw new Error("no")\n')
    const fallback = await runChecks(p.candidates, { settings, read: p.read, cacheFile: null, workers: { ...workers, script: broken } })
    expect(shape(fallback)).toEqual(shape(here))
  })

  it('starts workers only for a large batch of slow contents, where the bundle is built', () => {
    expect(useCheckWorkers(3, 3000, 5, {}, WORKER)).toBe(false)
    expect(useCheckWorkers(150, 10_000_000, 5, {}, WORKER)).toBe(false)
    // The benchmark's first push: 2,400 YAML files the quick paths check in ~0.04 ms each.
    expect(useCheckWorkers(2400, 9_500_000, 0.04, {}, WORKER)).toBe(false)
    expect(useCheckWorkers(2400, 9_500_000, null, {}, WORKER)).toBe(false)
    expect(useCheckWorkers(2400, 9_500_000, 0.5, {}, WORKER)).toBe(true)
    expect(useCheckWorkers(2400, 9_500_000, 0.5, {}, null)).toBe(false)
  })

  it.skipIf(!fs.existsSync(WORKER))('workers that read the files themselves find the same, and a file that cannot be read is said so', async () => {
    const corpus = seededCorpus(5150, 200)
    const p = project(corpus)
    const settings = checkSettings(undefined)
    const gone = p.candidates.find((c) => c.path.endsWith('.json')) as CheckCandidate
    fs.rmSync(path.join(p.dir, ...gone.path.split('/')))
    const store = new DirStore(p.dir)
    const read = (rel: string) => store.read(rel)
    const here = await runChecks(p.candidates, { settings, read, cacheFile: null, workers: false })
    const pooled = await runChecks(p.candidates, { settings, read, cacheFile: null, readRoot: p.dir, workers: { script: WORKER, count: 2, minFiles: 0, minBytes: 0, minWorkMs: 0 } })
    expect(shape(pooled)).toEqual(shape(here))
    expect(here.unchecked.get(gone.path)).toMatch(/^could not be read/)
  })
})
