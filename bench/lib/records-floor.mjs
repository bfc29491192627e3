// A floor for the records push: a plain Node process reads the agents of the SQLite file
// (better-sqlite3) and writes them into an empty PostgreSQL table with the `pg` package, in one
// durable transaction. Two ways:
//   savepoint  one INSERT per row, each in its own savepoint (how a per-record outcome is kept)
//   bulk       one INSERT … SELECT FROM jsonb_to_recordset($1) for all rows
// Usage: node bench/lib/records-floor.mjs savepoint|bulk SQLITE_FILE POSTGRES_URL
// Prints the seconds spent from opening the SQLite file to COMMIT (the table is emptied first, untimed).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const Database = require('better-sqlite3')
const pg = require('pg')

const [mode, file, url] = process.argv.slice(2)
const client = new pg.Client({ connectionString: url })
await client.connect()
await client.query('TRUNCATE agents')
const t0 = process.hrtime.bigint()
const db = new Database(file, { readonly: true })
const rows = db.prepare('SELECT id, name, config, enabled, score, updated_at FROM agents ORDER BY id').all()
db.close()
await client.query('BEGIN')
if (mode === 'bulk') {
  const doc = rows.map((r) => ({ ...r, config: r.config == null ? null : JSON.parse(r.config), enabled: r.enabled == null ? null : !!r.enabled }))
  await client.query(
    'INSERT INTO agents (id, name, config, enabled, score, updated_at) SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id integer, name text, config jsonb, enabled boolean, score double precision, updated_at timestamptz) ON CONFLICT (id) DO NOTHING',
    [JSON.stringify(doc)],
  )
} else {
  const ins = 'INSERT INTO agents (id, name, config, enabled, score, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING'
  for (const r of rows) {
    await client.query('SAVEPOINT r')
    await client.query(ins, [r.id, r.name, r.config, r.enabled == null ? null : !!r.enabled, r.score, r.updated_at])
    await client.query('RELEASE SAVEPOINT r')
  }
}
await client.query('COMMIT')
const seconds = Number(process.hrtime.bigint() - t0) / 1e9
const { rows: [{ n }] } = await client.query('SELECT count(*)::int AS n FROM agents')
await client.end()
process.stdout.write(`${seconds} ${n}\n`)
