import type { DuckDBDataChunk, DuckDBValue, DuckDBVector } from '@duckdb/node-api';
import type { FieldDesc } from '../../session/results.js';
import { binaryEncoderFor } from '../../types/binary-encode.js';
import { describeDuckDBType } from '../../types/result-types.js';
import { textEncoderFor } from '../../types/text-encode.js';
import type { BackendWriter, FieldDescription } from '../codec/backend.js';
import { vectorEncoderFor, type BoundColumn, type VectorColumnEncoder } from './vector-encoders.js';

type FieldWriter = (w: BackendWriter, v: DuckDBValue) => void;
type RowLoop = (w: BackendWriter, cols: BoundColumn[], from: number, to: number) => void;

function writeRowsGeneric(w: BackendWriter, cols: BoundColumn[], from: number, to: number): void {
  const n = cols.length;
  for (let r = from; r < to; r++) {
    w.beginDataRow(n);
    const byte = r >>> 3;
    const bit = 1 << (r & 7);
    for (let c = 0; c < n; c++) {
      const col = cols[c]!;
      const valid = col.validity;
      if (valid !== null && (valid[byte]! & bit) === 0) w.fieldNull();
      else col.write(w, r);
    }
    w.endDataRow();
  }
}

/** Wider results use the generic loop (the specialized one is unrolled per column). */
const MAX_SPECIALIZED_COLUMNS = 64;
const MAX_SPECIALIZED_LOOPS = 256;
const loops = new Map<string, RowLoop>();
const classIds = new WeakMap<object, number>();
let nextClassId = 1;

function classId(c: BoundColumn): number {
  const ctor = c.constructor;
  let id = classIds.get(ctor);
  if (id === undefined) {
    id = nextClassId++;
    classIds.set(ctor, id);
  }
  return id;
}

/** False once code generation turned out to be disallowed: every result uses the generic loop. */
let codegen = true;

/**
 * The row loop unrolled for one sequence of column encoder classes, compiled once per sequence.
 * In the generic loop every `col.write` / `col.validity` site sees every encoder class, so V8
 * dispatches megamorphically per field; here each site sees one class and inlines its write.
 * The generated source contains only column indexes.
 */
function specializedLoop(cols: BoundColumn[]): RowLoop | null {
  if (!codegen) return null;
  let key = '';
  for (const c of cols) key += `${classId(c)},`;
  let loop = loops.get(key);
  if (loop === undefined) {
    const n = cols.length;
    let src = '';
    for (let c = 0; c < n; c++) src += `const c${c} = cols[${c}], v${c} = c${c}.validity;\n`;
    src += `for (let r = from; r < to; r++) {\nw.beginDataRow(${n});\nconst byte = r >>> 3, bit = 1 << (r & 7);\n`;
    for (let c = 0; c < n; c++) src += `if (v${c} !== null && (v${c}[byte] & bit) === 0) w.fieldNull(); else c${c}.write(w, r);\n`;
    src += 'w.endDataRow();\n}';
    try {
      loop = new Function('w', 'cols', 'from', 'to', src) as RowLoop;
    } catch {
      // Code generation from strings disallowed (--disallow-code-generation-from-strings).
      codegen = false;
      return null;
    }
    if (loops.size >= MAX_SPECIALIZED_LOOPS) loops.clear();
    loops.set(key, loop);
  }
  return loop;
}

/** The generic path for one column of one chunk: node-api's getItem() and a value encoder. */
class ItemColumn implements BoundColumn {
  readonly validity = null;
  constructor(
    private readonly vector: DuckDBVector,
    private readonly writer: FieldWriter,
  ) {}

  write(w: BackendWriter, row: number): void {
    const v = this.vector.getItem(row) as DuckDBValue;
    if (v === null) w.fieldNull();
    else this.writer(w, v);
  }
}

/**
 * Encodes result rows into DataRow messages for one result shape. Encoders are chosen once per
 * result (per column and format), then the loop is allocation-light and synchronous: an async
 * step per row costs ~30 % throughput.
 *
 * Chunk columns of the common scalar types are encoded straight from the vectors' memory
 * (vector-encoders.ts); the rest, or every column when raw access is unavailable, go through
 * node-api's getItem() and the value encoders of text-encode.ts / binary-encode.ts. Both paths
 * produce the same bytes.
 */
export class RowEncoder {
  readonly description: FieldDescription[];
  private readonly writers: FieldWriter[];
  /** Raw-vector encoder per column, or null (getItem path). */
  private readonly fast: (VectorColumnEncoder | null)[];
  private readonly bound: BoundColumn[];

  constructor(fields: FieldDesc[], resultFormats: number[]) {
    const formatOf = (i: number): number =>
      resultFormats.length === 0 ? 0 : resultFormats.length === 1 ? resultFormats[0]! : resultFormats[i] ?? 0;
    this.description = fields.map((f, i) => {
      const d = f.type ? describeDuckDBType(f.type) : { typeOid: 25, typeLen: -1, typeMod: -1 };
      return { name: f.name, tableOid: f.tableOid, columnAttr: f.columnAttr, ...d, format: formatOf(i) };
    });
    this.writers = fields.map((f, i) => {
      if (formatOf(i) === 1) {
        if (!f.type) return (w, v) => w.fieldString(String(v));
        const enc = binaryEncoderFor(f.type);
        return (w, v) => w.fieldBytes(enc(v));
      }
      if (!f.type) return (w, v) => w.fieldString(String(v));
      const enc = textEncoderFor(f.type);
      return (w, v) => w.fieldString(enc(v));
    });
    this.fast = fields.map((f, i) => (f.type ? vectorEncoderFor(f.type, formatOf(i)) : null));
    this.bound = new Array<BoundColumn>(fields.length);
  }

  /** Writes rows [from, to) of a chunk; returns how many were written. */
  writeChunk(w: BackendWriter, chunk: DuckDBDataChunk, from: number, to: number): number {
    const n = this.writers.length;
    const cols = this.bound;
    const rowCount = chunk.rowCount;
    for (let c = 0; c < n; c++) {
      const f = this.fast[c]!;
      cols[c] = f !== null && f.bind(chunk, c, rowCount, from, to) ? f : new ItemColumn(chunk.getColumnVector(c), this.writers[c]!);
    }
    try {
      const loop = n <= MAX_SPECIALIZED_COLUMNS ? specializedLoop(cols) : null;
      if (loop !== null) loop(w, cols, from, to);
      else writeRowsGeneric(w, cols, from, to);
    } finally {
      // The fast encoders keep this chunk bound: the next call may write more of it.
      cols.fill(undefined as unknown as BoundColumn);
    }
    return to - from;
  }

  /** Writes server-produced text rows. */
  writeStatic(w: BackendWriter, rows: (string | null)[][], from: number, to: number): number {
    for (let r = from; r < to; r++) {
      const row = rows[r]!;
      w.beginDataRow(row.length);
      for (const v of row) {
        if (v === null) w.fieldNull();
        else w.fieldString(v);
      }
      w.endDataRow();
    }
    return to - from;
  }
}
