/**
 * Writer for server→client (backend) messages of protocol v3.
 *
 * All messages go into one growable Buffer. flush() hands out the bytes written since the last
 * flush as a view and keeps writing *after* them in the same memory (bump allocation), so
 * flushing never copies; when the rest of the buffer could not hold another batch like the one
 * just flushed, the next one starts in a fresh buffer sized for a few (see renew()). Handed-out
 * bytes are never written again. flush() only ever returns complete messages: fixed-size messages are sized up
 * front, an open DataRow is held back, and a row abandoned by an exception (never ended) is
 * discarded by the next message written.
 *
 * The DataRow API (beginDataRow / field* / endDataRow) is the result-streaming hot path: strings
 * are encoded straight into the output with the length back-patched, with no temporary Buffers.
 */
import { DuckMeshError, SqlState } from '../../common/errors.js';

export interface FieldDescription {
  name: string;
  /** OID of the source table, or 0. */
  tableOid: number;
  /** Attribute number of the column in that table, or 0. */
  columnAttr: number;
  typeOid: number;
  /** pg_type.typlen: fixed size in bytes, -1 varlena, -2 cstring. */
  typeLen: number;
  /** Type modifier (atttypmod), -1 if none. */
  typeMod: number;
  /** 0 = text, 1 = binary. */
  format: number;
}

export type Severity = 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';

/** ErrorResponse / NoticeResponse fields (see "Error and Notice Message Fields" in the docs). */
export interface ErrorFields {
  severity: Severity;
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  /** 1-based character position in the query string. */
  position?: number | string;
  internalPosition?: number | string;
  internalQuery?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  file?: string;
  line?: number | string;
  routine?: string;
}

const INITIAL_CAPACITY = 64 * 1024;
/** After a flush, start a fresh buffer once less than this is left, rather than growing in place. */
const MIN_TAIL = 4 * 1024;
/** Fresh buffers sized for the next batches stay at most this large (a bigger batch grows it). */
const MAX_BATCH_CAPACITY = 8 * 1024 * 1024;
/** Above this many UTF-16 units, measure exactly instead of reserving 3 bytes per unit. */
const EXACT_MEASURE_THRESHOLD = 64 * 1024;
const MAX_INT16 = 0x7fff;
const EMPTY = Buffer.alloc(0);

// Node's Buffer.prototype.utf8Write/latin1Write skip the argument juggling of buf.write(); fall
// back to buf.write() if a runtime ever drops them.
type RawWrite = (this: Buffer, s: string, offset: number, maxBytes: number) => number;
const proto = Buffer.prototype as unknown as { utf8Write?: RawWrite; latin1Write?: RawWrite };
const utf8Write: RawWrite =
  proto.utf8Write ??
  function (this: Buffer, s: string, offset: number, max: number) {
    return this.write(s, offset, max, 'utf8');
  };
const latin1Write: RawWrite =
  proto.latin1Write ??
  function (this: Buffer, s: string, offset: number, max: number) {
    return this.write(s, offset, max, 'latin1');
  };

// Severity/field codes in the order Postgres emits them.
const ERROR_FIELD_CODES: ReadonlyArray<readonly [number, keyof ErrorFields]> = [
  [0x43 /* C */, 'code'],
  [0x4d /* M */, 'message'],
  [0x44 /* D */, 'detail'],
  [0x48 /* H */, 'hint'],
  [0x50 /* P */, 'position'],
  [0x70 /* p */, 'internalPosition'],
  [0x71 /* q */, 'internalQuery'],
  [0x57 /* W */, 'where'],
  [0x73 /* s */, 'schema'],
  [0x74 /* t */, 'table'],
  [0x63 /* c */, 'column'],
  [0x64 /* d */, 'dataType'],
  [0x6e /* n */, 'constraint'],
  [0x46 /* F */, 'file'],
  [0x4c /* L */, 'line'],
  [0x52 /* R */, 'routine'],
];

export class BackendWriter {
  private buf: Buffer;
  /** Write position. */
  private pos = 0;
  /** Start of the bytes not yet returned by flush(). */
  private base = 0;
  private readonly initialCapacity: number;
  /** Offset of the open DataRow's type byte, or -1. */
  private rowStart = -1;
  private rowColumns = 0;
  private rowFields = 0;

  constructor(initialCapacity = INITIAL_CAPACITY) {
    this.initialCapacity = Math.max(256, initialCapacity | 0);
    this.buf = Buffer.allocUnsafe(this.initialCapacity);
  }

  /** Bytes written and not yet flushed (including an open DataRow). */
  get length(): number {
    return this.pos - this.base;
  }

  /** True while a DataRow is between beginDataRow() and endDataRow(). */
  get inDataRow(): boolean {
    return this.rowStart >= 0;
  }

  /**
   * Every complete message written since the last flush, as a view that stays valid (it is never
   * overwritten). An open DataRow is not included: it stays pending until endDataRow().
   */
  flush(): Buffer {
    const end = this.rowStart >= 0 ? this.rowStart : this.pos;
    if (end === this.base) return EMPTY;
    const out = this.buf.subarray(this.base, end);
    this.base = end;
    if (this.rowStart < 0) this.renew(out.length);
    return out;
  }

  /**
   * Chooses the memory for what follows a flush of `flushed` bytes (nothing is pending). Result
   * streaming flushes in batches of similar size (a chunk of rows), so when the rest of the
   * buffer would not hold another such batch, a fresh buffer that holds a few is started now:
   * growing mid-batch would copy the batch written so far. A small flush after a large buffer
   * (the end of a result) goes back to the initial size, so idle connections stay small.
   */
  private renew(flushed: number): void {
    const tail = this.buf.length - this.pos;
    let cap = 0;
    if (tail < MIN_TAIL || tail < flushed + (flushed >>> 2)) {
      cap = Math.max(this.initialCapacity, Math.min(4 * flushed, MAX_BATCH_CAPACITY));
    } else if (this.buf.length > 4 * this.initialCapacity && flushed < this.initialCapacity >>> 2) {
      cap = this.initialCapacity;
    }
    if (cap > 0) {
      this.buf = Buffer.allocUnsafe(cap);
      this.pos = 0;
      this.base = 0;
    }
  }

  // ---------------------------------------------------------------- buffer management

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  /** Moves only the unflushed bytes into a larger buffer; flushed views keep the old one alive. */
  private grow(n: number): void {
    const used = this.pos - this.base;
    const cap = Math.max(this.initialCapacity, (used + n) * 2);
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, this.base, this.pos);
    if (this.rowStart >= 0) this.rowStart -= this.base;
    this.buf = next;
    this.pos = used;
    this.base = 0;
  }

  /** Writes type byte + length for a message whose body size is known, reserving all of it. */
  private header(type: number, bodyLength: number): void {
    this.ensure(5 + bodyLength);
    const b = this.buf;
    const p = this.pos;
    const len = bodyLength + 4;
    b[p] = type;
    b[p + 1] = len >>> 24;
    b[p + 2] = len >>> 16;
    b[p + 3] = len >>> 8;
    b[p + 4] = len;
    this.pos = p + 5;
  }

  private u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  private i16(v: number): void {
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 8;
    b[p + 1] = v;
    this.pos = p + 2;
  }

  private i32(v: number): void {
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
  }

  /** Writes a C string whose byte length (from cstr()) was reserved by header(). */
  private cstringPrepared(s: string, byteLength: number): void {
    if (byteLength > 0) utf8Write.call(this.buf, s, this.pos, byteLength);
    this.pos += byteLength;
    this.buf[this.pos++] = 0;
  }

  private bytes(data: Uint8Array): void {
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  private empty(type: number): void {
    this.header(type, 0);
  }

  /**
   * A row still open when another message is written was abandoned by an exception (e.g. a value
   * failed to encode); drop it so the error path can write its ErrorResponse.
   */
  private discardAbandonedRow(): void {
    if (this.rowStart >= 0) this.abortDataRow();
  }

  // ---------------------------------------------------------------- authentication

  authenticationOk(): void {
    this.authCode(0);
  }

  authenticationCleartextPassword(): void {
    this.authCode(3);
  }

  authenticationMD5Password(salt: Buffer): void {
    if (salt.length !== 4) throw new RangeError(`MD5 salt must be 4 bytes, got ${salt.length}`);
    this.discardAbandonedRow();
    this.header(0x52 /* R */, 8);
    this.i32(5);
    this.bytes(salt);
  }

  authenticationSASL(mechanisms: string[]): void {
    this.discardAbandonedRow();
    const names = mechanisms.map(cstr);
    let size = 4 + 1;
    for (const [, n] of names) size += n + 1;
    this.header(0x52 /* R */, size);
    this.i32(10);
    for (const [s, n] of names) this.cstringPrepared(s, n);
    this.u8(0);
  }

  authenticationSASLContinue(data: Buffer | string): void {
    this.authData(11, data);
  }

  authenticationSASLFinal(data: Buffer | string): void {
    this.authData(12, data);
  }

  private authCode(code: number): void {
    this.discardAbandonedRow();
    this.header(0x52 /* R */, 4);
    this.i32(code);
  }

  private authData(code: number, data: Buffer | string): void {
    this.discardAbandonedRow();
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.header(0x52 /* R */, 4 + bytes.length);
    this.i32(code);
    this.bytes(bytes);
  }

  // ---------------------------------------------------------------- session status

  parameterStatus(name: string, value: string): void {
    this.discardAbandonedRow();
    const [n, nl] = cstr(name);
    const [v, vl] = cstr(value);
    this.header(0x53 /* S */, nl + 1 + vl + 1);
    this.cstringPrepared(n, nl);
    this.cstringPrepared(v, vl);
  }

  backendKeyData(processId: number, secretKey: number): void {
    this.discardAbandonedRow();
    this.header(0x4b /* K */, 8);
    this.i32(processId);
    this.i32(secretKey);
  }

  readyForQuery(status: 'I' | 'T' | 'E'): void {
    this.discardAbandonedRow();
    this.header(0x5a /* Z */, 1);
    this.u8(status.charCodeAt(0));
  }

  /**
   * Tells a client asking for a newer 3.x minor (or `_pq_.` options) what we support; Postgres
   * sends it right after reading the startup packet.
   */
  negotiateProtocolVersion(newestMinor: number, unrecognizedOptions: string[]): void {
    this.discardAbandonedRow();
    const opts = unrecognizedOptions.map(cstr);
    let size = 8;
    for (const [, n] of opts) size += n + 1;
    this.header(0x76 /* v */, size);
    this.i32(newestMinor);
    this.i32(opts.length);
    for (const [s, n] of opts) this.cstringPrepared(s, n);
  }

  notificationResponse(processId: number, channel: string, payload: string): void {
    this.discardAbandonedRow();
    const [c, cl] = cstr(channel);
    const [p, pl] = cstr(payload);
    this.header(0x41 /* A */, 4 + cl + 1 + pl + 1);
    this.i32(processId);
    this.cstringPrepared(c, cl);
    this.cstringPrepared(p, pl);
  }

  /** The single-byte answer to SSLRequest / GSSENCRequest; not a framed message. */
  sslResponse(ch: 'N' | 'S'): void {
    this.discardAbandonedRow();
    this.ensure(1);
    this.u8(ch.charCodeAt(0));
  }

  // ---------------------------------------------------------------- query results

  rowDescription(fields: FieldDescription[]): void {
    this.discardAbandonedRow();
    checkColumnCount(fields.length);
    const names = fields.map((f) => cstr(f.name));
    let size = 2;
    for (const [, n] of names) size += n + 1 + 18;
    this.header(0x54 /* T */, size);
    this.i16(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const [s, n] = names[i]!;
      this.cstringPrepared(s, n);
      this.i32(f.tableOid);
      this.i16(f.columnAttr);
      this.i32(f.typeOid);
      this.i16(f.typeLen);
      this.i32(f.typeMod);
      this.i16(f.format);
    }
  }

  parameterDescription(oids: number[]): void {
    this.discardAbandonedRow();
    if (oids.length > 0xffff) throw new DuckMeshError(SqlState.programLimitExceeded, `too many parameters: ${oids.length}`);
    this.header(0x74 /* t */, 2 + 4 * oids.length);
    this.i16(oids.length);
    for (const oid of oids) this.i32(oid);
  }

  commandComplete(tag: string): void {
    this.discardAbandonedRow();
    const [t, tl] = cstr(tag);
    this.header(0x43 /* C */, tl + 1);
    this.cstringPrepared(t, tl);
  }

  emptyQueryResponse(): void {
    this.discardAbandonedRow();
    this.empty(0x49 /* I */);
  }

  parseComplete(): void {
    this.discardAbandonedRow();
    this.empty(0x31 /* 1 */);
  }

  bindComplete(): void {
    this.discardAbandonedRow();
    this.empty(0x32 /* 2 */);
  }

  closeComplete(): void {
    this.discardAbandonedRow();
    this.empty(0x33 /* 3 */);
  }

  noData(): void {
    this.discardAbandonedRow();
    this.empty(0x6e /* n */);
  }

  portalSuspended(): void {
    this.discardAbandonedRow();
    this.empty(0x73 /* s */);
  }

  // ---------------------------------------------------------------- errors and notices

  errorResponse(fields: ErrorFields): void {
    this.noticeOrError(0x45 /* E */, fields);
  }

  noticeResponse(fields: ErrorFields): void {
    this.noticeOrError(0x4e /* N */, fields);
  }

  private noticeOrError(type: number, fields: ErrorFields): void {
    this.discardAbandonedRow();
    // 'S' may be localized, 'V' never is (Postgres >= 9.6 sends both); we don't localize.
    const parts: Array<[number, string, number]> = [];
    const [sev, sevLen] = cstr(fields.severity);
    parts.push([0x53 /* S */, sev, sevLen], [0x56 /* V */, sev, sevLen]);
    for (const [code, key] of ERROR_FIELD_CODES) {
      const v = fields[key];
      if (v === undefined || v === null) continue;
      const [s, n] = cstr(String(v));
      parts.push([code, s, n]);
    }
    let size = 1;
    for (const [, , n] of parts) size += 1 + n + 1;
    this.header(type, size);
    for (const [code, s, n] of parts) {
      this.u8(code);
      this.cstringPrepared(s, n);
    }
    this.u8(0);
  }

  // ---------------------------------------------------------------- COPY

  copyInResponse(format: 0 | 1, columnFormats: number[]): void {
    this.copyResponse(0x47 /* G */, format, columnFormats);
  }

  copyOutResponse(format: 0 | 1, columnFormats: number[]): void {
    this.copyResponse(0x48 /* H */, format, columnFormats);
  }

  private copyResponse(type: number, format: number, columnFormats: number[]): void {
    this.discardAbandonedRow();
    checkColumnCount(columnFormats.length);
    this.header(type, 1 + 2 + 2 * columnFormats.length);
    this.u8(format);
    this.i16(columnFormats.length);
    for (const f of columnFormats) this.i16(f);
  }

  copyData(data: Uint8Array): void {
    this.discardAbandonedRow();
    this.header(0x64 /* d */, data.length);
    this.bytes(data);
  }

  copyDone(): void {
    this.discardAbandonedRow();
    this.empty(0x63 /* c */);
  }

  // ---------------------------------------------------------------- DataRow

  /** Convenience for cold paths: one DataRow from text values / raw bytes / NULLs. */
  dataRow(values: ReadonlyArray<string | Uint8Array | null>): void {
    this.beginDataRow(values.length);
    for (const v of values) {
      if (v === null) this.fieldNull();
      else if (typeof v === 'string') this.fieldString(v);
      else this.fieldBytes(v);
    }
    this.endDataRow();
  }

  beginDataRow(columnCount: number): void {
    this.discardAbandonedRow();
    checkColumnCount(columnCount);
    if (this.pos + 7 > this.buf.length) this.grow(7);
    const b = this.buf;
    const p = this.pos;
    b[p] = 0x44; /* D */
    // b[p+1..p+4] (length) is back-patched by endDataRow().
    b[p + 5] = columnCount >>> 8;
    b[p + 6] = columnCount;
    this.rowStart = p;
    this.rowColumns = columnCount;
    this.rowFields = 0;
    this.pos = p + 7;
  }

  /** Closes the row by back-patching its length. Throws (and drops the row) on a field-count mismatch. */
  endDataRow(): void {
    const start = this.rowStart;
    if (start < 0) throw new Error('BackendWriter.endDataRow() called without beginDataRow()');
    if (this.rowFields !== this.rowColumns) {
      const msg = `DataRow declared ${this.rowColumns} columns but ${this.rowFields} were written`;
      this.abortDataRow();
      throw new Error(msg);
    }
    const len = this.pos - start - 1;
    const b = this.buf;
    b[start + 1] = len >>> 24;
    b[start + 2] = len >>> 16;
    b[start + 3] = len >>> 8;
    b[start + 4] = len;
    this.rowStart = -1;
  }

  /** Drops the open row (e.g. a value failed to convert halfway through). */
  abortDataRow(): void {
    if (this.rowStart < 0) return;
    this.pos = this.rowStart;
    this.rowStart = -1;
  }

  fieldNull(): void {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = 0xff;
    b[p + 1] = 0xff;
    b[p + 2] = 0xff;
    b[p + 3] = 0xff;
    this.pos = p + 4;
    this.rowFields++;
  }

  /** Text value, UTF-8 encoded directly into the output; the length word is back-patched. */
  fieldString(s: string): void {
    const units = s.length;
    // A UTF-16 unit never needs more than 3 UTF-8 bytes (a surrogate pair: 2 units -> 4 bytes).
    const reserve = units <= EXACT_MEASURE_THRESHOLD ? units * 3 : Buffer.byteLength(s, 'utf8');
    if (this.pos + 4 + reserve > this.buf.length) this.grow(4 + reserve);
    const b = this.buf;
    const lenPos = this.pos;
    const p = lenPos + 4;
    let n: number;
    if (units < 32) {
      // Short values dominate result sets; a JS loop beats the native call for ASCII.
      let i = 0;
      for (; i < units; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p + i] = c;
      }
      n = i === units ? units : utf8Write.call(b, s, p, reserve);
    } else {
      n = utf8Write.call(b, s, p, reserve);
    }
    b[lenPos] = n >>> 24;
    b[lenPos + 1] = n >>> 16;
    b[lenPos + 2] = n >>> 8;
    b[lenPos + 3] = n;
    this.pos = p + n;
    this.rowFields++;
  }

  /** Text value the caller knows is ASCII (numbers, dates, ...): one byte per character. */
  fieldAscii(s: string): void {
    const n = s.length;
    if (this.pos + 4 + n > this.buf.length) this.grow(4 + n);
    const b = this.buf;
    const p = this.pos;
    b[p] = n >>> 24;
    b[p + 1] = n >>> 16;
    b[p + 2] = n >>> 8;
    b[p + 3] = n;
    if (n < 32) {
      for (let i = 0; i < n; i++) b[p + 4 + i] = s.charCodeAt(i);
    } else {
      latin1Write.call(b, s, p + 4, n);
    }
    this.pos = p + 4 + n;
    this.rowFields++;
  }

  /**
   * Hot-path hook for encoders that write a field's bytes themselves (see vector-encoders.ts),
   * inside a DataRow: makes room for a value of at most `maxBytes` and returns the offset where
   * the value starts in `buffer`. Write the bytes there, then call commitField() with the end
   * offset. Nothing else may be written in between.
   */
  reserveField(maxBytes: number): number {
    if (this.pos + 4 + maxBytes > this.buf.length) this.grow(4 + maxBytes);
    return this.pos + 4;
  }

  /** The output buffer, valid until the next reserveField() or other write (they may replace it). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Completes a field opened by reserveField(): back-patches its length (`end` − value start). */
  commitField(end: number): void {
    const b = this.buf;
    // Writes past the buffer are dropped silently by typed arrays: never send such a field.
    if (end > b.length) throw new RangeError('DataRow field overran its reserved size');
    const p = this.pos;
    const n = end - p - 4;
    b[p] = n >>> 24;
    b[p + 1] = n >>> 16;
    b[p + 2] = n >>> 8;
    b[p + 3] = n;
    this.pos = end;
    this.rowFields++;
  }

  /** Raw bytes (binary-format values, or pre-encoded text). */
  fieldBytes(data: Uint8Array): void {
    const n = data.length;
    if (this.pos + 4 + n > this.buf.length) this.grow(4 + n);
    this.i32(n);
    this.buf.set(data, this.pos);
    this.pos += n;
    this.rowFields++;
  }

  fieldBinaryBool(v: boolean): void {
    this.fixed(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  fieldBinaryInt16(v: number): void {
    this.fixed(2);
    this.i16(v);
  }

  fieldBinaryInt32(v: number): void {
    this.fixed(4);
    this.i32(v);
  }

  /** int8 from a safe-integer number or a bigint. */
  fieldBinaryInt64(v: number | bigint): void {
    if (typeof v === 'bigint') {
      this.fieldBinaryBigInt64(v);
      return;
    }
    if (!Number.isSafeInteger(v)) throw new RangeError(`fieldBinaryInt64: ${v} is not a safe integer; pass a bigint`);
    this.fixed(8);
    const hi = Math.floor(v / 0x100000000);
    this.i32(hi);
    this.i32(v - hi * 0x100000000);
  }

  fieldBinaryBigInt64(v: bigint): void {
    this.fixed(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }

  fieldBinaryFloat32(v: number): void {
    this.fixed(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
  }

  fieldBinaryFloat64(v: number): void {
    this.fixed(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** Reserves and writes the length word of a fixed-size binary field. */
  private fixed(n: number): void {
    if (this.pos + 4 + n > this.buf.length) this.grow(4 + n);
    this.i32(n);
    this.rowFields++;
  }
}

/**
 * Maps any thrown value to ErrorResponse fields: DuckMeshError keeps its SQLSTATE and extras,
 * anything else becomes XX000 (internal_error) without leaking a stack.
 */
export function errorFieldsFrom(err: unknown): ErrorFields {
  if (err instanceof DuckMeshError) {
    const f: ErrorFields = { severity: err.severity, code: err.sqlstate, message: err.message };
    if (err.detail !== undefined) f.detail = err.detail;
    if (err.hint !== undefined) f.hint = err.hint;
    if (err.position !== undefined) f.position = err.position;
    return f;
  }
  const message = err instanceof Error ? err.message : String(err);
  return { severity: 'ERROR', code: SqlState.internalError, message };
}

/**
 * A C string cannot contain NUL: one would cut the field short and shift every later field, so
 * NULs are dropped (Postgres text never contains them). Returns the string and its UTF-8 length.
 */
function cstr(s: string): [string, number] {
  const clean = s.indexOf('\0') === -1 ? s : s.replace(/\0/g, '');
  return [clean, Buffer.byteLength(clean, 'utf8')];
}

function checkColumnCount(n: number): void {
  if (n > MAX_INT16) throw new DuckMeshError(SqlState.tooManyColumns, `too many columns: ${n} (maximum is ${MAX_INT16})`);
}
