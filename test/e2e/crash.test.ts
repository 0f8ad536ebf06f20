import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.js';
import { DataLayout } from '../../src/storage/layout.js';
import { checkFiles } from '../../src/storage/integrity.js';
import { connect, freePort, spawnServer, tempDataDir, waitExit } from '../helpers/server.js';

const dataDir = tempDataDir('duckmesh-crash-');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('kill -9 under write load', () => {
  it('loses and duplicates no acknowledged row, and no snapshot references a missing file', async () => {
    const port = await freePort();
    let child = await spawnServer(dataDir, port);
    const setup = await connect(port);
    await setup.query('CREATE TABLE ev (writer INTEGER, n INTEGER, payload TEXT)');
    await setup.end();

    const acked = new Set<string>();
    let killed = false;
    const writers = Array.from({ length: 16 }, async (_, w) => {
      const c = await connect(port);
      c.on('error', () => undefined);
      try {
        for (let i = 0; i < 1000 && !killed; i++) {
          // A multi-row insert: either all rows or none.
          await c.query(`INSERT INTO ev VALUES (${w}, ${i * 2}, 'a'), (${w}, ${i * 2 + 1}, 'b')`);
          acked.add(`${w}:${i * 2}`);
          acked.add(`${w}:${i * 2 + 1}`);
        }
      } catch {
        // The server died under us: unacknowledged writes may or may not be present.
      }
      await c.end().catch(() => undefined);
    });
    await new Promise((r) => setTimeout(r, 1500 + Math.random() * 1000));
    killed = true;
    child.kill('SIGKILL');
    await waitExit(child);
    await Promise.all(writers);
    expect(acked.size).toBeGreaterThan(100);

    child = await spawnServer(dataDir, port);
    try {
      const c = await connect(port);
      // Recovery: the restarted worker materializes everything on the bus; wait for the head.
      const deadline = Date.now() + 30_000;
      let rows: { writer: number; n: number; c: number }[] = [];
      for (;;) {
        rows = (await c.query('SELECT writer, n, count(*)::INTEGER AS c FROM ev GROUP BY writer, n')).rows;
        const present = new Set(rows.map((r) => `${r.writer}:${r.n}`));
        if ([...acked].every((k) => present.has(k)) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const present = new Set(rows.map((r) => `${r.writer}:${r.n}`));
      const missing = [...acked].filter((k) => !present.has(k));
      expect(missing).toEqual([]);
      expect(rows.filter((r) => r.c !== 1)).toEqual([]);
      // Pairs are atomic: a write is there whole or not at all.
      for (const r of rows) expect(present.has(`${r.writer}:${r.n % 2 === 0 ? r.n + 1 : r.n - 1}`)).toBe(true);
      await c.end();
    } finally {
      child.kill('SIGTERM');
      await waitExit(child);
    }
    const catalog = new SqliteCatalog(new DataLayout(dataDir).catalogFile);
    try {
      expect(await checkFiles(catalog, new DataLayout(dataDir), { deep: true })).toEqual([]);
    } finally {
      await catalog.close();
    }
  });
});
