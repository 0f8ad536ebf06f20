/**
 * Stream framing for COPY FROM in text and CSV formats: CopyData messages split rows anywhere, so
 * bytes are cut into records here and only the unfinished tail is kept between messages. The
 * format modules parse one complete record at a time; nothing else of the raw input is held.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';

/** A field that takes the column default (COPY ... DEFAULT 'marker'). */
export const DEFAULT_FIELD: unique symbol = Symbol('copy-default');
export type FieldValue = string | null | typeof DEFAULT_FIELD;

/** Called for every data row; `line` is 1-based and counts the header line, as Postgres does. */
export type RowHandler = (fields: FieldValue[], line: number, raw: () => string) => void;

export interface CopyDecoder {
  /** Input line (text, CSV) or row (binary) last read, for error context. */
  readonly line: number;
  push(data: Buffer): void;
  /** End of input: parses an unterminated last record. */
  end(): void;
}

const LF = 0x0a;
const CR = 0x0d;

/** An error with Postgres' CONTEXT line (`COPY t, line 3, column qty: "abc"`), sent as `where`. */
export class CopyContextError extends DuckMeshError {
  constructor(
    base: DuckMeshError,
    readonly where: string,
  ) {
    super(base.sqlstate, base.message, { hint: base.hint, cause: base });
  }
}

/** A bad value in one field: COPY reports it with the column and the value. */
export class CopyFieldError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly column: number,
    readonly value: string | null,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

export function badCopyData(message: string): DuckMeshError {
  return new DuckMeshError('22P04', message);
}

/**
 * Splits bytes into records. `findEnd` returns the offset of the LF ending the record that
 * starts at `start` (a CSV record may contain quoted newlines), or -1 if it is not complete yet.
 */
export abstract class RecordSplitter implements CopyDecoder {
  private pending: Buffer | null = null;
  private finished = false;
  line = 0;

  protected abstract findEnd(buf: Buffer, start: number): number;
  /** Parses one record [start, end) without its line terminator; returns false at the `\.` end marker. */
  protected abstract record(buf: Buffer, start: number, end: number, line: number): boolean;

  push(data: Buffer): void {
    if (this.finished || data.length === 0) return;
    const buf = this.pending ? Buffer.concat([this.pending, data]) : data;
    this.pending = null;
    let start = 0;
    while (start < buf.length) {
      const lf = this.findEnd(buf, start);
      if (lf < 0) break;
      const end = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
      if (!this.emit(buf, start, end)) return;
      start = lf + 1;
    }
    // Copy the tail: a view would keep the whole received chunk alive.
    if (start < buf.length) this.pending = Buffer.from(buf.subarray(start));
  }

  end(): void {
    const tail = this.pending;
    this.pending = null;
    if (this.finished || !tail || tail.length === 0) return;
    const end = tail[tail.length - 1] === CR ? tail.length - 1 : tail.length;
    this.emit(tail, 0, end);
  }

  private emit(buf: Buffer, start: number, end: number): boolean {
    this.line++;
    if (end - start === 2 && buf[start] === 0x5c && buf[start + 1] === 0x2e) {
      // `\.` ends the data; anything after it is ignored, as Postgres does for COPY FROM STDIN.
      this.finished = true;
      return false;
    }
    return this.record(buf, start, end, this.line);
  }
}

export function indexOfLf(buf: Buffer, start: number): number {
  return buf.indexOf(LF, start);
}
