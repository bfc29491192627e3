/**
 * `/v1/tables/<t>/records`: the environment's database as records, with the same rules as
 * files: every write names the hash it expects (`If-Match`, or `If-None-Match: *` to create),
 * 428 without, 412 when the record moved on, and the rows replaced are kept as versions.
 *
 * The key column defaults to the one config.json names for the table, else `id`; a client
 * may name it with `?keyColumn=`. Batches (`POST …/records/read`, `POST …/records/write`)
 * answer per record; a refused record never fails the rest of its batch.
 *
 * `GET /v1/tables/<t>/definition` says how a table is defined and `POST /v1/tables` creates one
 * from such a definition (table-definitions.ts), so a push can bring its tables to a new
 * environment.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { RecordDelete, RecordWrite, TableSpec } from '../../src-main/engine/records/record-store.js'
import type { Environment } from '../environment.js'
import { ApiError } from '../http-errors.js'
import { etag, expectedHashFromHeaders, expectedHashOfItem, resolveExpected } from '../preconditions.js'
import { IDENTIFIER_RE, type RecordOutcome, type ServerRecords } from '../records.js'
import { portableTypeProblem } from '../../src-main/engine/records/table-definitions.js'
import { inOrder, parseBody, sendOutcome, tokenName, triage } from './common.js'

export interface RecordsRouteOptions {
  env: Environment
  /** Largest batch request body (JSON). */
  maxBatchBytes: number
}

/** Most records one batch request may carry. */
export const MAX_RECORD_BATCH = 10_000

const dataSchema = z.record(z.string(), z.unknown())
const readSchema = z.object({ keys: z.array(z.string()).max(MAX_RECORD_BATCH), compare: z.boolean().default(false) })
const writeSchema = z.object({
  writes: z
    .array(z.object({ key: z.string(), data: dataSchema, ifMatch: z.string().nullish(), ifNoneMatch: z.string().nullish() }))
    .max(MAX_RECORD_BATCH)
    .default([]),
  deletes: z
    .array(z.object({ key: z.string(), ifMatch: z.string().nullish(), ifNoneMatch: z.string().nullish() }))
    .max(MAX_RECORD_BATCH)
    .default([]),
})

/** A table to create: names and portable types only (never SQL); checked again before use. */
const createTableSchema = z.object({
  name: z.string().max(200),
  columns: z
    .array(z.object({ name: z.string().max(200), type: z.string().max(100), notNull: z.boolean().default(false) }))
    .min(1)
    .max(1000),
  primaryKey: z.array(z.string().max(200)).max(32).default([]),
  unique: z.array(z.string().max(200)).max(1000).default([]),
})

interface TableParams {
  table: string
  key?: string
}

/** The database, or the refusal of a server that has none. */
function recordsOf(env: Environment): ServerRecords {
  if (!env.records) {
    throw new ApiError(404, 'no-database', `The environment "${env.name}" has no database (its server could not open one: see its log).`)
  }
  return env.records
}

/** The table spec of a request: checked name and key column. */
function tableOf(env: Environment, req: FastifyRequest): { spec: TableSpec; records: ServerRecords } {
  const table = tableName((req.params as TableParams).table)
  const records = recordsOf(env)
  const q = req.query as { keyColumn?: unknown }
  const key = typeof q.keyColumn === 'string' ? q.keyColumn : records.keyColumnOf(table)
  if (!IDENTIFIER_RE.test(key)) throw new ApiError(400, 'bad-key-column', `${JSON.stringify(key)} is not a column name.`)
  return { spec: { name: table, key }, records }
}

function tableName(name: string): string {
  if (!IDENTIFIER_RE.test(name)) {
    throw new ApiError(400, 'bad-table-name', `${JSON.stringify(name)} is not a table name: use letters, digits and "_", starting with a letter or "_" (at most 63).`)
  }
  return name
}

function keyParam(req: FastifyRequest): string {
  const key = (req.params as TableParams).key ?? ''
  if (key === '' || key.includes('\u0000')) throw new ApiError(400, 'bad-key', 'The record key must be non-empty text without NUL.')
  return key
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(',') : v
}

function refusal(key: string, err: ApiError): RecordOutcome {
  return { key, status: err.statusCode, error: { code: err.code, message: err.message } }
}


/** Registers the record routes (inside the `/v1` prefix). */
export async function recordsRoutes(app: FastifyInstance, opts: RecordsRouteOptions): Promise<void> {
  const { env } = opts

  app.get('/database', { config: { scope: 'read' } }, async () => {
    return { database: env.records ? { kind: env.records.kind } : null }
  })

  app.get('/tables/:table/definition', { config: { scope: 'read' } }, async (req: FastifyRequest) => {
    const name = tableName((req.params as TableParams).table)
    const definition = await recordsOf(env).definition(name)
    if (!definition) throw new ApiError(404, 'table-not-found', `The environment's database has no table "${name}".`)
    return { definition }
  })

  // Creating a table is a write: it needs the write scope, and takes names and portable types,
  // never SQL. A table that exists is never replaced (409).
  app.post('/tables', { config: { scope: 'write' } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const body = parseBody(createTableSchema, req.body)
    tableName(body.name)
    for (const c of body.columns) {
      if (!IDENTIFIER_RE.test(c.name)) throw new ApiError(400, 'bad-column-name', `${JSON.stringify(c.name)} is not a column name: use letters, digits and "_", starting with a letter or "_" (at most 63).`)
      const problem = portableTypeProblem(c.type)
      if (problem) throw new ApiError(400, 'bad-column-type', `Column "${c.name}": ${problem}.`)
    }
    const res = await recordsOf(env).createTable({ name: body.name, columns: body.columns.map((c) => ({ ...c, declared: c.type })), primaryKey: body.primaryKey, unique: body.unique })
    if (!res.created) return reply.code(409).send({ error: { code: 'table-exists', message: `The environment's database has a table "${body.name}" already; it was left as it is.`, statement: res.statement } })
    return reply.code(201).send({ table: body.name, created: true, statement: res.statement })
  })

  app.get('/tables/:table/records', { config: { scope: 'read' } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const { spec, records } = tableOf(env, req)
    const fields = (req.query as { fields?: unknown }).fields
    if (fields !== undefined && fields !== 'hashes') throw new ApiError(400, 'invalid-request', 'fields must be "hashes" (keys and hashes only) or absent (with data).')
    // Like the file manifest, a listing is what every status does: it is not recorded as a pull.
    const listed = await records.list(spec)
    if (fields !== 'hashes') return { table: spec.name, keyColumn: spec.key, records: listed }
    // Keys and hashes only, written out by hand: the JSON of 10,000 of them in a few milliseconds.
    const parts = listed.map((r) => `{"key":${JSON.stringify(r.key)},"hash":${JSON.stringify(r.hash)}}`)
    return reply.type('application/json; charset=utf-8').send(`{"table":${JSON.stringify(spec.name)},"keyColumn":${JSON.stringify(spec.key)},"fields":"hashes","records":[${parts.join(',')}]}`)
  })

  app.get('/tables/:table/records/:key', { config: { scope: 'read' } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const { spec, records } = tableOf(env, req)
    const key = keyParam(req)
    const row = (await records.rows(spec)).get(key)
    if (!row) throw new ApiError(404, 'record-not-found', `Table "${spec.name}" has no record ${JSON.stringify(key)}.`)
    records.recordPull(tokenName(req), 1)
    return reply.header('etag', etag(row.hash)).send(row)
  })

  app.post('/tables/:table/records/read', { config: { scope: 'read' }, bodyLimit: opts.maxBatchBytes }, async (req: FastifyRequest) => {
    const { spec, records } = tableOf(env, req)
    const { keys, compare } = parseBody(readSchema, req.body)
    const rows = await records.rows(spec)
    let found = 0
    const items = keys.map((key) => {
      const row = rows.get(key)
      if (!row) return { key, status: 404, error: { code: 'record-not-found', message: `Table "${spec.name}" has no record ${JSON.stringify(key)}.` } }
      found++
      return { status: 200, key: row.key, hash: row.hash, data: row.data }
    })
    // The data a status needs to show the records that differ completes a listing: not a pull.
    if (!compare) records.recordPull(tokenName(req), found)
    return { records: items }
  })

  app.put('/tables/:table/records/:key', { config: { scope: 'write' } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const { spec, records } = tableOf(env, req)
    const key = keyParam(req)
    const expected = await resolveExpected(expectedHashFromHeaders(header(req, 'if-match'), header(req, 'if-none-match'), true), async () => (await records.rows(spec)).get(key)?.hash ?? null)
    const data = dataSchema.safeParse(req.body)
    if (req.body === undefined || req.body === null || !data.success) throw new ApiError(400, 'invalid-request', 'The body must be the record\'s data: a JSON object of column values.')
    const res = await records.apply(spec, [{ key, data: data.data, expectedHash: expected }], [], tokenName(req))
    return sendOutcome(reply, res.writes[0] as RecordOutcome, 'key', res.versionId)
  })

  app.delete('/tables/:table/records/:key', { config: { scope: 'write' } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const { spec, records } = tableOf(env, req)
    const key = keyParam(req)
    const expected = (await resolveExpected(expectedHashFromHeaders(header(req, 'if-match'), header(req, 'if-none-match'), false), async () => (await records.rows(spec)).get(key)?.hash ?? null)) as string
    const res = await records.apply(spec, [], [{ key, expectedHash: expected }], tokenName(req))
    return sendOutcome(reply, res.deletes[0] as RecordOutcome, 'key', res.versionId)
  })

  app.post('/tables/:table/records/write', { config: { scope: 'write' }, bodyLimit: opts.maxBatchBytes }, async (req: FastifyRequest) => {
    const { spec, records } = tableOf(env, req)
    const body = parseBody(writeSchema, req.body)
    const seen = new Map<string, number>()
    for (const it of [...body.writes, ...body.deletes]) seen.set(it.key, (seen.get(it.key) ?? 0) + 1)
    const check = (key: string, expected: string | null | ApiError): ApiError | null => {
      if (key === '' || key.includes('\u0000')) return new ApiError(400, 'bad-key', 'The record key must be non-empty text without NUL.')
      if ((seen.get(key) ?? 0) > 1) return new ApiError(400, 'duplicate-key', `Record ${JSON.stringify(key)} appears more than once in this batch.`)
      return expected instanceof ApiError ? expected : null
    }
    const writes = triage(body.writes, (it): { refused: RecordOutcome } | { request: RecordWrite } => {
      const expected = expectedHashOfItem(it, true)
      const refused = check(it.key, expected)
      return refused ? { refused: refusal(it.key, refused) } : { request: { key: it.key, data: it.data, expectedHash: expected as string | null } }
    })
    const deletes = triage(body.deletes, (it): { refused: RecordOutcome } | { request: RecordDelete } => {
      const expected = expectedHashOfItem(it, false)
      const refused = check(it.key, expected)
      return refused ? { refused: refusal(it.key, refused) } : { request: { key: it.key, expectedHash: expected as string } }
    })
    const applied =
      writes.requests.length || deletes.requests.length
        ? await records.apply(spec, writes.requests, deletes.requests, tokenName(req))
        : { writes: [], deletes: [], versionId: null }
    return {
      writes: inOrder(writes.answers, applied.writes as RecordOutcome[]),
      deletes: inOrder(deletes.answers, applied.deletes as RecordOutcome[]),
      versionId: applied.versionId,
    }
  })

  app.get('/tables/:table/versions', { config: { scope: 'read' } }, async (req: FastifyRequest) => {
    const { spec, records } = tableOf(env, req)
    const q = req.query as { key?: string; limit?: string }
    const limit = q.limit === undefined ? 1000 : Number(q.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new ApiError(400, 'invalid-request', 'limit must be an integer from 1 to 100000.')
    return { versions: await records.versions.list(spec.name, q.key, limit) }
  })
}
