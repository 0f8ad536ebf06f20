import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { DuckMeshError, SqlState } from '../../common/errors.js';
import type { BusEntry, BusRecord, IngestBus, ReadLimits } from '../types.js';
import { SqliteWriterThread } from './writer-thread.js';

/**
 * The embedded ingest bus: a SQLite database in WAL mode with synchronous=FULL, so an append is
 * on disk (fsync'd) before it returns. One process owns the file (the data-dir lock enforces it),
 * which lets us keep the next sequence number in memory.
 */
export class SqliteBus implements IngestBus {
  readonly backend = 'embedded';
  private readonly db: Database.Database;
  private nextSeq: number;
  private readonly events = new EventEmitter();
  private readonly readStmt: Database.Statement;
  private readonly writer: SqliteWriterThread;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS bus_entries (
        seq INTEGER PRIMARY KEY,
        tenant TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        appended_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS bus_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    // The high-water mark survives pruning: sequences are never reused.
    const maxRow = this.db.prepare('SELECT max(seq) AS m FROM bus_entries').get() as { m: number | null };
    const hwm = this.db.prepare("SELECT value FROM bus_meta WHERE key = 'head'").get() as { value: number } | undefined;
    this.nextSeq = Math.max(maxRow.m ?? 0, hwm?.value ?? 0) + 1;
    this.readStmt = this.db.prepare(
      'SELECT seq, tenant, kind, payload, appended_at AS appendedAt FROM bus_entries WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    // This connection only reads; appends go through the writer thread (see writer-thread.ts).
    this.writer = new SqliteWriterThread(file, this.nextSeq);
    this.events.setMaxListeners(0);
  }

  async append(records: readonly BusRecord[]): Promise<number> {
    if (records.length === 0) return this.nextSeq;
    let reply;
    try {
      reply = await this.writer.append(records);
    } catch (err) {
      throw mapSqliteError(err);
    }
    if (!reply.ok) throw mapSqliteError(Object.assign(new Error(reply.message), { code: reply.code }));
    const first = reply.first!;
    this.nextSeq = first + records.length;
    this.events.emit('append', this.nextSeq - 1);
    return first;
  }

  async read(afterSeq: number, limits: ReadLimits): Promise<BusEntry[]> {
    const out: BusEntry[] = [];
    let bytes = 0;
    // Iterate so that a byte limit stops reading early without materializing the whole page.
    for (const row of this.readStmt.iterate(afterSeq, limits.maxEntries) as Iterable<BusEntry>) {
      out.push(row);
      bytes += row.payload.length;
      if (bytes >= limits.maxBytes) break;
    }
    return out;
  }

  async head(): Promise<number> {
    return this.nextSeq - 1;
  }

  onAppend(listener: (head: number) => void): () => void {
    this.events.on('append', listener);
    return () => this.events.off('append', listener);
  }

  async prune(uptoSeq: number): Promise<number> {
    return this.db.prepare('DELETE FROM bus_entries WHERE seq <= ?').run(uptoSeq).changes;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.writer.close();
    if (this.db.open) this.db.close();
  }
}

function mapSqliteError(err: unknown): DuckMeshError {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_FULL') {
    return new DuckMeshError(SqlState.diskFull, 'could not append to the ingest bus: disk full', { cause: err });
  }
  return new DuckMeshError(SqlState.busUnavailable, `could not append to the ingest bus: ${(err as Error).message}`, {
    cause: err,
  });
}
