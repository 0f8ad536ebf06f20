import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { Catalog, FileRecord } from '../catalog/types.js';
import type { DataLayout } from './layout.js';

/** What can be wrong with one data file a retained snapshot references. */
export type FileProblemKind = 'missing_file' | 'size_mismatch' | 'checksum_mismatch' | 'row_count_mismatch' | 'unreadable_file';

export interface IntegrityProblem {
  kind: FileProblemKind;
  path: string;
  detail: string;
}

/**
 * CRC-32 of a file as the catalog records it (8 lowercase hex digits), read as a stream so that a
 * large file never sits in memory. Same value as `fileChecksum` in parquet-writer.ts.
 */
export async function fileCrc32(absolute: string): Promise<string> {
  let crc = 0;
  for await (const chunk of createReadStream(absolute, { highWaterMark: 1 << 20 })) crc = crc32(chunk as Buffer, crc);
  return crc.toString(16).padStart(8, '0');
}

/**
 * Reads Parquet footers with a throwaway in-memory DuckDB instance that runs only SQL built here
 * (no user input reaches it), so the row count of a file can be compared with the catalog's.
 */
export class ParquetInspector {
  private conn: Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  private connection(): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
    if (!this.conn) {
      this.conn = (async () => {
        const instance = await DuckDBInstance.create(':memory:', {
          threads: '1',
          memory_limit: '256MB',
          autoinstall_known_extensions: 'false',
          autoload_known_extensions: 'false',
        });
        return { instance, conn: await instance.connect() };
      })();
    }
    return this.conn;
  }

  /** Row count from the file's footer; throws when the file is not readable Parquet. */
  rowCount(absolute: string): Promise<number> {
    // One statement at a time on the one connection.
    const run = this.chain.then(async () => {
      const { conn } = await this.connection();
      const result = await conn.runAndReadAll('SELECT sum(num_rows) AS n FROM parquet_file_metadata($1)', [absolute]);
      return Number(result.getRowObjects()[0]?.['n'] ?? 0);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (!this.conn) return;
    const c = await this.conn.catch(() => null);
    this.conn = null;
    c?.conn.closeSync();
    c?.instance.closeSync();
  }
}

export interface VerifyOptions {
  /** Also re-read the file for its checksum and read its footer for the row count. */
  deep: boolean;
  /** Needed when `deep`. */
  inspector?: ParquetInspector;
}

/**
 * Checks one catalog file against the disk: it exists and matches the recorded size; with `deep`
 * also the CRC-32 checksum and the Parquet row count. A size mismatch stops there (the checksum
 * would only repeat it).
 */
export async function verifyFile(layout: DataLayout, f: FileRecord, opts: VerifyOptions): Promise<IntegrityProblem[]> {
  const abs = layout.absolute(f.path);
  let size: number;
  try {
    size = (await stat(abs)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return [{ kind: 'missing_file', path: f.path, detail: `referenced since snapshot ${f.addedSnapshot} (${f.rowCount} rows, ${f.byteSize} bytes), not on disk` }];
    }
    return [{ kind: 'unreadable_file', path: f.path, detail: (err as Error).message }];
  }
  if (size !== f.byteSize) {
    return [{ kind: 'size_mismatch', path: f.path, detail: `catalog says ${f.byteSize} bytes, disk has ${size} bytes` }];
  }
  if (!opts.deep) return [];
  const problems: IntegrityProblem[] = [];
  const sum = await fileCrc32(abs);
  if (sum !== f.checksum) problems.push({ kind: 'checksum_mismatch', path: f.path, detail: `catalog says CRC-32 ${f.checksum}, disk has ${sum}` });
  if (opts.inspector) {
    try {
      const rows = await opts.inspector.rowCount(abs);
      if (rows !== f.rowCount) problems.push({ kind: 'row_count_mismatch', path: f.path, detail: `catalog says ${f.rowCount} rows, the Parquet footer says ${rows}` });
    } catch (err) {
      problems.push({ kind: 'unreadable_file', path: f.path, detail: `not readable as Parquet: ${firstLine((err as Error).message)}` });
    }
  }
  return problems;
}

/**
 * Checks every file the catalog lists (existence and size; `deep` also re-reads each file for its
 * checksum). Kept for callers that want the simple form; `duckmesh check` (src/ops/check.ts) checks
 * only the files retained snapshots reference, and row counts too.
 */
export async function checkFiles(catalog: Catalog, layout: DataLayout, opts: { deep: boolean }): Promise<IntegrityProblem[]> {
  const problems: IntegrityProblem[] = [];
  for (const f of await catalog.allFiles()) {
    const abs = layout.absolute(f.path);
    if (!existsSync(abs)) {
      problems.push({ kind: 'missing_file', path: f.path, detail: `referenced since snapshot ${f.addedSnapshot}` });
      continue;
    }
    const size = statSync(abs).size;
    if (size !== f.byteSize) {
      problems.push({ kind: 'size_mismatch', path: f.path, detail: `catalog ${f.byteSize} bytes, disk ${size} bytes` });
      continue;
    }
    if (opts.deep) {
      const sum = await fileCrc32(abs);
      if (sum !== f.checksum) problems.push({ kind: 'checksum_mismatch', path: f.path, detail: `catalog ${f.checksum}, disk ${sum}` });
    }
  }
  return problems;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
