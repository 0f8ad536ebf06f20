import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { BusRecord } from '../types.js';

/**
 * The embedded bus's single writer runs on its own thread: a durable SQLite commit blocks for an
 * fsync (~0.2–2 ms here), and on the main thread that stall would also stop parsing, validating
 * and encoding everything else. Off-thread, the next group-commit batch fills up while the
 * current one is being fsync'd.
 *
 * The thread body is plain JavaScript evaluated in the worker (so the same code runs from the
 * compiled build and from TypeScript tests); it loads better-sqlite3 by absolute path.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlitePath);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
const insert = db.prepare('INSERT INTO bus_entries (seq, tenant, kind, payload, appended_at) VALUES (?, ?, ?, ?, ?)');
const setHead = db.prepare("INSERT INTO bus_meta (key, value) VALUES ('head', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
let next = workerData.nextSeq;
const append = db.transaction((records, first, now) => {
  let seq = first;
  for (const r of records) insert.run(seq++, r.tenant, r.kind, r.payload, now);
  setHead.run(seq - 1);
});
parentPort.on('message', (msg) => {
  if (msg.type === 'close') { db.close(); parentPort.postMessage({ id: msg.id, ok: true }); return; }
  const first = next;
  try {
    append(msg.records, first, Date.now());
    next = first + msg.records.length;
    parentPort.postMessage({ id: msg.id, ok: true, first });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, code: err && err.code, message: String(err && err.message || err) });
  }
});
`;

interface Reply {
  id: number;
  ok: boolean;
  first?: number;
  code?: string;
  message?: string;
}

export class SqliteWriterThread {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: unknown) => void }>();
  private failed: Error | null = null;

  constructor(file: string, nextSeq: number) {
    const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { file, nextSeq, sqlitePath } });
    this.worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      p.resolve(r);
    });
    const fail = (err: Error) => {
      this.failed = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (this.pending.size > 0) fail(new Error(`bus writer thread exited with code ${code}`));
    });
  }

  private call(msg: { type: 'append'; records: readonly BusRecord[] } | { type: 'close' }): Promise<Reply> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id });
    });
  }

  /** Appends in one durable transaction; resolves with the first sequence or a failure reply. */
  append(records: readonly BusRecord[]): Promise<Reply> {
    return this.call({ type: 'append', records });
  }

  async close(): Promise<void> {
    if (!this.failed) await this.call({ type: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }
}
