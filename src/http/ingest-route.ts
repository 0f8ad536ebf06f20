import type { FastifyInstance } from 'fastify';
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { TableDef } from '../catalog/types.js';
import { RowValidator, type CellValue } from '../ingest/validate-rows.js';
import type { DuckMeshNode } from '../node/duckmesh-node.js';
import { columnTypeFromSql, type ColumnType } from '../types/column-types.js';
import { jsonToText } from '../types/validate.js';
import { HttpError } from './http-error.js';
import type { TenantRateLimiter } from './rate-limit.js';
import type { HttpAuthenticator } from './tenant-auth.js';

export interface IngestRouteDeps {
  node: DuckMeshNode;
  auth: HttpAuthenticator;
  limiter: TenantRateLimiter;
  visibilityTimeoutMs: number;
}

type Op = 'append' | 'upsert' | 'delete';

/**
 * `POST /v1/tables/{table}/rows`: a batch of JSON rows (NDJSON or a JSON array) as ONE logical
 * write. 202 once durable, 200 once visible (`wait_for_visibility=true`), 400 naming the row and
 * column of a bad value (nothing written), 413 over the body limit, 429 over the rate limit.
 */
export function registerIngestRoute(app: FastifyInstance, deps: IngestRouteDeps): void {
  for (const type of ['application/x-ndjson', 'application/ndjson', 'application/jsonl']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => done(null, { ndjson: body as string }));
  }

  app.post<{ Params: { table: string }; Querystring: { op?: string; wait_for_visibility?: string } }>(
    '/v1/tables/:table/rows',
    async (req, reply) => {
      const principal = deps.auth.authenticate(req);
      const op = (req.query.op ?? 'append') as Op;
      if (!['append', 'upsert', 'delete'].includes(op)) {
        throw new HttpError(400, `unknown op "${op}" (expected append, upsert or delete)`, SqlState.invalidParameterValue);
      }
      const rows = parseRows(req.body);
      const wait = truthy(req.query.wait_for_visibility) || truthy(header(req.headers['duckmesh-wait-for-visibility']));
      const idempotencyKey = header(req.headers['idempotency-key']);
      const retry = deps.limiter.take(principal.tenant, rows.length);
      if (retry > 0) {
        throw new HttpError(429, `rate limit exceeded for tenant "${principal.tenant}"`, '53400', { 'Retry-After': String(retry) });
      }
      if (op !== 'append' || idempotencyKey) {
        throw new HttpError(400, `${idempotencyKey ? 'Idempotency-Key' : `op=${op}`} is not supported by this DuckMesh version yet`, SqlState.featureNotSupported);
      }
      const node = deps.node;
      await node.catalog.ensureTenant(principal.tenant);
      const [schema, name] = splitName(req.params.table);
      const receipt = await node.ingest.gate(principal.tenant).withShared(async () => {
        const table = await node.ingest.schemas.lookup(principal.tenant, schema, name);
        if (!table) throw new HttpError(404, `relation "${req.params.table}" does not exist`, SqlState.undefinedTable);
        const validated = validateJsonRows(table, rows);
        const write = node.ingest.buildInsert(principal.tenant, new RowValidator(table, null), validated);
        return node.ingest.commit([write]);
      });
      const body = { token: receipt.token, first_seq: receipt.firstSeq, last_seq: receipt.lastSeq, rows: receipt.rows };
      if (wait) {
        const snap = await node.tracker.waitFor(receipt.lastSeq, deps.visibilityTimeoutMs);
        return reply.code(200).send({ ...body, snapshot_id: snap.snapshotId });
      }
      return reply.code(202).send(body);
    },
  );
}

function parseRows(body: unknown): Record<string, unknown>[] {
  let rows: unknown[];
  if (body && typeof body === 'object' && 'ndjson' in body) {
    rows = [];
    const lines = (body as { ndjson: string }).ndjson.split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        rows.push(JSON.parse(line));
      } catch {
        throw new HttpError(400, `line ${i + 1} is not valid JSON`, SqlState.invalidTextRepresentation, {}, { row: rows.length + 1 });
      }
    });
  } else if (Array.isArray(body)) rows = body;
  else throw new HttpError(400, 'body must be NDJSON (application/x-ndjson) or a JSON array of row objects', SqlState.invalidParameterValue);
  rows.forEach((r, i) => {
    if (!r || typeof r !== 'object' || Array.isArray(r)) {
      throw new HttpError(400, `row ${i + 1} is not a JSON object`, SqlState.invalidParameterValue, {}, { row: i + 1 });
    }
  });
  return rows as Record<string, unknown>[];
}

/** Validates JSON rows against the table; rows come back as canonical text in table order. */
function validateJsonRows(table: TableDef, rows: Record<string, unknown>[]): (string | null)[][] {
  const types: ColumnType[] = table.columns.map((c) => columnTypeFromSql(c.type));
  const known = new Set(table.columns.map((c) => c.name));
  const validator = new RowValidator(table, null);
  return rows.map((row, i) => {
    for (const k of Object.keys(row)) {
      if (!known.has(k)) {
        throw new HttpError(400, `column "${k}" of relation "${table.name}" does not exist`, SqlState.undefinedColumn, {}, { row: i + 1, column: k });
      }
    }
    const cells: CellValue[] = table.columns.map((c, j) => {
      if (!(c.name in row)) return { kind: 'default' };
      try {
        return { kind: 'value', text: jsonToText(types[j]!, row[c.name]) };
      } catch (err) {
        if (err instanceof DuckMeshError) throw new HttpError(400, err.message, err.sqlstate, {}, { row: i + 1, column: c.name });
        throw err;
      }
    });
    try {
      return validator.row(cells, i + 1);
    } catch (err) {
      if (err instanceof DuckMeshError) {
        const column = /column "([^"]+)"/.exec(err.detail ?? '')?.[1];
        throw new HttpError(400, err.message, err.sqlstate, {}, { row: i + 1, column });
      }
      throw err;
    }
  });
}

function splitName(name: string): [string, string] {
  const dot = name.indexOf('.');
  return dot < 0 ? ['public', name] : [name.slice(0, dot), name.slice(dot + 1)];
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && ['1', 'true', 'on', 'yes'].includes(v.toLowerCase());
}
