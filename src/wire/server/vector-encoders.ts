/**
 * DataRow fields encoded straight from a chunk's column memory (see vector-access.ts), without
 * building a JS value per item: fixed-width types are read from typed-array views over the
 * vector, VARCHAR/BLOB bytes are copied (inline ones from the vector itself), and text forms
 * are written digit by digit into the output buffer.
 *
 * Every encoder produces exactly the bytes of the generic path (getItem() + textEncoderFor /
 * binaryEncoderFor); values a fast writer does not cover with plain doubles (e.g. timestamps
 * outside ±142 years of 1970 in binary, BIGINT beyond 2^53 in text) use the generic formatter on
 * the raw value. Types without a fast encoder (nested types, HUGEINT, TIME_TZ, …) return null from
 * vectorEncoderFor() and stay on getItem(). test/wire/row-encoder-fast.test.ts compares both
 * paths type by type.
 *
 * One encoder object per result column is re-bound to each chunk (bind), so the steady state
 * allocates only the column data and typed-array views, once per chunk and column.
 */
import { DuckDBTypeId, type DuckDBDataChunk, type DuckDBEnumType, type DuckDBType } from '@duckdb/node-api';
import { encodeDateDays, encodeNumericBinary, encodeTimestampMicros } from '../../types/binary-encode.js';
import { MAX_NUMERIC_SAFE_BINARY, writeInt32BE, writeNumericBinary, writeSafeInt64BE } from '../../types/binary-write.js';
import { DUCK_DATE_NEG_INF, DUCK_DATE_POS_INF, INT32_MAX, INT32_MIN, PG_EPOCH_DAYS } from '../../types/calendar.js';
import {
  formatDecimal, formatFloat4, formatInterval, formatTimeMicros, formatTimestampMicros, formatTimestampTZMicros,
} from '../../types/text-encode.js';
import {
  MAX_DATE_TEXT, MAX_FLOAT8_TEXT, MAX_SAFE_INT_TEXT, MAX_TIME_TEXT, MAX_TIMESTAMP_TEXT, POW10, UUID_TEXT,
  writeDateDays, writeDecimal, writeFloat8, writeHex, writeInt, writeTimeMicros, writeTimestampMicros, writeUuidText,
} from '../../types/text-write.js';
import { millisToMicros, nanosToMicros, secondsToMicros } from '../../types/timestamp-units.js';
import type { BackendWriter } from '../codec/backend.js';
import { PointedStrings, pointedStringBytes, rawColumn, SIZEOF_BOOL } from './vector-access.js';

/** A column encoder bound to one chunk. */
export interface BoundColumn {
  /** Validity bitmask (row r valid iff bit r & 7 of byte r >> 3 is set); null = no NULLs here. */
  readonly validity: Uint8Array | null;
  /** Writes row `row` (known non-NULL when validity is non-null) as one DataRow field. */
  write(w: BackendWriter, row: number): void;
}

export interface VectorColumnEncoder extends BoundColumn {
  /**
   * Binds to column `column` of `chunk` for writing rows [from, to); false when its raw memory
   * is not available.
   */
  bind(chunk: DuckDBDataChunk, column: number, rowCount: number, from: number, to: number): boolean;
  /** Drops the bound chunk and its data. */
  unbind(): void;
}

const EMPTY: Uint8Array = new Uint8Array(0);
const EMPTY_I32: Int32Array = new Int32Array(0);
const EMPTY_U32: Uint32Array = new Uint32Array(0);
const EMPTY_I64: BigInt64Array = new BigInt64Array(0);

/** 2^21: an int64 whose high word is in [-2^21, 2^21) is a safe integer (|v| < 2^53). */
const SAFE_HI = 2097152;
/** 2^20: |v| < 2^52, so that adding Postgres' epoch shift stays exact. */
const SAFE_HI_SHIFT = 1048576;
const PG_EPOCH_MICROS_NUM = 946_684_800_000_000;

abstract class Base implements VectorColumnEncoder {
  validity: Uint8Array | null = null;
  /** Bytes per row in the vector. */
  protected abstract readonly width: number;
  /**
   * The chunk bound last: cursors and row-limited portals write one chunk in several pieces,
   * and its column data (a copy made by the bindings) is read once. Holding the chunk also
   * keeps the memory that non-inlined strings point into alive.
   */
  private chunk: DuckDBDataChunk | null = null;
  private column = -1;
  private rows = -1;

  bind(chunk: DuckDBDataChunk, column: number, rowCount: number, from: number, to: number): boolean {
    if (chunk !== this.chunk || column !== this.column || rowCount !== this.rows) {
      this.unbind();
      const raw = rawColumn(chunk, column, rowCount, this.width);
      if (raw === null) return false;
      try {
        this.setData(raw.data, rowCount);
      } catch {
        // A misaligned view (typed arrays need aligned offsets): use getItem() for this chunk.
        this.unbind();
        return false;
      }
      this.validity = raw.validity;
      this.chunk = chunk;
      this.column = column;
      this.rows = rowCount;
    }
    this.prepare(rowCount, from, to);
    return true;
  }

  /** Per-call work after binding (rows [from, to) will be written). */
  protected prepare(_rowCount: number, _from: number, _to: number): void {}

  unbind(): void {
    this.chunk = null;
    this.column = -1;
    this.rows = -1;
    this.validity = null;
    this.setData(EMPTY, 0);
  }

  protected abstract setData(data: Uint8Array, rowCount: number): void;
  abstract write(w: BackendWriter, row: number): void;
}

// ------------------------------------------------------------------------------------ views

function i8(d: Uint8Array, n: number): Int8Array {
  return new Int8Array(d.buffer, d.byteOffset, n);
}
function i16(d: Uint8Array, n: number): Int16Array {
  return new Int16Array(d.buffer, d.byteOffset, n);
}
function u16(d: Uint8Array, n: number): Uint16Array {
  return new Uint16Array(d.buffer, d.byteOffset, n);
}
function i32(d: Uint8Array, n: number): Int32Array {
  return new Int32Array(d.buffer, d.byteOffset, n);
}
function u32(d: Uint8Array, n: number): Uint32Array {
  return new Uint32Array(d.buffer, d.byteOffset, n);
}
function i64(d: Uint8Array, n: number): BigInt64Array {
  return new BigInt64Array(d.buffer, d.byteOffset, n);
}
function u8(d: Uint8Array, n: number): Uint8Array {
  return new Uint8Array(d.buffer, d.byteOffset, n);
}

function textInt(w: BackendWriter, v: number): void {
  const p = w.reserveField(MAX_SAFE_INT_TEXT);
  w.commitField(writeInt(w.buffer, p, v));
}

/** `count` bytes of src from `start`, reversed (little-endian storage → big-endian wire). */
function fieldReversed(w: BackendWriter, src: Uint8Array, start: number, count: number): void {
  const p = w.reserveField(count);
  const b = w.buffer;
  for (let i = 0; i < count; i++) b[p + i] = src[start + count - 1 - i]!;
  w.commitField(p + count);
}

// ------------------------------------------------------------------------------------ text

class BoolText extends Base {
  protected readonly width = 1;
  private a = EMPTY;
  protected setData(d: Uint8Array, n: number): void {
    this.a = u8(d, n);
  }
  write(w: BackendWriter, r: number): void {
    const p = w.reserveField(1);
    w.buffer[p] = this.a[r] !== 0 ? 0x74 /* t */ : 0x66 /* f */;
    w.commitField(p + 1);
  }
}

class Int8Text extends Base {
  protected readonly width = 1;
  private a: Int8Array = new Int8Array(0);
  protected setData(d: Uint8Array, n: number): void {
    this.a = i8(d, n);
  }
  write(w: BackendWriter, r: number): void {
    textInt(w, this.a[r]!);
  }
}

class Int16Text extends Base {
  protected readonly width = 2;
  private a: Int16Array = new Int16Array(0);
  protected setData(d: Uint8Array, n: number): void {
    this.a = i16(d, n);
  }
  write(w: BackendWriter, r: number): void {
    textInt(w, this.a[r]!);
  }
}

class Int32Text extends Base {
  protected readonly width = 4;
  private a = EMPTY_I32;
  protected setData(d: Uint8Array, n: number): void {
    this.a = i32(d, n);
  }
  write(w: BackendWriter, r: number): void {
    textInt(w, this.a[r]!);
  }
}

class UInt8Text extends Base {
  protected readonly width = 1;
  private a = EMPTY;
  protected setData(d: Uint8Array, n: number): void {
    this.a = u8(d, n);
  }
  write(w: BackendWriter, r: number): void {
    textInt(w, this.a[r]!);
  }
}

class UInt16Text extends Base {
  protected readonly width = 2;
  private a: Uint16Array = new Uint16Array(0);
  protected setData(d: Uint8Array, n: number): void {
    this.a = u16(d, n);
  }
  write(w: BackendWriter, r: number): void {
    textInt(w, this.a[r]!);
  }
}

class UInt32Text extends Base {
  protected readonly width = 4;
  private a = EMPTY_U32;
  protected setData(d: Uint8Array, n: number): void {
    this.a = u32(d, n);
  }
  write(w: BackendWriter, r: number): void {
    textInt(w, this.a[r]!);
  }
}

/** BIGINT / UBIGINT: digits from the two 32-bit words while safe, else the bigint's own digits. */
class Int64Text extends Base {
  protected readonly width = 8;
  private words = EMPTY_I32;
  private big: BigInt64Array | BigUint64Array = EMPTY_I64;
  constructor(private readonly unsigned: boolean) {
    super();
  }
  protected setData(d: Uint8Array, n: number): void {
    this.words = i32(d, n * 2);
    this.big = this.unsigned ? new BigUint64Array(d.buffer, d.byteOffset, n) : i64(d, n);
  }
  write(w: BackendWriter, r: number): void {
    const hi = this.unsigned ? this.words[2 * r + 1]! >>> 0 : this.words[2 * r + 1]!;
    const lo = this.words[2 * r]!;
    if (hi === 0 && lo >= 0) textInt(w, lo);
    else if (hi >= -SAFE_HI && hi < SAFE_HI) textInt(w, hi * 4294967296 + (lo >>> 0));
    else w.fieldAscii(`${this.big[r]!}`);
  }
}

class Float4Text extends Base {
  protected readonly width = 4;
  private a: Float32Array = new Float32Array(0);
  protected setData(d: Uint8Array, n: number): void {
    this.a = new Float32Array(d.buffer, d.byteOffset, n);
  }
  write(w: BackendWriter, r: number): void {
    w.fieldAscii(formatFloat4(this.a[r]!));
  }
}

class Float8Text extends Base {
  protected readonly width = 8;
  private a: Float64Array = new Float64Array(0);
  protected setData(d: Uint8Array, n: number): void {
    this.a = new Float64Array(d.buffer, d.byteOffset, n);
  }
  write(w: BackendWriter, r: number): void {
    const p = w.reserveField(MAX_FLOAT8_TEXT);
    w.commitField(writeFloat8(w.buffer, p, this.a[r]!));
  }
}

/** Longest writeDecimal() text of a safe integer: sign, 16 digits or "0", point, `scale` digits. */
function decimalTextMax(scale: number): number {
  return MAX_SAFE_INT_TEXT + 2 + scale;
}

/** DECIMAL stored as int16/int32 (width ≤ 9). */
class DecimalSmallText extends Base {
  protected readonly width: number;
  private a: Int16Array | Int32Array = EMPTY_I32;
  private readonly pow: number;
  constructor(bytes: 2 | 4, private readonly scale: number) {
    super();
    this.width = bytes;
    this.pow = POW10[scale]!;
  }
  protected setData(d: Uint8Array, n: number): void {
    this.a = this.width === 2 ? i16(d, n) : i32(d, n);
  }
  write(w: BackendWriter, r: number): void {
    const p = w.reserveField(decimalTextMax(this.scale));
    w.commitField(writeDecimal(w.buffer, p, this.a[r]!, this.scale, this.pow));
  }
}

/** DECIMAL stored as int64 (width 10–18). */
class Decimal64Text extends Base {
  protected readonly width = 8;
  private words = EMPTY_I32;
  private big = EMPTY_I64;
  private readonly pow: number;
  constructor(private readonly scale: number) {
    super();
    this.pow = POW10[scale]!;
  }
  protected setData(d: Uint8Array, n: number): void {
    this.words = i32(d, n * 2);
    this.big = i64(d, n);
  }
  write(w: BackendWriter, r: number): void {
    const hi = this.words[2 * r + 1]!;
    if (hi >= -SAFE_HI && hi < SAFE_HI) {
      const p = w.reserveField(decimalTextMax(this.scale));
      w.commitField(writeDecimal(w.buffer, p, hi * 4294967296 + (this.words[2 * r]! >>> 0), this.scale, this.pow));
    } else {
      w.fieldAscii(formatDecimal(this.big[r]!, this.scale));
    }
  }
}

class DateText extends Base {
  protected readonly width = 4;
  private a = EMPTY_I32;
  protected setData(d: Uint8Array, n: number): void {
    this.a = i32(d, n);
  }
  write(w: BackendWriter, r: number): void {
    const p = w.reserveField(MAX_DATE_TEXT);
    w.commitField(writeDateDays(w.buffer, p, this.a[r]!));
  }
}

class TimeText extends Base {
  protected readonly width = 8;
  private words = EMPTY_I32;
  private big = EMPTY_I64;
  protected setData(d: Uint8Array, n: number): void {
    this.words = i32(d, n * 2);
    this.big = i64(d, n);
  }
  write(w: BackendWriter, r: number): void {
    const hi = this.words[2 * r + 1]!;
    if (hi >= 0 && hi < SAFE_HI) {
      const p = w.reserveField(MAX_TIME_TEXT);
      w.commitField(writeTimeMicros(w.buffer, p, hi * 4294967296 + (this.words[2 * r]! >>> 0)));
    } else {
      w.fieldAscii(formatTimeMicros(Number(this.big[r]!)));
    }
  }
}

/**
 * TIMESTAMP variants: the stored count times `unitMicros` (1e6 for _S, 1e3 for _MS, 1 for µs)
 * while that is a safe integer; otherwise (and for _NS, and ±infinity) the bigint formatter.
 */
class TimestampText extends Base {
  protected readonly width = 8;
  private words = EMPTY_I32;
  private big = EMPTY_I64;
  /** Largest |stored value| converted with doubles. */
  private readonly limit: number;
  constructor(
    private readonly unitMicros: number,
    private readonly toMicros: ((v: bigint) => bigint) | null,
    private readonly tz: boolean,
  ) {
    super();
    this.limit = unitMicros === 0 ? -1 : Math.floor(9e15 / unitMicros);
  }
  protected setData(d: Uint8Array, n: number): void {
    this.words = i32(d, n * 2);
    this.big = i64(d, n);
  }
  write(w: BackendWriter, r: number): void {
    const hi = this.words[2 * r + 1]!;
    if (hi >= -SAFE_HI && hi < SAFE_HI) {
      const v = hi * 4294967296 + (this.words[2 * r]! >>> 0);
      if (v <= this.limit && v >= -this.limit) {
        const p = w.reserveField(MAX_TIMESTAMP_TEXT);
        w.commitField(writeTimestampMicros(w.buffer, p, v * this.unitMicros, this.tz));
        return;
      }
    }
    const raw = this.big[r]!;
    const us = this.toMicros === null ? raw : this.toMicros(raw);
    w.fieldAscii(this.tz ? formatTimestampTZMicros(us) : formatTimestampMicros(us));
  }
}

class IntervalText extends Base {
  protected readonly width = 16;
  private words = EMPTY_I32;
  private big = EMPTY_I64;
  protected setData(d: Uint8Array, n: number): void {
    this.words = i32(d, n * 4);
    this.big = i64(d, n * 2);
  }
  write(w: BackendWriter, r: number): void {
    w.fieldAscii(formatInterval(this.words[4 * r]!, this.words[4 * r + 1]!, this.big[2 * r + 1]!));
  }
}

class UuidText extends Base {
  protected readonly width = 16;
  private a = EMPTY;
  protected setData(d: Uint8Array, n: number): void {
    this.a = u8(d, n * 16);
  }
  write(w: BackendWriter, r: number): void {
    const p = w.reserveField(UUID_TEXT);
    w.commitField(writeUuidText(w.buffer, p, this.a, r * 16));
  }
}

/**
 * duckdb_string_t columns: VARCHAR (text and binary alike: the UTF-8 bytes), BLOB (raw bytes in
 * binary, `\x` hex in text). Inline values (≤ 12 bytes) are copied from the vector itself.
 */
class StringColumn extends Base {
  protected readonly width = 16;
  private a = EMPTY;
  private lens = EMPTY_U32;
  /** Bytes of the non-inlined strings, read per chunk in a few ranges. */
  private readonly pointed = new PointedStrings();
  constructor(private readonly hex: boolean) {
    super();
  }
  protected setData(d: Uint8Array, n: number): void {
    this.a = u8(d, n * 16);
    this.lens = u32(d, n * 4);
    if (n === 0) this.pointed.clear();
  }
  protected override prepare(rowCount: number, from: number, to: number): void {
    this.pointed.read(this.lens, this.validity, rowCount, from, to);
  }
  write(w: BackendWriter, r: number): void {
    const len = this.lens[r * 4]!;
    let src = this.a;
    let o = r * 16 + 4;
    if (len > 12) {
      const k = this.pointed.block[r]!;
      if (k >= 0) {
        src = this.pointed.blocks[k]!;
        o = this.pointed.offset[r]!;
      } else {
        src = pointedStringBytes(this.a, r * 16, len);
        o = 0;
      }
    }
    if (this.hex) {
      const p = w.reserveField(2 + 2 * len);
      const b = w.buffer;
      b[p] = 0x5c; /* \ */
      b[p + 1] = 0x78; /* x */
      w.commitField(writeHex(b, p + 2, src, o, len));
      return;
    }
    const p = w.reserveField(len);
    const b = w.buffer;
    if (len <= 64) {
      for (let i = 0; i < len; i++) b[p + i] = src[o + i]!;
    } else {
      b.set(new Uint8Array(src.buffer, src.byteOffset + o, len), p);
    }
    w.commitField(p + len);
  }
}

/** ENUM: dictionary indexes; each member's UTF-8 is encoded once. */
class EnumColumn extends Base {
  protected readonly width: number;
  private a: Uint8Array | Uint16Array | Uint32Array = EMPTY;
  private readonly encoded: Buffer[];
  constructor(bytes: 1 | 2 | 4, values: readonly string[]) {
    super();
    this.width = bytes;
    this.encoded = values.map((v) => Buffer.from(v, 'utf8'));
  }
  protected setData(d: Uint8Array, n: number): void {
    this.a = this.width === 1 ? u8(d, n) : this.width === 2 ? u16(d, n) : u32(d, n);
  }
  write(w: BackendWriter, r: number): void {
    const bytes = this.encoded[this.a[r]!];
    if (bytes === undefined) throw new Error(`ENUM index ${this.a[r]} out of range`);
    w.fieldBytes(bytes);
  }
}

// ------------------------------------------------------------------------------------ binary

class BoolBinary extends Base {
  protected readonly width = 1;
  private a = EMPTY;
  protected setData(d: Uint8Array, n: number): void {
    this.a = u8(d, n);
  }
  write(w: BackendWriter, r: number): void {
    w.fieldBinaryBool(this.a[r] !== 0);
  }
}

/** TINYINT/SMALLINT → int2; INTEGER/UTINYINT/USMALLINT → int4; UINTEGER → int8. */
class SmallIntBinary extends Base {
  protected readonly width: number;
  private a: Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array = EMPTY;
  constructor(private readonly typeId: DuckDBTypeId) {
    super();
    this.width = smallIntWidth(typeId);
  }
  protected setData(d: Uint8Array, n: number): void {
    switch (this.typeId) {
      case DuckDBTypeId.TINYINT: this.a = i8(d, n); break;
      case DuckDBTypeId.SMALLINT: this.a = i16(d, n); break;
      case DuckDBTypeId.INTEGER: this.a = i32(d, n); break;
      case DuckDBTypeId.UTINYINT: this.a = u8(d, n); break;
      case DuckDBTypeId.USMALLINT: this.a = u16(d, n); break;
      default: this.a = u32(d, n);
    }
  }
  write(w: BackendWriter, r: number): void {
    const v = this.a[r]!;
    switch (this.typeId) {
      case DuckDBTypeId.TINYINT:
      case DuckDBTypeId.SMALLINT:
        w.fieldBinaryInt16(v);
        return;
      case DuckDBTypeId.UINTEGER: {
        const p = w.reserveField(8);
        const b = w.buffer;
        writeInt32BE(b, p, 0);
        w.commitField(writeInt32BE(b, p + 4, v));
        return;
      }
      default:
        w.fieldBinaryInt32(v);
    }
  }
}

function smallIntWidth(t: DuckDBTypeId): number {
  return t === DuckDBTypeId.TINYINT || t === DuckDBTypeId.UTINYINT ? 1
    : t === DuckDBTypeId.SMALLINT || t === DuckDBTypeId.USMALLINT ? 2 : 4;
}

/** BIGINT and TIME (int8 µs): the little-endian bytes reversed. */
class Int64Binary extends Base {
  protected readonly width = 8;
  private a = EMPTY;
  protected setData(d: Uint8Array, n: number): void {
    this.a = u8(d, n * 8);
  }
  write(w: BackendWriter, r: number): void {
    fieldReversed(w, this.a, r * 8, 8);
  }
}

class Float4Binary extends Base {
  protected readonly width = 4;
  private a: Float32Array = new Float32Array(0);
  protected setData(d: Uint8Array, n: number): void {
    this.a = new Float32Array(d.buffer, d.byteOffset, n);
  }
  write(w: BackendWriter, r: number): void {
    w.fieldBinaryFloat32(this.a[r]!);
  }
}

class Float8Binary extends Base {
  protected readonly width = 8;
  private a: Float64Array = new Float64Array(0);
  protected setData(d: Uint8Array, n: number): void {
    this.a = new Float64Array(d.buffer, d.byteOffset, n);
  }
  write(w: BackendWriter, r: number): void {
    w.fieldBinaryFloat64(this.a[r]!);
  }
}

class DateBinary extends Base {
  protected readonly width = 4;
  private a = EMPTY_I32;
  protected setData(d: Uint8Array, n: number): void {
    this.a = i32(d, n);
  }
  write(w: BackendWriter, r: number): void {
    const days = this.a[r]!;
    const pg = days === DUCK_DATE_POS_INF ? INT32_MAX : days === DUCK_DATE_NEG_INF ? INT32_MIN : days - PG_EPOCH_DAYS;
    // Out of int4 range: the generic encoder's RangeError, unchanged.
    if (pg < INT32_MIN) w.fieldBytes(encodeDateDays(days));
    else w.fieldBinaryInt32(pg);
  }
}

/** TIMESTAMP variants → int8 µs since 2000-01-01 (±infinity as INT64_MAX/MIN). */
class TimestampBinary extends Base {
  protected readonly width = 8;
  private words = EMPTY_I32;
  private big = EMPTY_I64;
  private readonly limit: number;
  constructor(
    private readonly unitMicros: number,
    private readonly toMicros: ((v: bigint) => bigint) | null,
  ) {
    super();
    this.limit = unitMicros === 0 ? -1 : Math.floor(4e15 / unitMicros);
  }
  protected setData(d: Uint8Array, n: number): void {
    this.words = i32(d, n * 2);
    this.big = i64(d, n);
  }
  write(w: BackendWriter, r: number): void {
    const hi = this.words[2 * r + 1]!;
    if (hi >= -SAFE_HI_SHIFT && hi < SAFE_HI_SHIFT) {
      const v = hi * 4294967296 + (this.words[2 * r]! >>> 0);
      if (v <= this.limit && v >= -this.limit) {
        const p = w.reserveField(8);
        w.commitField(writeSafeInt64BE(w.buffer, p, v * this.unitMicros - PG_EPOCH_MICROS_NUM));
        return;
      }
    }
    const raw = this.big[r]!;
    w.fieldBytes(encodeTimestampMicros(this.toMicros === null ? raw : this.toMicros(raw)));
  }
}

class IntervalBinary extends Base {
  protected readonly width = 16;
  private a = EMPTY;
  private words = EMPTY_I32;
  protected setData(d: Uint8Array, n: number): void {
    this.a = u8(d, n * 16);
    this.words = i32(d, n * 4);
  }
  write(w: BackendWriter, r: number): void {
    const p = w.reserveField(16);
    const b = w.buffer;
    const a = this.a;
    const o = r * 16 + 8;
    for (let i = 0; i < 8; i++) b[p + i] = a[o + 7 - i]!;
    writeInt32BE(b, p + 8, this.words[4 * r + 1]!);
    w.commitField(writeInt32BE(b, p + 12, this.words[4 * r]!));
  }
}

class UuidBinary extends Base {
  protected readonly width = 16;
  private a = EMPTY;
  protected setData(d: Uint8Array, n: number): void {
    this.a = u8(d, n * 16);
  }
  write(w: BackendWriter, r: number): void {
    const p = w.reserveField(16);
    const b = w.buffer;
    const a = this.a;
    const o = r * 16 + 15;
    for (let i = 0; i < 16; i++) b[p + i] = a[o - i]!;
    b[p] ^= 0x80;
    w.commitField(p + 16);
  }
}

/** numeric from DECIMAL (int16/32/64 storage) or UBIGINT (scale 0). */
class NumericBinary extends Base {
  protected readonly width: number;
  private a: Int16Array | Int32Array = EMPTY_I32;
  private big: BigInt64Array | BigUint64Array = EMPTY_I64;
  constructor(bytes: 2 | 4 | 8, private readonly scale: number, private readonly unsigned: boolean) {
    super();
    this.width = bytes;
  }
  protected setData(d: Uint8Array, n: number): void {
    if (this.width === 2) this.a = i16(d, n);
    else if (this.width === 4) this.a = i32(d, n);
    else {
      this.a = i32(d, n * 2);
      this.big = this.unsigned ? new BigUint64Array(d.buffer, d.byteOffset, n) : i64(d, n);
    }
  }
  write(w: BackendWriter, r: number): void {
    let v: number;
    if (this.width === 8) {
      const hi = this.unsigned ? this.a[2 * r + 1]! >>> 0 : this.a[2 * r + 1]!;
      if (hi < -SAFE_HI || hi >= SAFE_HI) {
        w.fieldBytes(encodeNumericBinary(BigInt(this.big[r]!), this.scale));
        return;
      }
      v = hi * 4294967296 + (this.a[2 * r]! >>> 0);
    } else {
      v = this.a[r]!;
    }
    const p = w.reserveField(MAX_NUMERIC_SAFE_BINARY);
    const end = writeNumericBinary(w.buffer, p, v, this.scale);
    if (end >= 0) w.commitField(end);
    else w.fieldBytes(encodeNumericBinary(BigInt(v), this.scale));
  }
}

// ------------------------------------------------------------------------------------ choice

function decimalStorage(width: number): 2 | 4 | 8 | 16 {
  return width <= 4 ? 2 : width <= 9 ? 4 : width <= 18 ? 8 : 16;
}

function enumStorage(t: DuckDBEnumType): 1 | 2 | 4 | null {
  switch (t.internalTypeId) {
    case DuckDBTypeId.UTINYINT: return 1;
    case DuckDBTypeId.USMALLINT: return 2;
    case DuckDBTypeId.UINTEGER: return 4;
    default: return null;
  }
}

const US_PER_S = 1_000_000;
const US_PER_MS = 1_000;

/**
 * A raw-vector encoder for a column of type `t` in result format `format` (0 text, 1 binary),
 * or null when the type has none (the caller uses getItem()).
 */
export function vectorEncoderFor(t: DuckDBType, format: number): VectorColumnEncoder | null {
  const binary = format === 1;
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      if (SIZEOF_BOOL !== 1) return null;
      return binary ? new BoolBinary() : new BoolText();
    case DuckDBTypeId.TINYINT:
      return binary ? new SmallIntBinary(t.typeId) : new Int8Text();
    case DuckDBTypeId.SMALLINT:
      return binary ? new SmallIntBinary(t.typeId) : new Int16Text();
    case DuckDBTypeId.INTEGER:
      return binary ? new SmallIntBinary(t.typeId) : new Int32Text();
    case DuckDBTypeId.UTINYINT:
      return binary ? new SmallIntBinary(t.typeId) : new UInt8Text();
    case DuckDBTypeId.USMALLINT:
      return binary ? new SmallIntBinary(t.typeId) : new UInt16Text();
    case DuckDBTypeId.UINTEGER:
      return binary ? new SmallIntBinary(t.typeId) : new UInt32Text();
    case DuckDBTypeId.BIGINT:
      return binary ? new Int64Binary() : new Int64Text(false);
    case DuckDBTypeId.UBIGINT:
      return binary ? new NumericBinary(8, 0, true) : new Int64Text(true);
    case DuckDBTypeId.FLOAT:
      return binary ? new Float4Binary() : new Float4Text();
    case DuckDBTypeId.DOUBLE:
      return binary ? new Float8Binary() : new Float8Text();
    case DuckDBTypeId.DECIMAL: {
      const storage = decimalStorage(t.width);
      if (storage === 16) return null;
      if (binary) return new NumericBinary(storage, t.scale, false);
      return storage === 8 ? new Decimal64Text(t.scale) : new DecimalSmallText(storage, t.scale);
    }
    case DuckDBTypeId.VARCHAR:
      return new StringColumn(false);
    case DuckDBTypeId.BLOB:
      return new StringColumn(!binary);
    case DuckDBTypeId.ENUM: {
      const storage = enumStorage(t);
      return storage === null ? null : new EnumColumn(storage, t.values);
    }
    case DuckDBTypeId.DATE:
      return binary ? new DateBinary() : new DateText();
    case DuckDBTypeId.TIME:
      return binary ? new Int64Binary() : new TimeText();
    case DuckDBTypeId.TIMESTAMP:
      return binary ? new TimestampBinary(1, null) : new TimestampText(1, null, false);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return binary ? new TimestampBinary(1, null) : new TimestampText(1, null, true);
    case DuckDBTypeId.TIMESTAMP_S:
      return binary ? new TimestampBinary(US_PER_S, secondsToMicros) : new TimestampText(US_PER_S, secondsToMicros, false);
    case DuckDBTypeId.TIMESTAMP_MS:
      return binary ? new TimestampBinary(US_PER_MS, millisToMicros) : new TimestampText(US_PER_MS, millisToMicros, false);
    case DuckDBTypeId.TIMESTAMP_NS:
      // Nanoseconds need a truncating division: always the bigint path (still no value object).
      return binary ? new TimestampBinary(0, nanosToMicros) : new TimestampText(0, nanosToMicros, false);
    case DuckDBTypeId.INTERVAL:
      return binary ? new IntervalBinary() : new IntervalText();
    case DuckDBTypeId.UUID:
      return binary ? new UuidBinary() : new UuidText();
    default:
      return null;
  }
}
