import type { DuckDBDataChunk, DuckDBType } from '@duckdb/node-api';

/** One column of a result, as the wire layer describes it. `type` null = text. */
export interface FieldDesc {
  name: string;
  type: DuckDBType | null;
  tableOid: number;
  columnAttr: number;
}

/** Rows that the server produced itself (SHOW, catalog answers): text values. */
export interface StaticRows {
  kind: 'static';
  rows: (string | null)[][];
}

export interface ChunkRows {
  kind: 'chunk';
  chunk: DuckDBDataChunk;
  /** Row range of the chunk to send (cursors hand out parts of a chunk); default all rows. */
  from?: number;
  to?: number;
}

/** A pull-based row stream: the wire layer asks for the next batch when the socket can take it. */
export interface RowSource {
  next(): Promise<StaticRows | ChunkRows | null>;
  /** Releases the snapshot pin and the statement timer; idempotent. */
  close(): void;
}

/**
 * COPY FROM STDIN: the wire layer announces CopyInResponse, feeds every CopyData to `write`
 * and calls `finish` on CopyDone (returns the command tag) or `abort` on CopyFail/disconnect.
 */
export interface CopyInSink {
  format: 0 | 1;
  columnCount: number;
  /** Throws (DuckMeshError) on the first malformed row; the COPY is then over. */
  write(data: Buffer): void;
  finish(): Promise<string>;
  abort(): void;
}

/** COPY TO STDOUT: one CopyData message per row, as Postgres sends (some clients rely on it). */
export interface CopyOutSource {
  format: 0 | 1;
  columnCount: number;
  /** The next batch of encoded rows (each one CopyData), or null at the end. */
  next(): Promise<Buffer[] | null>;
  /** Rows produced so far (for the `COPY n` tag). */
  readonly rows: number;
  close(): void;
}

export type ExecResult =
  | { kind: 'command'; tag: string }
  | {
      kind: 'rows';
      fields: FieldDesc[];
      source: RowSource;
      /** Command tag verb, e.g. SELECT, FETCH; SHOW has no row count in its tag. */
      tag: string;
      /** Result formats chosen by the statement itself (FETCH from a BINARY cursor). */
      formats?: number[];
    }
  | { kind: 'copyIn'; sink: CopyInSink }
  | { kind: 'copyOut'; source: CopyOutSource }
  | { kind: 'empty' };

export function staticSource(rows: (string | null)[][]): RowSource {
  let done = false;
  return {
    async next() {
      if (done) return null;
      done = true;
      return { kind: 'static', rows };
    },
    close() {
      done = true;
    },
  };
}

export function textFields(names: string[]): FieldDesc[] {
  return names.map((name) => ({ name, type: null, tableOid: 0, columnAttr: 0 }));
}

/** Rows from chunks held in memory (the result cache): shared read-only, never closed for good. */
export function chunkListSource(chunks: readonly DuckDBDataChunk[]): RowSource {
  let i = 0;
  return {
    async next() {
      return i < chunks.length ? { kind: 'chunk', chunk: chunks[i++]! } : null;
    },
    close() {
      i = chunks.length;
    },
  };
}

/**
 * Passes a source through and remembers its chunks; when it ends complete with at most `maxRows`
 * rows, hands them to `done` (a result abandoned half-way or too large is not kept).
 */
export function recordingSource(source: RowSource, maxRows: number, done: (chunks: DuckDBDataChunk[], rows: number) => void): RowSource {
  let chunks: DuckDBDataChunk[] | null = [];
  let rows = 0;
  return {
    async next() {
      const batch = await source.next();
      if (!chunks) return batch;
      if (batch === null) {
        done(chunks, rows);
        chunks = null;
      } else if (batch.kind !== 'chunk' || batch.from !== undefined || batch.to !== undefined || rows + batch.chunk.rowCount > maxRows) {
        chunks = null;
      } else {
        chunks.push(batch.chunk);
        rows += batch.chunk.rowCount;
      }
      return batch;
    },
    close() {
      chunks = null;
      source.close();
    },
  };
}
