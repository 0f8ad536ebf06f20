import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdirSync, readFileSync } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { quoteIdent, quoteLiteral } from '../common/sql-text.js';
import type { ColumnDef, NewFile } from '../catalog/types.js';
import type { DataLayout } from './layout.js';

/** Hidden columns every data file carries (DESIGN §3: each row carries the seq that wrote it). */
export const SEQ_COLUMN = '_dm_seq';
/** Position of the row inside its bus entry; orders rows of one write. */
export const ORD_COLUMN = '_dm_ord';

export interface RowBatch {
  tenant: string;
  tableId: number;
  columns: ColumnDef[];
  /** Rows in bus order; values are canonical text (or null) in `columns` order. */
  rows: { seq: number; ord: number; values: (string | null)[] }[];
}

/**
 * Writes Parquet files with an internal DuckDB instance that runs only SQL we generate (never
 * user SQL), so it is not sandboxed. Files are written under a temporary name, fsync'd and
 * renamed, so a file the catalog references is always complete.
 */
export class ParquetWriter {
  private conn: DuckDBConnection | null = null;
  private counter = 0;

  constructor(
    private readonly layout: DataLayout,
    private readonly opts: { threads: number; memoryLimit: string },
  ) {}

  private async connection(): Promise<DuckDBConnection> {
    if (!this.conn) {
      const instance = await DuckDBInstance.create(':memory:', {
        threads: String(this.opts.threads),
        memory_limit: this.opts.memoryLimit,
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
      });
      this.conn = await instance.connect();
    }
    return this.conn;
  }

  async write(batch: RowBatch): Promise<NewFile> {
    const conn = await this.connection();
    const stage = `stage_${++this.counter}`;
    const colsSql = batch.columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
    await conn.run(`CREATE TEMP TABLE ${stage} (${colsSql}, ${SEQ_COLUMN} BIGINT, ${ORD_COLUMN} INTEGER)`);
    try {
      const appender = await conn.createAppender(stage, null, 'temp');
      let minSeq = Number.MAX_SAFE_INTEGER;
      let maxSeq = 0;
      for (const row of batch.rows) {
        for (const v of row.values) {
          // The appender casts VARCHAR to the column type (canonical text always casts cleanly).
          if (v === null) appender.appendNull();
          else appender.appendVarchar(v);
        }
        appender.appendBigInt(BigInt(row.seq));
        appender.appendInteger(row.ord);
        appender.endRow();
        if (row.seq < minSeq) minSeq = row.seq;
        if (row.seq > maxSeq) maxSeq = row.seq;
      }
      appender.closeSync();

      // Random bytes: an old and a new leader on different hosts may share a pid and a seq range.
      const name = `${minSeq}-${maxSeq}-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.parquet`;
      const relative = this.layout.newDataFile(batch.tenant, batch.tableId, name);
      const absolute = this.layout.absolute(relative);
      mkdirSync(path.dirname(absolute), { recursive: true });
      const tmp = absolute + '.tmp';
      await conn.run(`COPY ${stage} TO ${quoteLiteral(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
      // Async fs work runs on libuv's pool: the fsyncs do not stall the event loop.
      const bytes = await readFile(tmp);
      await syncFile(tmp);
      await rename(tmp, absolute);
      await syncFile(path.dirname(absolute));
      return {
        tenant: batch.tenant,
        tableId: batch.tableId,
        path: relative,
        rowCount: batch.rows.length,
        byteSize: bytes.length,
        checksum: crc32(bytes).toString(16).padStart(8, '0'),
        minSeq,
        maxSeq,
      };
    } finally {
      await conn.run(`DROP TABLE IF EXISTS temp.${stage}`);
    }
  }

  close(): void {
    this.conn?.closeSync();
    this.conn = null;
  }
}

async function syncFile(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** CRC-32 of a file as stored in the catalog (used by the integrity checker). */
export function fileChecksum(absolute: string): string {
  return crc32(readFileSync(absolute)).toString(16).padStart(8, '0');
}
