/**
 * `syncdesk mcp`: the sync engine as MCP tools for AI assistants, over stdio.
 *
 * The tool names are the ones our users' assistants already know (sync_status, sync_files,
 * sync_database, sync_all, sync_project_to_local, sync_local_to_remote). Each is a thin call
 * into the same engine as the CLI. A tool never resolves a conflict on its own: conflicts
 * are reported, and only the items named in `overwrite_conflicts` are overwritten. Files the
 * checks found problems in (syntax, secrets) are held back from a protected environment unless
 * named in `allow_problems`, and listed in `checks` (positions and plain words, never a secret).
 *
 * A tool's text is read by an assistant and often shown to a person, and names in it may come
 * from a hostile environment: the summary and errors are escaped as the CLI escapes them, and
 * the JSON after the summary is written with \uNNNN escapes for every control, bidirectional or
 * separator character (it parses back to the same data). structuredContent holds the raw names,
 * the ones to pass back in `overwrite_conflicts`.
 */
import path from 'node:path'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { z } from 'zod'
import { CATEGORIES, type Direction, type SyncScope } from '../../src-shared/sync-types.js'
import { displayJson, displayName, displayText } from '../../src-shared/display-text.js'
import { SyncDeskError, describeError } from '../../src-shared/errors.js'
import type { DeploymentInfo, Project, RunReport } from '../host/engine-types.js'
import type { SyncHost } from '../host/sync-host.js'
import { mcpHint } from './error-words.js'
import { tablesJson } from './format.js'

export interface McpOptions {
  /** The project used when a tool call names none. */
  projectDir: string
  /** The operations layer every tool calls. */
  host: SyncHost
}

type ToolResult = { content: { type: 'text'; text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean }

/** A tool's answer: the summary (its names already escaped), then the data as safe JSON. */
function ok(summary: string, data: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text: `${summary}\n\n${displayJson(data, 2)}` }], structuredContent: data }
}

function fail(err: unknown): ToolResult {
  const hint = err instanceof SyncDeskError ? mcpHint(err) : undefined
  const message = err instanceof SyncDeskError ? `${err.message}${hint ? ` ${hint}` : ''}` : `Unexpected error: ${describeError(err)}`
  return { content: [{ type: 'text', text: displayText(message) }], isError: true }
}

const common = {
  env: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/).optional().describe('The environment (optional when the project has only one).'),
  project_dir: z.string().min(1).optional().describe('The local project directory (default: the one syncdesk mcp was started for).'),
}
const runArgs = {
  ...common,
  dry_run: z.boolean().optional().describe('Only report what would change.'),
  overwrite_conflicts: z
    .array(z.string().min(1))
    .optional()
    .describe('Conflicting items (paths, or table/key for records) to overwrite in this direction. Conflicts not named here are reported and left as they are.'),
  allow_mass_delete: z.boolean().optional().describe('Go on past the mass-delete guard.'),
  confirm_env: z
    .string()
    .optional()
    .describe('A protected environment (production) is changed only when this is its name, as the user typed or said it: ask the user first.'),
  merge_conflicts: z
    .array(z.string().min(1))
    .optional()
    .describe('Conflicting items to merge: a text file whose two sides changed different lines, or a record whose sides changed different fields. The merge is written to both sides; a conflict without a clean merge is reported and left.'),
  allow_problems: z
    .array(z.string().min(1))
    .optional()
    .describe('Files to push to a protected environment although the checks found problems in them (a YAML or JSON syntax error, what looks like a secret). Without it such files are held back and listed in checks: ask the user first.'),
  create_tables: z
    .boolean()
    .optional()
    .describe("Create the synced tables one side lacks (a push: in the environment; a pull or clone: locally) from the other side's definition, then carry their records in the same call. A dry run lists each table with its CREATE TABLE statement; without this, such tables are left out and named."),
}
const direction = z.enum(['push', 'pull']).describe('push: local → environment; pull: environment → local.')

/** Builds the MCP server with the six sync tools. */
export function createMcpServer(opts: McpOptions): McpServer {
  const server = new McpServer({ name: 'syncdesk', version: '0.1.0' })

  const { host } = opts
  // The project is found from a subfolder, as every command finds it.
  const projectFor = (dir?: string) => host.openProject(path.resolve(opts.projectDir, dir ?? '.'), { findUp: true })
  const envFor = (project: Project, env?: string): string => {
    try {
      return host.environmentName(project, env)
    } catch (err) {
      if (err instanceof SyncDeskError && err.details?.envRequired) {
        const names = (err.details.known as string[]) ?? []
        throw new SyncDeskError('usage', names.length ? `Name the environment (env): one of ${names.join(', ')}.` : 'This project has no environments yet.')
      }
      throw err
    }
  }

  const run = async (
    args: { env?: string; project_dir?: string; dry_run?: boolean; overwrite_conflicts?: string[]; merge_conflicts?: string[]; allow_mass_delete?: boolean; confirm_env?: string; allow_problems?: string[]; create_tables?: boolean },
    dir: Direction,
    scope: SyncScope,
    deploy = false,
  ): Promise<ToolResult> => {
    try {
      const project = projectFor(args.project_dir)
      const env = envFor(project, args.env)
      // Only the named conflicts are overwritten, in the call's direction; the rest stay.
      const handle = await host.plan(project, env, dir, { scope, overwriteItems: new Set(args.overwrite_conflicts ?? []), holdLock: !args.dry_run })
      let report: RunReport
      try {
        // Naming a conflict in overwrite_conflicts is the confirmation this face asks for.
        const resolutions = args.merge_conflicts?.length ? new Map(args.merge_conflicts.map((label) => [label, 'merge' as const])) : undefined
        // Naming conflicts confirms replacing them; a protected environment needs its name from the user.
        const createTables = !!args.create_tables
        const needed = host.confirmNameFor(handle, resolutions, createTables)
        const isProtected = !!project.config.environments[env]?.protected
        const confirmName = needed !== null && !isProtected ? needed : args.confirm_env
        const allowProblems = args.allow_problems?.length ? new Set(args.allow_problems) : undefined
        report = args.dry_run ? host.dryRunReport(handle, resolutions, allowProblems) : await host.apply(handle.id, { resolutions, allowMassDelete: args.allow_mass_delete, confirmName, allowProblems, createTables })
      } finally {
        await host.discard(handle.id)
      }
      let deployment: DeploymentInfo | null = null
      const failedItems = report.result?.problems.length ?? 0
      if (deploy && dir === 'push' && !args.dry_run) {
        if (failedItems > 0) throw new SyncDeskError('remote-error', `The push left ${failedItems} items undone, so ${env} was not deployed.`)
        deployment = await host.deploy(project, env)
      }
      const data = runSummary(report, deployment)
      const summary = `${report.dryRun ? 'Dry run: would' : 'Did'} ${dir} with ${displayName(env)}: ${report.plan.actions.length} items${report.plan.conflictsLeft.length ? `; ${report.plan.conflictsLeft.length} conflicts reported, not resolved` : ''}${deployment ? `; deployment ${displayText(String(deployment.state))}` : ''}.${tablesSummary(report, env)}${checksSummary(report, env)}`
      const failed = (deployment && deployment.state === 'failed') || report.errors.length > 0 || failedItems > 0
      return failed ? { ...ok(summary, data), isError: true } : ok(summary, data)
    } catch (err) {
      return fail(err)
    }
  }

  server.registerTool(
    'sync_status',
    {
      description: 'What changed where between the local project and an environment: remote_to_local, local_to_remote, conflicts, in_sync; with the last sync time, pending counts and the deployment state.',
      inputSchema: { ...common, scope: z.enum(['files', 'records', 'all']).optional() },
    },
    async (args) => {
      try {
        const project = projectFor(args.project_dir)
        const env = envFor(project, args.env)
        const { report, info } = await host.status(project, env, { scope: args.scope, withInfo: true })
        const counts = Object.fromEntries(CATEGORIES.map((c) => [c, report.status[c].length]))
        const pending: Record<string, unknown> = {}
        for (const c of ['remote_to_local', 'local_to_remote', 'conflicts'] as const) pending[c] = report.status[c].map(entryJson)
        const data = {
          env,
          last_sync: report.lastSyncAt,
          counts,
          ...pending,
          deployment: info?.deployment ?? null,
          last_push: info?.lastPush ?? null,
          last_pull: info?.lastPull ?? null,
          warnings: report.warnings,
        }
        return ok(`${displayName(env)}: ${counts.remote_to_local} to pull, ${counts.local_to_remote} to push, ${counts.conflicts} conflicts, ${counts.in_sync} in sync.`, data)
      } catch (err) {
        return fail(err)
      }
    },
  )

  server.registerTool(
    'sync_files',
    { description: 'Push or pull files (agent YAML, skill configs, content, pipelines). Conflicts are reported, never overwritten unless named in overwrite_conflicts.', inputSchema: { ...runArgs, direction } },
    (args) => run(args, args.direction, 'files'),
  )
  server.registerTool(
    'sync_database',
    { description: 'Push or pull database records (agents, skills, contexts). Conflicts are reported with the fields that differ.', inputSchema: { ...runArgs, direction } },
    (args) => run(args, args.direction, 'records'),
  )
  server.registerTool(
    'sync_all',
    {
      description: 'Push or pull files and database records; with deploy (push only), ask the environment to deploy afterwards and wait for the outcome.',
      inputSchema: { ...runArgs, direction, deploy: z.boolean().optional().describe('After a successful push, deploy the environment and wait for it.') },
    },
    (args) => run(args, args.direction, 'all', args.deploy ?? false),
  )
  server.registerTool(
    'sync_local_to_remote',
    { description: 'Push local changes (local_to_remote) to the environment.', inputSchema: runArgs },
    (args) => run(args, 'push', 'all'),
  )
  server.registerTool(
    'sync_project_to_local',
    {
      description: 'Pull the whole environment into an empty local project directory (a clone). With folder, a new directory is set up for that environment folder.',
      inputSchema: { ...common, folder: z.string().min(1).optional().describe('For a new project directory: the environment folder to clone from.'), create_tables: runArgs.create_tables },
    },
    async (args) => {
      try {
        const dir = path.resolve(opts.projectDir, args.project_dir ?? '.')
        if (args.folder) {
          const name = args.env ?? 'origin'
          await host.initFolderClone(dir, name, path.resolve(opts.projectDir, args.folder))
          return await run({ ...args, env: name, project_dir: dir }, 'clone', 'all')
        }
        return await run(args, 'clone', 'all')
      } catch (err) {
        return fail(err)
      }
    },
  )
  server.registerTool(
    'sync_undo',
    {
      description: 'Undo a run (the latest by default): a pull\'s local changes, or a push\'s changes in the environment. Items changed since the run are left alone and named. With dry_run, only say what would be put back. The undo can itself be undone.',
      inputSchema: { project_dir: common.project_dir, run: z.string().min(1).optional().describe('The run id from a run\'s backup_run, or "latest".'), dry_run: z.boolean().optional() },
    },
    async (args) => {
      try {
        const u = await host.undo(projectFor(args.project_dir), args.run ?? 'latest', { dryRun: args.dry_run })
        const put = (u.local?.restored.length ?? 0) + (u.local?.removed.length ?? 0) + u.remote.restored.length + u.remote.removed.length
        const left = (u.local?.left.length ?? 0) + u.remote.left.length
        return ok(`${args.dry_run ? 'Would put back' : 'Put back'} ${put} item(s) of run ${displayName(u.runId)}${left ? `; ${left} left as they are (changed since)` : ''}.`, { ...u })
      } catch (err) {
        return fail(err)
      }
    },
  )
  return server
}

function entryJson(e: import('../../src-shared/sync-types.js').StatusEntry): Record<string, unknown> {
  if (e.kind === 'file') return { path: e.path, local: e.local, remote: e.remote }
  return { table: e.table, key: e.key, local: e.local, remote: e.remote, fields: e.fields, mergeable: e.mergeable ?? false }
}

/** The tables a run creates, would create or left out, with their statements, in sentences for the assistant (the details are in `tables`). */
function tablesSummary(r: RunReport, env: string): string {
  const where = (side: 'local' | 'remote') => (side === 'remote' ? `in ${displayName(env)}` : 'locally')
  const parts: string[] = []
  const created = r.createdTables?.created ?? []
  for (const c of created) parts.push(`Created table ${displayName(c.table)} ${where(c.side)}: ${displayText(c.statement)}`)
  for (const f of r.createdTables?.failed ?? []) parts.push(`Could not create table ${displayName(f.table)} ${where(f.side)}: ${displayText(f.message)}`)
  const handled = new Set([...created, ...(r.createdTables?.existed ?? []), ...(r.createdTables?.failed ?? [])].map((c) => c.table))
  const pending = r.plan.tables.create.filter((c) => !handled.has(c.table))
  for (const c of pending) {
    const verb = r.dryRun ? 'Would create' : 'Did not create'
    parts.push(`${verb} table ${displayName(c.table)} ${where(c.side)} (then carry its ${c.records} records): ${displayText(c.statement)}`)
  }
  if (pending.length) parts.push(r.dryRun ? 'A run with create_tables: true creates them first; without it they are left out.' : 'Tell the user; call again with create_tables: true to create them.')
  return parts.length ? ` ${parts.join(' ')}` : ''
}

/** What the checks found, in a sentence for the assistant (the details are in `checks`). */
function checksSummary(r: RunReport, env: string): string {
  const { problems, refuses } = r.plan.checks
  if (problems.length === 0) return ''
  const files = new Set(problems.map((p) => p.path)).size
  const found = ` The checks found ${problems.length} problem(s) in ${files} file(s) to be written (listed in checks: file, line, what is wrong; secrets are never shown).`
  if (refuses && r.refused.length) {
    return `${found} ${displayName(env)} is protected, so ${r.refused.length} of them ${r.dryRun ? 'would be' : 'were'} held back: ${r.refused.slice(0, 10).map(displayName).join(', ')}. Tell the user; push them only if the user says so, with allow_problems naming them.`
  }
  return `${found} ${refuses ? 'They were named in allow_problems, so they go.' : `${displayName(env)} is not protected, so they ${r.dryRun ? 'would go' : 'went'} all the same: tell the user.`}`
}

function runSummary(r: RunReport, deployment: DeploymentInfo | null): Record<string, unknown> {
  const label = (a: { kind: string; path?: string; table?: string; key?: string }) => (a.kind === 'file' ? a.path : `${a.table}/${a.key}`)
  return {
    env: r.env,
    direction: r.direction,
    dry_run: r.dryRun,
    planned: r.plan.actions.map((a) => ({ op: a.op, item: label(a) })),
    done: r.result?.done.map((a) => ({ op: a.op, item: label(a) })) ?? [],
    problems: r.result?.problems ?? [],
    conflicts: r.plan.conflictsLeft.map(entryJson),
    not_carried: r.plan.notCarried.map(entryJson),
    backup_run: r.backupRunId,
    deployment,
    warnings: r.warnings,
    errors: r.errors,
    // Positions, rule ids and plain words only: never the text of a file.
    checks: { problems: r.plan.checks.problems, unchecked: r.plan.checks.unchecked, refuses: r.plan.checks.refuses, held_back: r.refused },
    tables: tablesJson(r),
  }
}

/** Runs the MCP server on stdin/stdout until the client goes away. */
export async function serveMcp(opts: McpOptions): Promise<void> {
  const server = createMcpServer(opts)
  await server.connect(new StdioServerTransport())
}
