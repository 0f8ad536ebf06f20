/**
 * A fast path for the ingest hot statement: `INSERT INTO t [(cols)] VALUES (…), (…)` whose values
 * are plain literals, parameters, NULL, TRUE/FALSE or DEFAULT. Parsing it with libpg-query (WASM
 * parse + JSON tree decode) is a quarter of the main thread's time at 32 writers × 100-row
 * INSERTs; this scanner produces the very same InsertStatement in a fraction of it.
 *
 * It is deliberately narrow: anything it is not sure about (comments, casts, expressions, E''
 * strings, keywords as names, numbers Postgres would normalize differently, ON CONFLICT,
 * RETURNING, several statements, …) returns null and the statement takes the ordinary path. A
 * differential test (test/sql/fast-insert.test.ts) checks it against libpg-query + classify.
 */
import { quotedKeywords } from '../compat/keywords.js';
import type { Cell, InsertStatement } from './statements.js';

const DEFAULT_CELL: Cell = Object.freeze({ kind: 'default' }) as Cell;
const NOT_PLAIN_NAMES = new Set(quotedKeywords());
const INT32_MAX = 2_147_483_647;

/** Returns the classified statement, or null when the ordinary parser must decide. */
export function parseFastInsert(sql: string): InsertStatement | null {
  const s = new Scanner(sql);
  if (!s.keyword('insert') || !s.keyword('into')) return null;
  const first = s.name();
  if (first === null) return null;
  let schema: string | null = null;
  let table = first;
  if (s.peek() === 46 /* . */) {
    s.pos++;
    const second = s.name();
    if (second === null) return null;
    schema = first;
    table = second;
  }
  s.ws();
  let columns: string[] | null = null;
  if (s.peek() === 40 /* ( */) {
    s.pos++;
    columns = [];
    for (;;) {
      const c = s.name();
      if (c === null) return null;
      columns.push(c);
      s.ws();
      const ch = s.next();
      if (ch === 41 /* ) */) break;
      if (ch !== 44 /* , */) return null;
    }
  }
  if (!s.keyword('values')) return null;
  const rows: Cell[][] = [];
  let width = -1;
  for (;;) {
    s.ws();
    if (s.next() !== 40 /* ( */) return null;
    const row: Cell[] = [];
    for (;;) {
      const cell = s.cell();
      if (cell === null) return null;
      row.push(cell);
      s.ws();
      const ch = s.next();
      if (ch === 41 /* ) */) break;
      if (ch !== 44 /* , */) return null;
    }
    // Ragged rows are an error the ordinary path reports with its position.
    if (width === -1) width = row.length;
    else if (row.length !== width) return null;
    rows.push(row);
    s.ws();
    if (s.peek() !== 44 /* , */) break;
    s.pos++;
  }
  s.ws();
  if (s.peek() === 59 /* ; */) {
    s.pos++;
    s.ws();
  }
  if (!s.atEnd()) return null;
  return { kind: 'insert', schema, table, alias: null, columns, source: { kind: 'values', rows }, onConflict: null, returning: false };
}

class Scanner {
  pos = 0;
  constructor(private readonly src: string) {}

  peek(): number {
    return this.pos < this.src.length ? this.src.charCodeAt(this.pos) : -1;
  }

  next(): number {
    return this.pos < this.src.length ? this.src.charCodeAt(this.pos++) : -1;
  }

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  /** Spaces, tabs, newlines; a comment start stops the fast path (the caller then fails). */
  ws(): void {
    for (;;) {
      const c = this.peek();
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else return;
    }
  }

  /** A case-insensitive keyword followed by a non-identifier character. */
  keyword(word: string): boolean {
    this.ws();
    const end = this.pos + word.length;
    if (this.src.slice(this.pos, end).toLowerCase() !== word) return false;
    if (end < this.src.length && isIdentChar(this.src.charCodeAt(end))) return false;
    this.pos = end;
    return true;
  }

  /** An identifier: plain (folded to lower case; keywords refused) or double-quoted. */
  name(): string | null {
    this.ws();
    const c = this.peek();
    if (c === 34 /* " */) {
      let out = '';
      this.pos++;
      for (;;) {
        const end = this.src.indexOf('"', this.pos);
        if (end < 0) return null;
        out += this.src.slice(this.pos, end);
        this.pos = end + 1;
        if (this.peek() === 34) {
          out += '"';
          this.pos++;
        } else break;
      }
      // Postgres refuses a zero-length quoted name; let it say so.
      return out.length > 0 && !out.includes('\0') ? out : null;
    }
    if (!isIdentStart(c)) return null;
    const start = this.pos;
    while (this.pos < this.src.length && isIdentChar(this.src.charCodeAt(this.pos))) this.pos++;
    const raw = this.src.slice(start, this.pos);
    // Non-ASCII letters fold differently; names longer than NAMEDATALEN are truncated by Postgres.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw) || raw.length > 63) return null;
    const word = raw.toLowerCase();
    if (NOT_PLAIN_NAMES.has(word)) return null;
    return word;
  }

  /** One VALUES item, or null for anything but a plain literal, parameter, NULL, TRUE/FALSE, DEFAULT. */
  cell(): Cell | null {
    this.ws();
    const c = this.peek();
    if (c === 39 /* ' */) {
      const v = this.string();
      if (v === null) return null;
      return { kind: 'const', value: v, typeHint: null };
    }
    if (c === 36 /* $ */) {
      this.pos++;
      const start = this.pos;
      while (isDigit(this.peek())) this.pos++;
      const digits = this.src.slice(start, this.pos);
      if (digits.length === 0 || digits.length > 9 || isIdentChar(this.peek())) return null;
      const index = Number(digits);
      if (index < 1) return null;
      return this.followedByEndOfItem() ? { kind: 'param', index, typeHint: null } : null;
    }
    if (c === 45 /* - */ || isDigit(c) || c === 46 /* . */) return this.number();
    if (isIdentStart(c)) {
      const start = this.pos;
      while (this.pos < this.src.length && isIdentChar(this.src.charCodeAt(this.pos))) this.pos++;
      const word = this.src.slice(start, this.pos).toLowerCase();
      if (!this.followedByEndOfItem()) return null;
      if (word === 'null') return { kind: 'const', value: null, typeHint: null };
      if (word === 'true') return { kind: 'const', value: 'true', typeHint: null };
      if (word === 'false') return { kind: 'const', value: 'false', typeHint: null };
      if (word === 'default') return DEFAULT_CELL;
      return null;
    }
    return null;
  }

  /** After an item: only `,` or `)` may follow (no casts, operators, COLLATE, …). */
  private followedByEndOfItem(): boolean {
    const save = this.pos;
    this.ws();
    const c = this.peek();
    this.pos = save;
    return c === 44 || c === 41;
  }

  /** A standard string literal ('' escapes, no backslash processing); no continuation across lines. */
  private string(): string | null {
    this.pos++;
    let out = '';
    for (;;) {
      const end = this.src.indexOf("'", this.pos);
      if (end < 0) return null;
      out += this.src.slice(this.pos, end);
      this.pos = end + 1;
      if (this.peek() === 39) {
        out += "'";
        this.pos++;
      } else break;
    }
    if (out.includes('\0')) return null;
    // 'a' 'b' on separate lines is one literal in SQL: leave that to the real parser.
    return this.followedByEndOfItem() ? out : null;
  }

  /**
   * Numbers as libpg-query hands them to classify: an integer that fits int32 becomes its
   * canonical decimal form (ival), anything else keeps its text (fval). Only the forms whose
   * outcome is certain are taken: [-]digits[.digits][e[+-]digits].
   */
  private number(): Cell | null {
    const start = this.pos;
    let negative = false;
    if (this.peek() === 45) {
      negative = true;
      this.pos++;
      // `- 5` and `--` (a comment) are for the real parser.
      if (!isDigit(this.peek())) return null;
    }
    const intStart = this.pos;
    while (isDigit(this.peek())) this.pos++;
    const intDigits = this.pos - intStart;
    let isInteger = true;
    if (this.peek() === 46 /* . */) {
      isInteger = false;
      this.pos++;
      while (isDigit(this.peek())) this.pos++;
    }
    if (intDigits === 0) return null;
    const e = this.peek();
    if (e === 101 || e === 69) {
      isInteger = false;
      this.pos++;
      if (this.peek() === 43 || this.peek() === 45) this.pos++;
      const expStart = this.pos;
      while (isDigit(this.peek())) this.pos++;
      if (this.pos === expStart) return null;
    }
    // 1abc, 1_000, 0x1f: not plain numbers.
    if (isIdentChar(this.peek()) || !this.followedByEndOfItem()) return null;
    const text = this.src.slice(start, this.pos);
    if (isInteger) {
      const digits = text.slice(negative ? 1 : 0);
      // Leave anything near the int32 boundary to the real parser (ival vs fval there is subtle).
      if (digits.length > 9) return null;
      const n = Number(digits);
      if (n > INT32_MAX) return null;
      return { kind: 'const', value: String(negative ? -n : n), typeHint: null };
    }
    return { kind: 'const', value: text, typeHint: null };
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}

function isIdentChar(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === 36;
}
