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
}

/** A pull-based row stream: the wire layer asks for the next batch when the socket can take it. */
export interface RowSource {
  next(): Promise<StaticRows | ChunkRows | null>;
  /** Releases the snapshot pin and the statement timer; idempotent. */
  close(): void;
}

export type ExecResult =
  | { kind: 'command'; tag: string }
  | { kind: 'rows'; fields: FieldDesc[]; source: RowSource; /** Command tag verb, e.g. SELECT, SHOW */ tag: string }
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
