/**
 * Raw access to a result chunk's column memory: the one place that reaches below
 * @duckdb/node-api's value objects.
 *
 * node-api builds a JS value per item (getItem); the result path instead reads the vector's
 * data and validity mask directly through @duckdb/node-bindings, the C API mirror that node-api
 * itself is built on (duckdb_data_chunk_get_vector / duckdb_vector_get_data /
 * duckdb_vector_get_validity). The bindings are resolved from node-api's own location, so the
 * exact version node-api was built against is used. The chunk handle is node-api's public
 * `DuckDBDataChunk.chunk`.
 *
 * Layouts used (flat vectors, which is what result chunks are): fixed-width values packed
 * little-endian at `row × width`; VARCHAR/BLOB as 16-byte duckdb_string_t (uint32 length, then
 * ≤ 12 inline bytes, or a 4-byte prefix and a pointer); validity as a little-endian bitmask of
 * uint64 words, absent when every row is valid. The bindings hand out *copies* of the data and
 * validity (JS-owned memory), but the pointers inside non-inlined strings point into DuckDB's
 * memory: those are only followed while the chunk is referenced.
 *
 * Whenever something is not as expected (bindings missing or changed, no chunk handle, a
 * big-endian host, a short buffer) rawColumn() returns null and the caller falls back to
 * node-api's getItem(), which is always correct.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import type { DuckDBDataChunk } from '@duckdb/node-api';

interface Bindings {
  data_chunk_get_vector(chunk: unknown, column: number): unknown;
  vector_get_data(vector: unknown, byteCount: number): Uint8Array;
  vector_get_validity(vector: unknown, byteCount: number): Uint8Array | null | undefined;
  get_data_from_pointer(buffer: ArrayBuffer, pointerOffset: number, byteCount: number): Uint8Array;
  sizeof_bool: number;
}

function loadBindings(): Bindings | null {
  try {
    if (os.endianness() !== 'LE') return null;
    const fromHere = createRequire(import.meta.url);
    const fromNodeApi = createRequire(fromHere.resolve('@duckdb/node-api'));
    const b = fromNodeApi('@duckdb/node-bindings') as Partial<Bindings>;
    if (
      typeof b.data_chunk_get_vector !== 'function' ||
      typeof b.vector_get_data !== 'function' ||
      typeof b.vector_get_validity !== 'function' ||
      typeof b.get_data_from_pointer !== 'function'
    ) {
      return null;
    }
    return b as Bindings;
  } catch {
    return null;
  }
}

const bindings = loadBindings();
let enabled = bindings !== null;

/** sizeof(bool) in DuckDB's C API (1 on every supported platform; BOOLEAN is only fast when 1). */
export const SIZEOF_BOOL = bindings?.sizeof_bool ?? 0;

/** Whether raw vector access is in use (false: every column goes through getItem()). */
export function rawVectorAccessAvailable(): boolean {
  return enabled;
}

/** For tests: turn raw access off (to exercise the getItem fallback) or back on. */
export function setRawVectorAccess(on: boolean): void {
  enabled = on && bindings !== null;
}

export interface RawColumn {
  /** Exactly rowCount × width bytes of the vector's data, a view over the chunk's memory. */
  data: Uint8Array;
  /** Validity bitmask (bit r of byte r >> 3), or null when every row is valid. */
  validity: Uint8Array | null;
}

/**
 * The raw data of column `column` of `chunk` (width bytes per row), or null when raw access is
 * not possible. The views are valid while the chunk is.
 */
export function rawColumn(chunk: DuckDBDataChunk, column: number, rowCount: number, width: number): RawColumn | null {
  if (!enabled) return null;
  const handle = (chunk as { chunk?: unknown }).chunk;
  if (handle === null || handle === undefined) return null;
  try {
    const b = bindings!;
    const vector = b.data_chunk_get_vector(handle, column);
    const byteCount = rowCount * width;
    const data = b.vector_get_data(vector, byteCount);
    if (!(data instanceof Uint8Array) || data.byteLength < byteCount) return null;
    const words = Math.ceil(rowCount / 64);
    const validity = b.vector_get_validity(vector, words * 8) ?? null;
    if (validity !== null && (!(validity instanceof Uint8Array) || validity.byteLength < words * 8)) return null;
    return { data, validity };
  } catch {
    return null;
  }
}

/**
 * The bytes of a non-inlined string (length > 12) whose duckdb_string_t starts at byte `offset`
 * of `data` (a rawColumn() view): a copy made by the bindings from the string's pointer.
 */
export function pointedStringBytes(data: Uint8Array, offset: number, length: number): Uint8Array {
  return bindings!.get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + offset + 8, length);
}

// ------------------------------------------------------------------------------------ strings

/**
 * Non-inlined strings are copied out of DuckDB's memory a range at a time instead of one native
 * call per string (~0.7 µs each). Safety of a range read: memory is mapped in pages of at least
 * 4 KiB, and every live string's bytes are mapped. Strings are grouped by the 4 KiB-aligned
 * blocks their bytes touch; a run of consecutive touched blocks lies on mapped pages only (each
 * block holds a byte of a live string of this chunk, so its page is mapped), and a read goes
 * from the first string of a run to the end of its last string.
 */
const BLOCK = 4096;
const TWO_32 = 4294967296;

/** Where the bytes of each non-inlined string of a chunk column are (see read()). */
export class PointedStrings {
  /** Per row: index into `blocks`, or -1 (inline, NULL, or not resolved: read it by itself). */
  block: Int32Array = new Int32Array(0);
  /** Per row: offset of the string in its block. */
  offset: Uint32Array = new Uint32Array(0);
  blocks: Uint8Array[] = [];
  private ptrs = new Float64Array(0);
  /** Touched block numbers (consecutive duplicates dropped), then sorted. */
  private touched = new Float64Array(0);
  private readonly runFirst: number[] = [];
  private readonly runStart: number[] = [];
  private readonly runEnd: number[] = [];
  private readonly runBytes: number[] = [];
  private readonly runSlot: number[] = [];
  private readonly pointer = new Uint32Array(2);

  /** Drops the copied bytes. */
  clear(): void {
    this.blocks.length = 0;
  }

  /**
   * Copies the bytes of the non-inlined strings of rows [from, to). `words` is the column's
   * duckdb_string_t array as uint32 (length, prefix, pointer lo, pointer hi). Each string's
   * 4-byte prefix is checked against the copy; on a mismatch nothing is resolved (false) and
   * the caller reads every string by itself.
   */
  read(words: Uint32Array, validity: Uint8Array | null, rowCount: number, from: number, to: number): boolean {
    this.blocks.length = 0;
    if (this.block.length < rowCount) {
      this.block = new Int32Array(rowCount);
      this.offset = new Uint32Array(rowCount);
      this.ptrs = new Float64Array(rowCount);
      this.touched = new Float64Array(rowCount + 64);
    }
    const block = this.block;
    const ptrs = this.ptrs;
    block.fill(-1, from, to);
    let touched = this.touched;
    let t = 0;
    let prev = -1;
    for (let r = from; r < to; r++) {
      if (validity !== null && (validity[r >>> 3]! & (1 << (r & 7))) === 0) continue;
      const len = words[4 * r]!;
      if (len <= 12) {
        ptrs[r] = -1;
        continue;
      }
      const ptr = words[4 * r + 3]! * TWO_32 + words[4 * r + 2]!;
      ptrs[r] = ptr;
      const lastBlock = Math.floor((ptr + len - 1) / BLOCK);
      for (let b = Math.floor(ptr / BLOCK); b <= lastBlock; b++) {
        if (b === prev) continue;
        if (t === touched.length) {
          const grown = new Float64Array(touched.length * 2);
          grown.set(touched);
          touched = this.touched = grown;
        }
        touched[t++] = b;
        prev = b;
      }
    }
    if (t === 0) return true;
    const sorted = touched.subarray(0, t).sort();
    // Runs of consecutive block numbers.
    const runFirst = this.runFirst;
    const runStart = this.runStart;
    const runEnd = this.runEnd;
    const runBytes = this.runBytes;
    const runSlot = this.runSlot;
    runFirst.length = 0;
    runStart.length = 0;
    runEnd.length = 0;
    runBytes.length = 0;
    for (let i = 0; i < t; i++) {
      const b = sorted[i]!;
      if (i > 0 && b <= sorted[i - 1]! + 1) continue;
      runFirst.push(b);
      runStart.push(Infinity);
      runEnd.push(-Infinity);
      runBytes.push(0);
    }
    const runs = runFirst.length;
    // Each run's extent: from its first string's start to its last string's end.
    for (let r = from; r < to; r++) {
      if (validity !== null && (validity[r >>> 3]! & (1 << (r & 7))) === 0) continue;
      const ptr = ptrs[r]!;
      if (ptr < 0) continue;
      const k = runIndex(runFirst, runs, Math.floor(ptr / BLOCK));
      const len = words[4 * r]!;
      if (ptr < runStart[k]!) runStart[k] = ptr;
      if (ptr + len > runEnd[k]!) runEnd[k] = ptr + len;
      runBytes[k] += len;
    }
    const bindingsNow = bindings!;
    const pointer = this.pointer;
    runSlot.length = 0;
    for (let k = 0; k < runs; k++) {
      const start = runStart[k]!;
      const size = runEnd[k]! - start;
      // A run of a few strings spread over blocks would copy mostly gaps: read those one by one.
      if (size > 4 * runBytes[k]! + 2 * BLOCK) {
        runSlot.push(-1);
        continue;
      }
      const hi = Math.floor(start / TWO_32);
      pointer[0] = start - hi * TWO_32;
      pointer[1] = hi;
      runSlot.push(this.blocks.length);
      this.blocks.push(bindingsNow.get_data_from_pointer(pointer.buffer as ArrayBuffer, 0, size));
    }
    // Locate each string in its run's copy and check its prefix.
    const offset = this.offset;
    const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
    for (let r = from; r < to; r++) {
      if (validity !== null && (validity[r >>> 3]! & (1 << (r & 7))) === 0) continue;
      const ptr = ptrs[r]!;
      if (ptr < 0) continue;
      const k = runIndex(runFirst, runs, Math.floor(ptr / BLOCK));
      const slot = runSlot[k]!;
      if (slot < 0) continue;
      const blk = this.blocks[slot]!;
      const off = ptr - runStart[k]!;
      const p = 16 * r + 4;
      if (
        off + words[4 * r]! > blk.length ||
        blk[off] !== bytes[p] || blk[off + 1] !== bytes[p + 1] || blk[off + 2] !== bytes[p + 2] || blk[off + 3] !== bytes[p + 3]
      ) {
        block.fill(-1, from, to);
        this.blocks.length = 0;
        return false;
      }
      block[r] = slot;
      offset[r] = off;
    }
    return true;
  }
}

/** The run (by first block, ascending) that block `b` belongs to. */
function runIndex(runFirst: number[], runs: number, b: number): number {
  if (runs === 1) return 0;
  let lo = 0;
  let hi = runs - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (runFirst[mid]! <= b) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
