import type { FastifyInstance } from 'fastify';
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { WriteService } from '../ingest/write-service.js';
import type { DuckMeshNode } from '../node/duckmesh-node.js';
import { HttpError, toHttpError } from './http-error.js';
import type { TenantRateLimiter } from './rate-limit.js';
import type { HttpAuthenticator } from './tenant-auth.js';

export interface IngestRouteDeps {
  node: DuckMeshNode;
  writes: WriteService;
  auth: HttpAuthenticator;
  limiter: TenantRateLimiter;
  visibilityTimeoutMs: number;
}

type Op = 'append' | 'upsert' | 'delete';

/**
 * `POST /v1/tables/{table}/rows`: a batch of JSON rows (NDJSON or a JSON array) as ONE logical
 * write (`op` append | upsert | delete; an `Idempotency-Key` header makes retries safe). 202 once durable, 200 once visible (`wait_for_visibility=true`), 400 naming the row and
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
      const node = deps.node;
      await node.catalog.ensureTenant(principal.tenant);
      let receipt;
      try {
        receipt = await deps.writes.write({ tenant: principal.tenant, table: req.params.table, op, rows, idempotencyKey });
      } catch (err) {
        throw withRowAndColumn(err);
      }
      const body: Record<string, unknown> = { token: receipt.token, first_seq: receipt.firstSeq, last_seq: receipt.lastSeq, rows: receipt.rows };
      // A retried request answers the original receipt; the flag tells the client nothing new was written.
      if (receipt.replayed) body['replayed'] = true;
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

/** Bad-row errors carry "row N, column "c"" in their detail; the HTTP body names both as fields. */
function withRowAndColumn(err: unknown): unknown {
  if (!(err instanceof DuckMeshError)) return err;
  if (err.sqlstate === SqlState.undefinedTable) return new HttpError(404, err.message, err.sqlstate);
  if (!err.detail) return err;
  const m = /^row (\d+)(?:, column "([^"]+)")?/.exec(err.detail);
  if (!m) return err;
  const e = toHttpError(err);
  return new HttpError(e.status, e.message, e.code, e.headers, { ...e.extra, row: Number(m[1]), ...(m[2] ? { column: m[2] } : {}) });
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && ['1', 'true', 'on', 'yes'].includes(v.toLowerCase());
}
