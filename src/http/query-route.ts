import { JsonDuckDBValueConverter } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { SqlState } from '../common/errors.js';
import type { DuckMeshNode } from '../node/duckmesh-node.js';
import { describeDuckDBType } from '../types/result-types.js';
import { HttpError } from './http-error.js';
import type { HttpAuthenticator } from './tenant-auth.js';

export interface QueryRouteDeps {
  node: DuckMeshNode;
  auth: HttpAuthenticator;
  limits: { maxRows: number; maxBytes: number; timeoutMs: number };
}

interface QueryBody {
  sql: string;
  params?: unknown[];
  min_visibility_token?: string;
  snapshot_id?: number;
  as_of?: string;
  max_rows?: number;
  timeout_ms?: number;
}

/**
 * `POST /v1/query`: one read-only statement with parameters; JSON rows. The same session
 * semantics as pg-wire (tokens, snapshots, sandbox); row, byte and time limits per request.
 */
export function registerQueryRoute(app: FastifyInstance, deps: QueryRouteDeps): void {
  app.post<{ Body: QueryBody }>(
    '/v1/query',
    {
      schema: {
        body: {
          type: 'object',
          required: ['sql'],
          properties: {
            sql: { type: 'string', minLength: 1 },
            params: { type: 'array' },
            min_visibility_token: { type: 'string' },
            snapshot_id: { type: 'integer', minimum: 1 },
            as_of: { type: 'string' },
            max_rows: { type: 'integer', minimum: 0 },
            timeout_ms: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    async (req) => {
      const principal = deps.auth.authenticate(req);
      const body = req.body;
      const maxRows = Math.min(body.max_rows ?? deps.limits.maxRows, deps.limits.maxRows);
      const session = await deps.node.openSession(principal.tenant, principal.user);
      try {
        if (body.min_visibility_token) session.settings.set('duckmesh.min_visibility_token', body.min_visibility_token);
        if (body.snapshot_id) session.settings.set('duckmesh.snapshot_id', String(body.snapshot_id));
        if (body.as_of) session.settings.set('duckmesh.as_of', body.as_of);
        session.settings.set('statement_timeout', String(Math.min(body.timeout_ms ?? deps.limits.timeoutMs, deps.limits.timeoutMs)));
        const parts = session.parse(body.sql);
        if (parts.length !== 1) throw new HttpError(400, 'exactly one statement is required', SqlState.syntaxError);
        const params = (body.params ?? []).map((p) => (p === null || p === undefined ? null : typeof p === 'object' ? JSON.stringify(p) : String(p)));
        const part = parts[0]!;
        if (part.parsed) {
          const kind = Object.keys(part.parsed.ast)[0];
          if (kind !== 'SelectStmt' && kind !== 'VariableShowStmt' && kind !== 'ExplainStmt') {
            throw new HttpError(400, '/v1/query accepts read-only statements; write with /v1/tables/{table}/rows or pg-wire', SqlState.readOnlySqlTransaction);
          }
        }
        const result = await session.execute(part.parsed, part.text, params);
        if (result.kind !== 'rows') throw new HttpError(400, 'statement returned no rows', SqlState.featureNotSupported);
        const columns = result.fields.map((f) => ({ name: f.name, type: f.type ? f.type.toString() : 'VARCHAR', pg_type_oid: f.type ? describeDuckDBType(f.type).typeOid : 25 }));
        const rows: unknown[][] = [];
        let bytes = 0;
        let truncated = false;
        try {
          outer: for (;;) {
            const batch = await result.source.next();
            if (!batch) break;
            const list = batch.kind === 'chunk' ? (batch.chunk.convertRows(JsonDuckDBValueConverter) as unknown[][]) : batch.rows;
            for (const r of list) {
              if (rows.length >= maxRows) {
                truncated = true;
                break outer;
              }
              bytes += JSON.stringify(r).length;
              if (bytes > deps.limits.maxBytes) {
                truncated = true;
                break outer;
              }
              rows.push(r);
            }
          }
        } finally {
          result.source.close();
        }
        return {
          columns,
          rows,
          row_count: rows.length,
          truncated,
          snapshot_id: Number(session.settings.get('duckmesh.last_snapshot_id')),
        };
      } finally {
        await session.close();
      }
    },
  );
}
