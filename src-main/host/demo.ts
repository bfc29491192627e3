/**
 * A demo project with an embedded local environment, for a first look without any setup.
 */
import fs from 'node:fs'
import path from 'node:path'
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

/** The demo's embedded environment: a local folder standing in for the cloud. */
export const DEMO_ENV = 'staging'

/** Makes (once) a demo project and its environment folder under `root`. */
export async function createDemo(root: string): Promise<{ projectDir: string; envDir: string }> {
  const projectDir = path.join(root, 'project')
  const envDir = path.join(root, 'environment-staging')
  const fresh = !fs.existsSync(path.join(projectDir, '.syncdesk', 'config.json'))
  const { project } = await initProject(projectDir)
  if (fresh) {
    // Both sides start equal and in sync, as after a clone…
    fs.mkdirSync(envDir, { recursive: true })
    for (const [p, text] of Object.entries(FILES)) {
      await writeFileAtomic(path.join(envDir, p), text)
      await writeFileAtomic(path.join(projectDir, p), text)
    }
    project.config.environments[DEMO_ENV] = { kind: 'folder', path: envDir }
    await project.save()
    const remote = new FolderRemote(DEMO_ENV, envDir, { cacheFile: project.cacheFile(DEMO_ENV) })
    try {
      await runDirection(project, remote, { direction: 'sync' })
    } finally {
      await remote.close()
    }
    // …then each side moves on: an edit of the operator's own, a post written in the cloud,
    // and an agent both changed (a conflict to look at).
    const edit = async (root: string, p: string, from: string, to: string) => writeFileAtomic(path.join(root, p), (FILES[p] as string).replace(from, to))
    await edit(projectDir, 'services/web/theme.yaml', 'Inter', 'Source Sans')
    await writeFileAtomic(path.join(envDir, 'services/content/blog/launch.md'), '# Launch\n\nWritten in the cloud.\n')
    await edit(projectDir, 'services/agents/support-agent.yml', 'politely', 'politely and briefly')
    await edit(envDir, 'services/agents/support-agent.yml', 'politely', 'politely, in the customer’s language')
  }
  return { projectDir, envDir }
}
