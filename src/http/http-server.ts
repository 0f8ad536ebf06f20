import Fastify, { type FastifyInstance } from 'fastify';
import type { DuckMeshNode } from '../node/duckmesh-node.js';

/** HTTP endpoint: health, readiness and Prometheus metrics (the ingest/query API builds on it). */
export function createHttpServer(node: DuckMeshNode): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
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
