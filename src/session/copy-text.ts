/**
 * COPY's text format: one line per row, fields split by the delimiter (tab), backslash escapes
 * (`\t \n \\ \ooo \xhh` ...) and `\N` for NULL. The NULL (and DEFAULT) marker is compared with the
 * field as written, before escapes are processed, exactly as Postgres does.
 */
import { decodeUtf8Strict, SQLSTATE_CHARACTER_NOT_IN_REPERTOIRE } from '../wire/codec/utf8.js';
import { DuckMeshError } from '../common/errors.js';
import { DEFAULT_FIELD, indexOfLf, RecordSplitter, type FieldValue, type RowHandler } from './copy-records.js';

const BS = 0x5c;

const SIMPLE_ESCAPES: Record<number, number> = {
  0x62: 0x08, // \b
  0x66: 0x0c, // \f
  0x6e: 0x0a, // \n
  0x72: 0x0d, // \r
  0x74: 0x09, // \t
  0x76: 0x0b, // \v
};

function isOctal(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x37;
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

export class TextCopyDecoder extends RecordSplitter {
  private readonly delim: number;
  private readonly nullMarker: Buffer;
  private readonly defaultMarker: Buffer | null;

  constructor(
    opts: { delimiter: string; null: string; defaultMarker: string | null },
    private readonly onRow: RowHandler,
  ) {
    super();
    this.delim = Buffer.from(opts.delimiter)[0]!;
    this.nullMarker = Buffer.from(opts.null);
    this.defaultMarker = opts.defaultMarker === null ? null : Buffer.from(opts.defaultMarker);
  }

  protected findEnd(buf: Buffer, start: number): number {
    return indexOfLf(buf, start);
  }

  protected record(buf: Buffer, start: number, end: number, line: number): boolean {
    const fields: FieldValue[] = [];
    let fieldStart = start;
    let escaped = false;
    for (let i = start; i <= end; i++) {
      if (i === end || buf[i] === this.delim) {
        fields.push(this.field(buf, fieldStart, i, escaped));
        fieldStart = i + 1;
        escaped = false;
      } else if (buf[i] === BS && i + 1 < end) {
        // The escaped byte may be the delimiter: it belongs to this field.
        escaped = true;
        i++;
      }
    }
    this.onRow(fields, line, () => buf.toString('utf8', start, end));
    return true;
  }

  private field(buf: Buffer, start: number, end: number, escaped: boolean): FieldValue {
    const raw = buf.subarray(start, end);
    if (raw.equals(this.nullMarker)) return null;
    if (this.defaultMarker && raw.equals(this.defaultMarker)) return DEFAULT_FIELD;
    if (!escaped) return decodeUtf8Strict(buf, start, end);
    const out = Buffer.allocUnsafe(end - start);
    let o = 0;
    for (let i = start; i < end; i++) {
      let c = buf[i]!;
      if (c !== BS || i + 1 >= end) {
        out[o++] = c;
        continue;
      }
      c = buf[++i]!;
      const simple = SIMPLE_ESCAPES[c];
      if (simple !== undefined) out[o++] = simple;
      else if (isOctal(c)) {
        let v = c - 0x30;
        for (let k = 0; k < 2 && i + 1 < end && isOctal(buf[i + 1]); k++) v = v * 8 + (buf[++i]! - 0x30);
        out[o++] = v & 0xff;
      } else if (c === 0x78 /* x */ && hexValue(buf[i + 1]) >= 0 && i + 1 < end) {
        let v = hexValue(buf[++i]);
        if (i + 1 < end && hexValue(buf[i + 1]) >= 0) v = v * 16 + hexValue(buf[++i]);
        out[o++] = v;
      } else out[o++] = c;
    }
    if (out.subarray(0, o).includes(0)) {
      throw new DuckMeshError(SQLSTATE_CHARACTER_NOT_IN_REPERTOIRE, 'invalid byte sequence for encoding "UTF8": 0x00');
    }
    return decodeUtf8Strict(out, 0, o);
  }
}

/** Escapes one value for COPY TO in text format. */
export function textEscaper(delimiter: string): (s: string) => string {
  const special = new RegExp(`[\\\\\\n\\r\\t\\b\\f\\v${delimiter.replace(/[\\\]^-]/g, '\\$&')}]`, 'g');
  const test = new RegExp(special.source);
  return (s) =>
    test.test(s)
      ? s.replace(special, (ch) => {
          switch (ch) {
            case '\\':
              return '\\\\';
            case '\n':
              return '\\n';
            case '\r':
              return '\\r';
            case '\t':
              return '\\t';
            case '\b':
              return '\\b';
            case '\f':
              return '\\f';
            case '\v':
              return '\\v';
            default:
              return '\\' + ch;
          }
        })
      : s;
}
