// Deterministic database records for the records rows: a local SQLite project database with
// the synced tables (agents with N rows of ~300 bytes, empty skills and contexts) and the
// same tables in PostgreSQL types, plus a digest to check that PostgreSQL got every row.
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { createRequire } from 'node:module'
import { prng } from './tree.mjs'

const require = createRequire(import.meta.url)

export const TABLES = ['agents', 'skills', 'contexts']
export const SQLITE_DDL = TABLES.map((t) => `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT, config JSON, enabled BOOLEAN, score REAL, updated_at TIMESTAMP);`).join('\n')
export const PG_DDL = TABLES.map((t) => `CREATE TABLE ${t} (id integer PRIMARY KEY, name text, config jsonb, enabled boolean, score double precision, updated_at timestamptz);`).join('\n')

const MODELS = ['gpt-4o-mini', 'claude-3-5-sonnet', 'llama-3.1-70b', 'mistral-large', 'gemini-1.5-pro']
const TOOLS = ['search', 'sql', 'http', 'python', 'email', 'calendar', 'files', 'vector_store']
const WORDS = 'customer order invoice payment pipeline loader transformer schema metric session account region feature score label forecast summary escalation refund onboarding'.split(' ')

/** `n` agent rows, as SQLite takes them (JSON as text, booleans 0/1, timestamps ISO 8601 UTC). */
export function makeAgents(n, seed = 20_000) {
  const rnd = prng(seed)
  const words = (k) => Array.from({ length: k }, () => rnd.pick(WORDS)).join(' ')
  const rows = []
  const t0 = Date.UTC(2025, 0, 1)
  for (let i = 1; i <= n; i++) {
    const config = {
      model: rnd.pick(MODELS),
      temperature: Math.round(rnd.next() * 100) / 100,
      max_tokens: 256 * (1 + rnd.int(16)),
      tools: [rnd.pick(TOOLS), rnd.pick(TOOLS)],
      prompt: `You handle ${words(3)} requests. Be concise; escalate ${words(2)} issues to a human.`,
      retry: { attempts: 1 + rnd.int(5), backoff_ms: 100 * (1 + rnd.int(20)) },
    }
    rows.push({
      id: i,
      name: `agent_${String(i).padStart(5, '0')} ${words(2)}`,
      config: JSON.stringify(config),
      enabled: rnd.next() < 0.8 ? 1 : 0,
      score: Math.round(rnd.next() * 1e6) / 1e4,
      updated_at: new Date(t0 + rnd.int(300 * 86_400) * 1000 + rnd.int(1000)).toISOString(),
    })
  }
  return rows
}

/** Average bytes per row (sum of the column values as text). */
export const rowBytes = (rows) => rows.reduce((s, r) => s + String(r.id).length + r.name.length + r.config.length + 1 + String(r.score).length + r.updated_at.length, 0) / rows.length

/** Creates the SQLite file with the three tables and the given agents. */
export function writeSqlite(file, agents) {
  const Database = require('better-sqlite3')
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const db = new Database(file)
  try {
    db.pragma('journal_mode = WAL')
    db.exec(SQLITE_DDL)
    const ins = db.prepare('INSERT INTO agents (id, name, config, enabled, score, updated_at) VALUES (@id, @name, @config, @enabled, @score, @updated_at)')
    db.transaction((rows) => { for (const r of rows) ins.run(r) })(agents)
  } finally {
    db.close()
  }
}

/**
 * One line per row over columns whose text form PostgreSQL and JavaScript agree on
 * (id, name, enabled, config->>'model', config->'retry'->>'attempts', updated_at in ms); the SQL
 * below computes
 * the same text in PostgreSQL. Both are hashed with md5.
 */
export function digestOf(agents) {
  const lines = agents.map((r) => {
    const c = JSON.parse(r.config)
    return `${r.id}|${r.name}|${r.enabled ? 't' : 'f'}|${c.model}|${c.retry.attempts}|${new Date(r.updated_at).getTime()}`
  })
  return crypto.createHash('md5').update(lines.join('\n')).digest('hex')
}
export const PG_DIGEST_SQL = "SELECT count(*) || ' ' || coalesce(md5(string_agg(id || '|' || name || '|' || CASE WHEN enabled THEN 't' ELSE 'f' END || '|' || (config->>'model') || '|' || (config->'retry'->>'attempts') || '|' || (extract(epoch FROM updated_at) * 1000)::bigint, E'\\n' ORDER BY id)), '') FROM agents"
