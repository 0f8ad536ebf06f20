import Fastify, { type FastifyInstance } from 'fastify';
import type { DuckMeshNode } from '../node/duckmesh-node.js';
import { encodeToken } from '../visibility/token.js';
import { HttpError, toHttpError } from './http-error.js';
import { WriteService } from '../ingest/write-service.js';
import { registerIngestRoute } from './ingest-route.js';
import { openApiDocument } from './openapi.js';
import { registerQueryRoute } from './query-route.js';
import { TenantRateLimiter } from './rate-limit.js';
import { HttpAuthenticator } from './tenant-auth.js';

/** HTTP endpoint: health, readiness and Prometheus metrics (the ingest/query API builds on it). */
export function createHttpServer(node: DuckMeshNode): FastifyInstance {
  const cfg = node.config.http;
  const app = Fastify({ logger: false, bodyLimit: cfg.maxBodyBytes });
  const auth = new HttpAuthenticator(node.config);
  app.setErrorHandler((err, _req, reply) => {
    // Fastify's own errors (body too large, bad JSON, schema validation) carry a statusCode.
    const fst = err as { statusCode?: number; validation?: unknown; message: string };
    const e =
      !(err instanceof HttpError) && typeof fst.statusCode === 'number' && fst.statusCode < 500
        ? new HttpError(fst.statusCode, fst.message, fst.statusCode === 413 ? '54000' : '22023')
        : toHttpError(err);
    if (e.status >= 500) node.log.error({ err }, 'HTTP request failed');
    reply.code(e.status).headers(e.headers).send({ error: { code: e.code, message: e.message, ...e.extra } });
  });
  registerIngestRoute(app, {
    node,
    writes: new WriteService(node.ingest),
    auth,
    limiter: new TenantRateLimiter(cfg.rowsPerSecondPerTenant),
    visibilityTimeoutMs: cfg.visibilityTimeoutMs,
  });
  registerQueryRoute(app, { node, auth, limits: { maxRows: cfg.queryMaxRows, maxBytes: cfg.queryMaxBytes, timeoutMs: cfg.queryTimeoutMs } });
  app.get('/v1/openapi.json', async () => openApiDocument());
  app.get('/v1/snapshots', async (req) => {
    auth.authenticate(req);
    const latest = node.tracker.latest();
    const head = await node.bus.head();
    return {
      snapshot_id: latest?.snapshotId ?? null,
      watermark: latest?.watermark ?? 0,
      watermark_token: encodeToken(latest?.watermark ?? 0),
      committed_at: latest ? new Date(latest.committedAt).toISOString() : null,
      bus_head: head,
      bus_lag: head - (latest?.watermark ?? 0),
    };
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = await node.readiness();
    const latest = node.tracker.latest();
    reply.code(r.ready ? 200 : 503);
    return { ...r, snapshot_id: latest?.snapshotId ?? null, watermark: latest?.watermark ?? 0 };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', node.metrics.registry.contentType);
    return node.metrics.registry.metrics();
  });
  return app;
}
