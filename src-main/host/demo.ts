/**
 * The demo a new user lands in: a sample project (agent YAML, skills, content, a pipeline) with
 * a SQLite database of `agents`, `skills` and `contexts`, and an environment "staging" that
 * already differs a little, so that every category shows at once: a local edit, a post written
 * in the cloud, a file both sides changed, a record edited here, one added in the cloud, and a
 * record both sides changed in different fields (a field-level merge to approve).
 *
 * The environment's files and database live in a folder beside the project. The CLI's demo
 * uses that folder directly; the app serves it with an embedded environment server on
 * 127.0.0.1 (embedded-server.ts), deploys included.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { writeFileAtomic } from '../engine/atomic.js'
import { initProject } from '../engine/project.js'
import { runDirection } from '../engine/sync-engine.js'
import { FolderRemote } from '../remotes/folder-remote.js'

const FILES: Record<string, string> = {
  'services/agents/support-agent.yml': 'name: support-agent\nmodel: standard\ninstructions: |\n  Answer customer questions politely.\nskills:\n  - refunds\n  - shipping\n',
  'services/agents/research-agent.yml': 'name: research-agent\nmodel: large\ninstructions: |\n  Summarise sources with citations.\n',
  'services/skills/refunds/config.yml': 'id: refunds\nenabled: true\nmax_amount: 200\n',
  'services/skills/refunds/index.md': '# Refunds\n\nHow the agent handles refund requests.\n',
  'services/content/blog/welcome.md': '# Welcome\n\nOur first post.\n',
  'services/web/theme.yaml': 'primary: "#2b6cb0"\nfont: Inter\n',
  'pipelines/customer_etl/transformers/clean_names.py': 'def transform(df):\n    return df.assign(name=df.name.str.strip())\n',
  'pipelines/customer_etl/load.sql': 'SELECT id, name FROM customers;\n',
}

const TABLES = ['agents', 'skills', 'contexts'].map((t) => `CREATE TABLE IF NOT EXISTS ${t} (id INTEGER PRIMARY KEY, name TEXT, model TEXT, enabled BOOLEAN, notes TEXT);`).join('\n')

const ROWS: Record<string, [number, string, string | null, number, string][]> = {
  agents: [
    [1, 'support-agent', 'standard', 1, 'First line of support'],
    [2, 'research-agent', 'large', 1, 'Finds and summarises sources'],
    [3, 'billing-agent', 'standard', 0, 'Answers invoice questions'],
  ],
  skills: [
    [1, 'refunds', null, 1, 'Up to 200 without approval'],
    [2, 'shipping', null, 1, 'Tracks parcels'],
  ],
  contexts: [
    [1, 'tone-of-voice', null, 1, 'Friendly, brief, no jargon'],
    [2, 'escalation', null, 1, 'Hand over to a person after two failed answers'],
  ],
}

/** The demo's environment. */
export const DEMO_ENV = 'staging'

/** The database file of the demo's environment, where its environment server finds it. */
export const DEMO_ENV_DATABASE = path.join('.syncdesk-server', 'database.sqlite')

/** Makes (once) a demo project and its environment folder under `root`. */
export async function createDemo(root: string): Promise<{ projectDir: string; envDir: string }> {
  const projectDir = path.join(root, 'project')
  const envDir = path.join(root, 'environment-staging')
  const fresh = !fs.existsSync(path.join(projectDir, '.syncdesk', 'config.json'))
  const { project } = await initProject(projectDir)
  if (!fresh) return { projectDir, envDir }

  // Both sides start equal and in sync, as after a clone…
  fs.mkdirSync(envDir, { recursive: true })
  for (const [p, text] of Object.entries(FILES)) {
    await writeFileAtomic(path.join(envDir, p), text)
    await writeFileAtomic(path.join(projectDir, p), text)
  }
  const localDb = path.join(projectDir, 'app.sqlite')
  const envDb = path.join(envDir, DEMO_ENV_DATABASE)
  for (const file of [localDb, envDb]) seedDatabase(file)
  project.config.environments[DEMO_ENV] = { kind: 'folder', path: envDir }
  project.config.database = { kind: 'sqlite', path: 'app.sqlite' }
  await project.save()
  const remote = FolderRemote.forProject(project, DEMO_ENV, envDir)
  try {
    await runDirection(project, remote, { direction: 'sync' })
  } finally {
    await remote.close()
  }

  // …then each side moves on.
  const edit = async (dir: string, p: string, from: string, to: string) => writeFileAtomic(path.join(dir, p), (FILES[p] as string).replace(from, to))
  await edit(projectDir, 'services/web/theme.yaml', 'Inter', 'Source Sans')
  await writeFileAtomic(path.join(envDir, 'services/content/blog/launch.md'), '# Launch\n\nWritten in the cloud.\n')
  await edit(projectDir, 'services/agents/support-agent.yml', 'politely', 'politely and briefly')
  await edit(envDir, 'services/agents/support-agent.yml', 'politely', 'politely, in the customer’s language')
  run(localDb, "UPDATE contexts SET notes = 'Friendly and brief; say sorry once' WHERE id = 1")
  run(envDb, "INSERT INTO skills (id, name, model, enabled, notes) VALUES (3, 'returns', NULL, 1, 'Labels for free returns')")
  run(localDb, "UPDATE agents SET model = 'large' WHERE id = 3")
  run(envDb, "UPDATE agents SET enabled = 1 WHERE id = 3")
  run(localDb, "UPDATE agents SET notes = 'First line of support, weekdays' WHERE id = 1")
  run(envDb, "UPDATE agents SET notes = 'First line of support, all week' WHERE id = 1")
  return { projectDir, envDir }
}

function seedDatabase(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const db = new Database(file)
  try {
    db.exec(TABLES)
    for (const [table, rows] of Object.entries(ROWS)) {
      const ins = db.prepare(`INSERT OR REPLACE INTO ${table} (id, name, model, enabled, notes) VALUES (?, ?, ?, ?, ?)`)
      for (const r of rows) ins.run(...r)
    }
  } finally {
    db.close()
  }
}

function run(file: string, statement: string): void {
  const db = new Database(file)
  try {
    db.exec(statement)
  } finally {
    db.close()
  }
}
