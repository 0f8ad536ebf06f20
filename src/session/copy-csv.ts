/**
 * COPY's CSV format (RFC 4180 plus Postgres' options): quoted fields may hold delimiters and
 * newlines; an unquoted field equal to the NULL string (default: empty) is NULL, a quoted one is
 * not unless FORCE_NULL names its column; FORCE_NOT_NULL makes the unquoted NULL string a value.
 */
import { decodeUtf8Strict } from '../wire/codec/utf8.js';
import { badCopyData, DEFAULT_FIELD, RecordSplitter, type FieldValue, type RowHandler } from './copy-records.js';

const LF = 0x0a;

export interface CsvOptions {
  delimiter: string;
  quote: string;
  escape: string;
  null: string;
  defaultMarker: string | null;
}

export class CsvCopyDecoder extends RecordSplitter {
  private readonly delim: number;
  private readonly quote: number;
  private readonly escape: number;
  private readonly nullMarker: Buffer;
  private readonly defaultMarker: Buffer | null;
  /** Per input column: FORCE_NULL / FORCE_NOT_NULL (set once the column list is known). */
  forceNull: boolean[] = [];
  forceNotNull: boolean[] = [];

  constructor(
    opts: CsvOptions,
    private readonly onRow: RowHandler,
  ) {
    super();
    this.delim = Buffer.from(opts.delimiter)[0]!;
    this.quote = Buffer.from(opts.quote)[0]!;
    this.escape = Buffer.from(opts.escape)[0]!;
    this.nullMarker = Buffer.from(opts.null);
    this.defaultMarker = opts.defaultMarker === null ? null : Buffer.from(opts.defaultMarker);
  }

  /** The LF ending the record: the first one outside quotes. */
  protected findEnd(buf: Buffer, start: number): number {
    let inQuote = false;
    for (let i = start; i < buf.length; i++) {
      const c = buf[i];
      if (inQuote) {
        if (c === this.escape && this.escape !== this.quote && i + 1 < buf.length) i++;
        else if (c === this.quote) inQuote = false;
      } else if (c === this.quote) inQuote = true;
      else if (c === LF) return i;
    }
    return -1;
  }

  protected record(buf: Buffer, start: number, end: number, line: number): boolean {
    const fields: FieldValue[] = [];
    let i = start;
    for (;;) {
      const fieldStart = i;
      let quoted = false;
      let inQuote = false;
      let out: number[] | null = null;
      while (i < end) {
        const c = buf[i]!;
        if (!inQuote) {
          if (c === this.delim) break;
          if (c === this.quote) {
            out ??= [...buf.subarray(fieldStart, i)];
            inQuote = true;
            quoted = true;
          } else out?.push(c);
          i++;
          continue;
        }
        if (c === this.escape && i + 1 < end && (buf[i + 1] === this.quote || buf[i + 1] === this.escape) && (this.escape !== this.quote || buf[i + 1] === this.quote)) {
          out!.push(buf[i + 1]!);
          i += 2;
        } else if (c === this.quote) {
          inQuote = false;
          i++;
        } else {
          out!.push(c);
          i++;
        }
      }
      if (inQuote) throw badCopyData('unterminated CSV quoted field');
      fields.push(this.value(buf, fieldStart, i, quoted, out, fields.length));
      if (i >= end) break;
      i++; // the delimiter
    }
    this.onRow(fields, line, () => buf.toString('utf8', start, end));
    return true;
  }

  private value(buf: Buffer, start: number, end: number, quoted: boolean, out: number[] | null, column: number): FieldValue {
    const raw = buf.subarray(start, end);
    if (!quoted && raw.equals(this.nullMarker)) return this.forceNotNull[column] ? '' : null;
    if (!quoted && this.defaultMarker && raw.equals(this.defaultMarker)) return DEFAULT_FIELD;
    const bytes = out ? Buffer.from(out) : raw;
    if (quoted && this.forceNull[column] && bytes.equals(this.nullMarker)) return null;
    return decodeUtf8Strict(bytes, 0, bytes.length);
  }
}

/** Formats one value for COPY TO in CSV: quoted when it must be (or FORCE_QUOTE). */
export function csvQuoter(opts: CsvOptions): (s: string, force: boolean) => string {
  const { delimiter, quote, escape } = opts;
  const needsEscape = (ch: string) => ch === quote || ch === escape;
  return (s, force) => {
    const must =
      force ||
      s === opts.null ||
      s === '\\.' ||
      s.includes(delimiter) ||
      s.includes(quote) ||
      s.includes('\n') ||
      s.includes('\r');
    if (!must) return s;
    let body = '';
    for (const ch of s) body += needsEscape(ch) ? escape + ch : ch;
    return quote + body + quote;
  };
}
