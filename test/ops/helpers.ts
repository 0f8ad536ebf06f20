import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { DataLayout } from '../../src/storage/layout.js';
import { ROOT } from '../helpers/server.js';

export const BIN = path.join(ROOT, 'bin', 'duckmesh');

/** Inserts `batches` statements of `rows` rows each into `table (id, batch, payload)`, ids from `firstId`. */
export async function insertBatches(c: pg.Client, table: string, batches: number, rows: number, firstId = 1, opts: { visibleEach?: boolean } = {}): Promise<number> {
  let id = firstId;
  for (let b = 0; b < batches; b++) {
    const values: string[] = [];
    for (let r = 0; r < rows; r++, id++) values.push(`(${id}, ${b}, 'row ${id} ${'x'.repeat(id % 17)}')`);
    await c.query(`INSERT INTO ${table} (id, batch, payload) VALUES ${values.join(', ')}`);
    // A read waits for the session's own write (read-your-writes): the next write lands in a new commit.
    if (opts.visibleEach) await c.query(`SELECT count(*) FROM ${table}`);
  }
  return id;
}

/** Snapshot id the session's last query ran on. */
export async function lastSnapshot(c: pg.Client): Promise<number> {
  const r = await c.query('SHOW duckmesh.last_snapshot_id');
  return Number(Object.values(r.rows[0] as Record<string, string>)[0]);
}

/** Rows of `sql` at snapshot `id` (time travel), as plain JSON-comparable values. */
export async function rowsAt(c: pg.Client, id: number | null, sql: string): Promise<unknown[]> {
  await c.query(id === null ? 'RESET duckmesh.snapshot_id' : `SET duckmesh.snapshot_id = ${id}`);
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.query('RESET duckmesh.snapshot_id');
  }
}

/** The catalog's data files, read-only (works on a live or stopped directory). */
export function catalogFiles(dataDir: string): { file_id: number; path: string; row_count: number; byte_size: number; removed_snapshot: number | null }[] {
  const db = new Database(new DataLayout(dataDir).catalogFile, { readonly: true });
  try {
    return db.prepare('SELECT file_id, path, row_count, byte_size, removed_snapshot FROM files ORDER BY file_id').all() as never;
  } finally {
    db.close();
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`npx tsc -p tsconfig.json` first). */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DUCKMESH_')) clean[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...clean, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
