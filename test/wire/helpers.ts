/** Shared helpers for the wire codec tests: decoding backend bytes with pg's own client parser. */
import { Parser } from 'pg-protocol/dist/parser.js';
import { DuckMeshError } from '../../src/common/errors.js';
import { FrontendParser, type FrontendMessage } from '../../src/wire/codec/frontend.js';

// pg-protocol's message classes carry different fields per message; tests read them dynamically.
export type PgMessage = Record<string, any> & { name: string; length: number };

/** Decodes backend bytes with node-postgres' client-side parser (an independent implementation). */
export function pgDecode(bytes: Buffer): PgMessage[] {
  const out: PgMessage[] = [];
  new Parser().parse(bytes, (msg) => out.push(msg as unknown as PgMessage));
  return out;
}

export interface RawFrame {
  type: string;
  body: Buffer;
}

/** Splits backend bytes into frames, checking that the lengths tile the buffer exactly. */
export function rawFrames(bytes: Buffer): RawFrame[] {
  const frames: RawFrame[] = [];
  let p = 0;
  while (p < bytes.length) {
    if (p + 5 > bytes.length) throw new Error(`trailing partial header at ${p}`);
    const len = bytes.readInt32BE(p + 1);
    if (p + 1 + len > bytes.length) throw new Error(`frame at ${p} overruns the buffer`);
    frames.push({ type: String.fromCharCode(bytes[p]!), body: bytes.subarray(p + 5, p + 1 + len) });
    p += 1 + len;
  }
  return frames;
}

/** DataRow body → raw field bytes (pg-protocol decodes fields as UTF-8 text, which mangles binary). */
export function dataRowFields(body: Buffer): (Buffer | null)[] {
  const n = body.readInt16BE(0);
  const out: (Buffer | null)[] = [];
  let p = 2;
  for (let i = 0; i < n; i++) {
    const len = body.readInt32BE(p);
    p += 4;
    if (len === -1) out.push(null);
    else {
      out.push(body.subarray(p, p + len));
      p += len;
    }
  }
  if (p !== body.length) throw new Error('DataRow has trailing bytes');
  return out;
}

/** Error/Notice body → map of field code → value. */
export function errorFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let p = 0;
  while (body[p] !== 0) {
    const code = String.fromCharCode(body[p]!);
    const end = body.indexOf(0, p + 1);
    out[code] = body.toString('utf8', p + 1, end);
    p = end + 1;
  }
  if (p !== body.length - 1) throw new Error('error fields not terminated');
  return out;
}

/** Feeds `bytes` in chunks of the given sizes (cycled) and drains every message. */
export function parseInChunks(parser: FrontendParser, bytes: Buffer, sizes: number[]): FrontendMessage[] {
  const out: FrontendMessage[] = [];
  let p = 0;
  let k = 0;
  while (p < bytes.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    parser.push(bytes.subarray(p, p + n));
    p += n;
    for (let m = parser.next(); m; m = parser.next()) out.push(m);
  }
  return out;
}

export function parseAll(parser: FrontendParser, bytes: Buffer): FrontendMessage[] {
  return parseInChunks(parser, bytes, [bytes.length]);
}

/** Buffers → hex strings, so deep equality of messages with big payloads stays fast. */
export function normalize(msgs: FrontendMessage[]): unknown[] {
  return msgs.map((m) =>
    JSON.parse(
      JSON.stringify(m, (_k, v: unknown) =>
        v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)
          ? `hex:${Buffer.from((v as { data: number[] }).data).toString('hex')}`
          : v,
      ),
    ),
  );
}

/** Runs fn, expecting a DuckMeshError; returns it for further assertions. */
export function expectDuckMeshError(fn: () => unknown): DuckMeshError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DuckMeshError) return err;
    throw new Error(`expected DuckMeshError, got ${String(err)}`);
  }
  throw new Error('expected DuckMeshError, nothing was thrown');
}

/** Deterministic PRNG (mulberry32) so fuzz failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A normal-mode frame: type byte + int32 length + body. */
export function frame(type: string, body: Buffer | number[] = []): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const out = Buffer.alloc(5 + b.length);
  out[0] = type.charCodeAt(0);
  out.writeInt32BE(4 + b.length, 1);
  b.copy(out, 5);
  return out;
}

/** A startup-mode packet: int32 length + int32 code + body. */
export function startupPacket(code: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(8 + body.length);
  out.writeInt32BE(8 + body.length, 0);
  out.writeUInt32BE(code >>> 0, 4);
  body.copy(out, 8);
  return out;
}

export function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

export function normalParser(maxMessageBytes = 1 << 20): FrontendParser {
  const p = new FrontendParser({ maxMessageBytes });
  p.startupDone();
  return p;
}
