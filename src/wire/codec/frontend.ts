/**
 * Incremental parser for client→server (frontend) messages of protocol v3.
 *
 * Error contract (the server relies on it):
 *  - Framing errors (bad length, unknown type byte, any startup-packet problem) carry severity
 *    'FATAL'. The stream can no longer be framed, so the parser is poisoned: every later next()
 *    rethrows the same error. The server sends ErrorResponse and closes.
 *  - Content errors inside a correctly framed message (bad UTF-8, missing terminator, bad counts)
 *    carry severity 'ERROR' and the message has already been consumed, so the connection stays
 *    usable (in the extended protocol the server then skips to Sync), exactly like Postgres.
 *
 * Buffer ownership: push() takes ownership of the chunk (do not mutate it later; sockets never
 * do). Returned Buffers (Bind params, CopyData, Password data) are views into received memory and
 * are never overwritten by the parser — bytes before the read offset are never written again, and
 * compaction always copies the unread tail into fresh memory. Copy them if you keep them long
 * term, since a view keeps its whole backing chunk alive.
 */
import { DuckMeshError, SqlState } from '../../common/errors.js';
import { decodeUtf8Strict } from './utf8.js';

export { parseStartupOptions, splitStartupOptions } from './startup-options.js';
export { parsePasswordMessage, parseSASLInitialResponse } from './auth-messages.js';

export type FrontendMessage =
  | { type: 'SSLRequest' }
  | { type: 'GSSENCRequest' }
  | { type: 'CancelRequest'; processId: number; secretKey: number }
  | { type: 'Startup'; protocolMajor: number; protocolMinor: number; params: Record<string, string> }
  | { type: 'Query'; sql: string }
  | { type: 'Parse'; statement: string; sql: string; paramTypes: number[] }
  | {
      type: 'Bind';
      portal: string;
      statement: string;
      paramFormats: number[];
      params: (Buffer | null)[];
      resultFormats: number[];
    }
  | { type: 'Describe'; kind: 'S' | 'P'; name: string }
  /** maxRows 0 means "all rows" (Postgres treats any value <= 0 that way; we normalise to 0). */
  | { type: 'Execute'; portal: string; maxRows: number }
  | { type: 'Sync' }
  | { type: 'Flush' }
  | { type: 'Close'; kind: 'S' | 'P'; name: string }
  | { type: 'Terminate' }
  | { type: 'CopyData'; data: Buffer }
  | { type: 'CopyDone' }
  | { type: 'CopyFail'; message: string }
  /** Raw payload; decode with parsePasswordMessage / parseSASLInitialResponse per auth state. */
  | { type: 'Password'; data: Buffer }
  | { type: 'FunctionCall' };

export type FrontendMessageType = FrontendMessage['type'];

export interface FrontendParserOptions {
  /** Upper bound for one message including its length word (not the type byte). */
  maxMessageBytes: number;
}

/** Startup-packet request codes: 1234 in the major half marks a special request. */
export const CANCEL_REQUEST_CODE = 80877102; // 1234.5678
export const SSL_REQUEST_CODE = 80877103; // 1234.5679
export const GSSENC_REQUEST_CODE = 80877104; // 1234.5680
export const PROTOCOL_3_0 = 196608; // 3 << 16

/** Postgres' MAX_STARTUP_PACKET_LENGTH: startup packets are small; don't buffer more. */
export const MAX_STARTUP_PACKET_BYTES = 10000;
/** Postgres' PQ_SMALL_MESSAGE_LIMIT: Sync/Describe/... have no reason to be large. */
const SMALL_MESSAGE_LIMIT = 10000;
/** Postgres' PG_MAX_AUTH_TOKEN_LENGTH, plus the length word. */
const AUTH_MESSAGE_LIMIT = 65535 + 4;
const MIN_BUFFER = 16 * 1024;
const EMPTY = Buffer.alloc(0);

// Size classes per type byte (plain numbers rather than a const enum: per-file transpilers).
const Kind = { Invalid: 0, Small: 1, Large: 2, Auth: 3 } as const;

/** Per type byte: which size limit applies; Invalid = not a frontend message type. */
const KIND = new Uint8Array(256);
for (const c of 'DECSHXcf') KIND[c.charCodeAt(0)] = Kind.Small;
for (const c of 'QPBdF') KIND[c.charCodeAt(0)] = Kind.Large;
KIND['p'.charCodeAt(0)] = Kind.Auth;

export class FrontendParser {
  private readonly maxMessageBytes: number;
  private readonly limits = new Uint32Array(4);
  private buf: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  /** True when buf is memory we allocated (so the space after `end` is ours to fill). */
  private owned = false;
  private startupMode = true;
  private fatal: DuckMeshError | null = null;
  // Cursor for decoding the current message body; fields rather than an object to stay allocation-free.
  private rb: Buffer = EMPTY;
  private rp = 0;
  private re = 0;

  constructor(opts: FrontendParserOptions) {
    if (!Number.isInteger(opts.maxMessageBytes) || opts.maxMessageBytes < 4) {
      throw new RangeError(`maxMessageBytes must be an integer >= 4, got ${opts.maxMessageBytes}`);
    }
    this.maxMessageBytes = opts.maxMessageBytes;
    this.limits[Kind.Small] = Math.min(SMALL_MESSAGE_LIMIT, opts.maxMessageBytes);
    this.limits[Kind.Large] = opts.maxMessageBytes;
    this.limits[Kind.Auth] = Math.min(AUTH_MESSAGE_LIMIT, opts.maxMessageBytes);
  }

  /** True until a Startup message has been returned (or startupDone() called). */
  get inStartupMode(): boolean {
    return this.startupMode;
  }

  /** Bytes received but not yet returned as messages (for backpressure and the SSL check). */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /**
   * Switch to normal (typed) messages. next() already does this by itself after returning a
   * Startup message — nothing but typed messages may follow one — so this is idempotent.
   */
  startupDone(): void {
    this.startupMode = false;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    if (this.start === this.end) {
      // Nothing pending: adopt the chunk without copying. The common case for small messages.
      this.buf = chunk;
      this.start = 0;
      this.end = n;
      this.owned = false;
      return;
    }
    if (this.owned && this.buf.length - this.end >= n) {
      chunk.copy(this.buf, this.end);
      this.end += n;
      return;
    }
    // Move the unread tail into fresh memory (never in place: earlier views must stay intact).
    const unread = this.end - this.start;
    const need = unread + n;
    let cap = Math.max(need * 2, MIN_BUFFER);
    // If the pending message's size is known, don't reserve more than it needs; doubling still
    // keeps copying linear while a big message arrives in many chunks.
    const pending = this.pendingMessageBytes();
    if (pending > 0 && pending < cap) cap = Math.max(pending, need);
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, this.start, this.end);
    chunk.copy(next, unread);
    this.buf = next;
    this.start = 0;
    this.end = need;
    this.owned = true;
  }

  /** The next complete message, or null if more bytes are needed. */
  next(): FrontendMessage | null {
    if (this.fatal) throw this.fatal;
    try {
      return this.startupMode ? this.nextStartup() : this.nextTyped();
    } catch (err) {
      if (err instanceof DuckMeshError && err.severity === 'FATAL') {
        this.fatal = err;
        this.release();
      }
      throw err;
    }
  }

  // ---------------------------------------------------------------- framing

  /** Total size of the message at the read offset if its header is buffered, else 0. */
  private pendingMessageBytes(): number {
    const avail = this.end - this.start;
    if (this.startupMode) {
      if (avail < 4) return 0;
      const len = this.buf.readInt32BE(this.start);
      return len > 0 && len <= MAX_STARTUP_PACKET_BYTES ? len : 0;
    }
    if (avail < 5) return 0;
    const len = this.buf.readInt32BE(this.start + 1);
    return len >= 4 && len <= this.maxMessageBytes ? len + 1 : 0;
  }

  /** Consume `total` bytes at the read offset; drop the buffer when empty so it can be freed. */
  private consume(total: number): void {
    this.start += total;
    if (this.start === this.end) this.release();
  }

  private release(): void {
    this.buf = EMPTY;
    this.start = 0;
    this.end = 0;
    this.owned = false;
  }

  private nextTyped(): FrontendMessage | null {
    const avail = this.end - this.start;
    if (avail < 1) return null;
    const buf = this.buf;
    const at = this.start;
    const type = buf[at]!;
    // Check the type byte before waiting for the length: garbage is rejected at once.
    const kind = KIND[type]!;
    if (kind === Kind.Invalid) {
      throw fatal(SqlState.protocolViolation, `invalid frontend message type ${describeByte(type)}`);
    }
    if (avail < 5) return null;
    const len = ((buf[at + 1]! << 24) | (buf[at + 2]! << 16) | (buf[at + 3]! << 8) | buf[at + 4]!) | 0;
    if (len < 4) throw fatal(SqlState.protocolViolation, `invalid message length ${len}`);
    const limit = this.limits[kind]!;
    if (len > limit) {
      throw fatal(
        SqlState.programLimitExceeded,
        `message of type ${describeByte(type)} is ${len} bytes long, which exceeds the limit of ${limit} bytes`,
      );
    }
    if (avail < len + 1) return null;
    // Consume first so a content error leaves the parser positioned at the next message.
    this.consume(len + 1);
    this.rb = buf;
    this.rp = at + 5;
    this.re = at + 1 + len;
    try {
      return this.decodeBody(type);
    } finally {
      this.rb = EMPTY;
    }
  }

  private decodeBody(type: number): FrontendMessage {
    switch (type) {
      case 0x51 /* Q */: {
        const sql = this.cstring();
        this.expectEnd();
        return { type: 'Query', sql };
      }
      case 0x50 /* P */:
        return this.decodeParse();
      case 0x42 /* B */:
        return this.decodeBind();
      case 0x45 /* E */: {
        const portal = this.cstring();
        const maxRows = this.int32();
        this.expectEnd();
        return { type: 'Execute', portal, maxRows: maxRows > 0 ? maxRows : 0 };
      }
      case 0x44 /* D */: {
        const kind = this.subtype('DESCRIBE');
        const name = this.cstring();
        this.expectEnd();
        return { type: 'Describe', kind, name };
      }
      case 0x43 /* C */: {
        const kind = this.subtype('CLOSE');
        const name = this.cstring();
        this.expectEnd();
        return { type: 'Close', kind, name };
      }
      case 0x53 /* S */:
        this.expectEnd();
        return { type: 'Sync' };
      case 0x48 /* H */:
        this.expectEnd();
        return { type: 'Flush' };
      case 0x58 /* X */:
        this.expectEnd();
        return { type: 'Terminate' };
      case 0x64 /* d */:
        return { type: 'CopyData', data: this.rb.subarray(this.rp, this.re) };
      case 0x63 /* c */:
        this.expectEnd();
        return { type: 'CopyDone' };
      case 0x66 /* f */: {
        const message = this.cstring();
        this.expectEnd();
        return { type: 'CopyFail', message };
      }
      case 0x70 /* p */:
        return { type: 'Password', data: this.rb.subarray(this.rp, this.re) };
      case 0x46 /* F */:
        return { type: 'FunctionCall' };
      default:
        // Unreachable: KIND only admits the types above.
        throw fatal(SqlState.protocolViolation, `invalid frontend message type ${describeByte(type)}`);
    }
  }

  private decodeParse(): FrontendMessage {
    const statement = this.cstring();
    const sql = this.cstring();
    const count = this.uint16();
    this.need(count * 4);
    const paramTypes = new Array<number>(count);
    const b = this.rb;
    let p = this.rp;
    for (let i = 0; i < count; i++, p += 4) {
      // OIDs are unsigned 32-bit.
      paramTypes[i] = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
    }
    this.rp = p;
    this.expectEnd();
    return { type: 'Parse', statement, sql, paramTypes };
  }

  private decodeBind(): FrontendMessage {
    const portal = this.cstring();
    const statement = this.cstring();
    const paramFormats = this.formatCodes('parameter');
    const count = this.uint16();
    if (paramFormats.length > 1 && paramFormats.length !== count) {
      throw contentError(
        SqlState.protocolViolation,
        `bind message has ${paramFormats.length} parameter formats but ${count} parameters`,
      );
    }
    const params = new Array<Buffer | null>(count);
    const b = this.rb;
    for (let i = 0; i < count; i++) {
      const len = this.int32();
      if (len === -1) {
        params[i] = null;
        continue;
      }
      if (len < 0) throw contentError(SqlState.protocolViolation, `invalid length ${len} for bind parameter ${i + 1}`);
      this.need(len);
      params[i] = b.subarray(this.rp, this.rp + len);
      this.rp += len;
    }
    const resultFormats = this.formatCodes('result');
    this.expectEnd();
    return { type: 'Bind', portal, statement, paramFormats, params, resultFormats };
  }

  private formatCodes(what: string): number[] {
    const count = this.uint16();
    this.need(count * 2);
    const b = this.rb;
    let p = this.rp;
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++, p += 2) {
      const code = (b[p]! << 8) | b[p + 1]!;
      if (code !== 0 && code !== 1) {
        // Postgres reports this later, at Bind time, with the same SQLSTATE; the value is signed.
        throw contentError(SqlState.invalidParameterValue, `unsupported format code: ${(code << 16) >> 16}`, {
          detail: `in the ${what} format codes of a Bind message`,
        });
      }
      out[i] = code;
    }
    this.rp = p;
    return out;
  }

  private nextStartup(): FrontendMessage | null {
    const avail = this.end - this.start;
    if (avail < 4) return null;
    const buf = this.buf;
    const at = this.start;
    const len = buf.readInt32BE(at);
    if (len < 8 || len > MAX_STARTUP_PACKET_BYTES) {
      throw fatal(SqlState.protocolViolation, `invalid length of startup packet: ${len}`);
    }
    if (avail < len) return null;
    const code = buf.readInt32BE(at + 4) >>> 0;
    this.consume(len);

    if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
      const what = code === SSL_REQUEST_CODE ? 'SSL' : 'GSSAPI encryption';
      if (len !== 8) throw fatal(SqlState.protocolViolation, `invalid length of ${what} request packet: ${len}`);
      // Bytes that arrived before the encryption handshake were not protected and may have been
      // injected by a man-in-the-middle (CVE-2021-23214); Postgres refuses them too.
      if (this.end - this.start > 0) {
        throw fatal(SqlState.protocolViolation, `received unencrypted data after ${what} request`, {
          detail: 'This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.',
        });
      }
      return code === SSL_REQUEST_CODE ? { type: 'SSLRequest' } : { type: 'GSSENCRequest' };
    }
    if (code === CANCEL_REQUEST_CODE) {
      if (len !== 16) throw fatal(SqlState.protocolViolation, `invalid length of cancel request packet: ${len}`);
      return { type: 'CancelRequest', processId: buf.readInt32BE(at + 8), secretKey: buf.readInt32BE(at + 12) };
    }
    const major = code >>> 16;
    const minor = code & 0xffff;
    if (major !== 3) {
      throw fatal(SqlState.protocolViolation, `unsupported frontend protocol ${major}.${minor}: server supports protocol 3`);
    }
    const params = this.startupParams(buf, at + 8, at + len);
    this.startupMode = false;
    return { type: 'Startup', protocolMajor: major, protocolMinor: minor, params };
  }

  /** name\0value\0 ... \0 — the final lone terminator must be the packet's last byte. */
  private startupParams(buf: Buffer, from: number, to: number): Record<string, string> {
    // Null prototype: a client-chosen key such as "__proto__" must stay a plain entry.
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    let p = from;
    for (;;) {
      const nameEnd = buf.indexOf(0, p);
      if (nameEnd < 0 || nameEnd >= to) throw badStartupLayout();
      if (nameEnd === p) break; // the terminating empty name
      const valueEnd = buf.indexOf(0, nameEnd + 1);
      if (valueEnd < 0 || valueEnd >= to) throw badStartupLayout();
      params[startupString(buf, p, nameEnd)] = startupString(buf, nameEnd + 1, valueEnd);
      p = valueEnd + 1;
    }
    if (p !== to - 1) throw badStartupLayout();
    return params;
  }

  // ---------------------------------------------------------------- body cursor

  private need(n: number): void {
    if (this.re - this.rp < n) throw contentError(SqlState.protocolViolation, 'insufficient data left in message');
  }

  private expectEnd(): void {
    if (this.rp !== this.re) throw contentError(SqlState.protocolViolation, 'invalid message format');
  }

  private uint16(): number {
    this.need(2);
    const b = this.rb;
    const p = this.rp;
    this.rp = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  private int32(): number {
    this.need(4);
    const b = this.rb;
    const p = this.rp;
    this.rp = p + 4;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  private cstring(): string {
    const b = this.rb;
    const p = this.rp;
    // Fast path for the very common empty name (unnamed statement / portal).
    if (p < this.re && b[p] === 0) {
      this.rp = p + 1;
      return '';
    }
    const nul = b.indexOf(0, p);
    if (nul < 0 || nul >= this.re) throw contentError(SqlState.protocolViolation, 'invalid string in message');
    this.rp = nul + 1;
    return decodeUtf8Strict(b, p, nul);
  }

  private subtype(what: string): 'S' | 'P' {
    this.need(1);
    const c = this.rb[this.rp++]!;
    if (c === 0x53) return 'S';
    if (c === 0x50) return 'P';
    throw contentError(SqlState.protocolViolation, `invalid ${what} message subtype ${c}`);
  }
}

function startupString(buf: Buffer, start: number, end: number): string {
  try {
    return decodeUtf8Strict(buf, start, end);
  } catch (err) {
    // Any startup failure ends the connection.
    if (err instanceof DuckMeshError) throw fatal(err.sqlstate, err.message);
    throw err;
  }
}

function badStartupLayout(): DuckMeshError {
  return fatal(SqlState.protocolViolation, 'invalid startup packet layout: expected terminator as last byte');
}

function fatal(sqlstate: string, message: string, extra: { detail?: string } = {}): DuckMeshError {
  return new DuckMeshError(sqlstate, message, { ...extra, severity: 'FATAL' });
}

function contentError(sqlstate: string, message: string, extra: { detail?: string } = {}): DuckMeshError {
  return new DuckMeshError(sqlstate, message, extra);
}

/** Printable ASCII as the character itself ("invalid frontend message type Z"), anything else as hex. */
function describeByte(b: number): string {
  return b > 0x20 && b < 0x7f ? String.fromCharCode(b) : `0x${b.toString(16).padStart(2, '0')}`;
}
