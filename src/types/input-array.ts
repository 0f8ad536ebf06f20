/**
 * Postgres array literals ("{1,2,NULL}", "{{1,2},{3,4}}", '{"a b","c\"d"}', "[1:2]={1,2}")
 * parsed the way array_in does, and DuckDB list literals for the canonical text.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';

export type ArrayItem = string | null | ArrayItem[];

const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';

/** Characters that end or alter an unquoted element. */
const SPECIAL_UNQUOTED = new Set(['\\', ',', '}', '{', '"']);

function malformed(input: string, detail: string): DuckMeshError {
  return new DuckMeshError(SqlState.invalidTextRepresentation, `malformed array literal: "${input}"`, { detail });
}

function unexpected(input: string, ch: string | undefined): DuckMeshError {
  return malformed(input, ch === undefined ? 'Unexpected end of input.' : `Unexpected "${ch}" character.`);
}

/** Dimensions of a parsed (rectangular) array, outermost first; [] for an empty array. */
function dims(items: ArrayItem[]): number[] {
  if (items.length === 0) return [];
  const first = items[0];
  return Array.isArray(first) ? [items.length, ...dims(first)] : [items.length];
}

/**
 * Parse an array literal into nested items (strings are raw element text, null is NULL).
 * Lower bounds other than 1 are rejected: DuckDB lists cannot keep them.
 */
export function parseArrayLiteral(input: string): ArrayItem[] {
  const s = input;
  let pos = 0;
  const skip = (): void => {
    while (isSpace(s[pos])) pos++;
  };
  skip();
  let declared: number[] | undefined;
  if (s[pos] === '[') {
    declared = [];
    while (s[pos] === '[') {
      const m = /^\[\s*(-?\d+)\s*(?::\s*(-?\d+)\s*)?\]/.exec(s.slice(pos));
      if (m === null) throw malformed(input, 'Missing array dimension value.');
      const lower = m[2] === undefined ? 1 : Number(m[1]);
      const upper = Number(m[2] ?? m[1]);
      if (upper < lower) throw malformed(input, 'Upper bound cannot be less than lower bound.');
      if (lower !== 1) {
        throw new DuckMeshError(SqlState.featureNotSupported, `array lower bound ${lower} is not supported`,
          { detail: 'DuckMesh arrays always start at index 1.' });
      }
      declared.push(upper - lower + 1);
      pos += m[0].length;
      skip();
    }
    if (s[pos] !== '=') throw malformed(input, 'Missing "=" after array dimensions.');
    pos++;
    skip();
  }
  if (s[pos] !== '{') throw malformed(input, 'Array value must start with "{" or dimension information.');

  const parseLevel = (depth: number): ArrayItem[] => {
    pos++; // '{'
    const items: ArrayItem[] = [];
    skip();
    if (s[pos] === '}') {
      if (depth > 0) throw unexpected(input, '}');
      pos++;
      return items;
    }
    let nested: boolean | undefined;
    for (;;) {
      skip();
      const c = s[pos];
      if (c === '{') {
        if (nested === false) throw unexpected(input, '{');
        nested = true;
        items.push(parseLevel(depth + 1));
      } else if (c === undefined) {
        throw unexpected(input, undefined);
      } else if (c === '}' || c === ',') {
        throw unexpected(input, c);
      } else {
        if (nested === true) throw malformed(input, 'Unexpected array element.');
        nested = false;
        items.push(c === '"' ? readQuoted() : readUnquoted());
      }
      skip();
      const d = s[pos];
      if (d === ',') {
        pos++;
        continue;
      }
      if (d === '}') {
        pos++;
        break;
      }
      throw unexpected(input, d);
    }
    if (nested) {
      const shape = JSON.stringify(dims(items[0] as ArrayItem[]));
      for (const sub of items) {
        if (JSON.stringify(dims(sub as ArrayItem[])) !== shape) {
          throw malformed(input, 'Multidimensional arrays must have sub-arrays with matching dimensions.');
        }
      }
    }
    return items;
  };

  const readQuoted = (): string => {
    pos++; // opening quote
    let out = '';
    for (;;) {
      const c = s[pos];
      if (c === undefined) throw unexpected(input, undefined);
      if (c === '\\') {
        if (pos + 1 >= s.length) throw unexpected(input, undefined);
        out += s[pos + 1];
        pos += 2;
      } else if (c === '"') {
        pos++;
        return out;
      } else {
        out += c;
        pos++;
      }
    }
  };

  const readUnquoted = (): string | null => {
    let out = '';
    let escaped = false;
    let keep = 0; // length of `out` that trailing-space trimming may not cut (escaped chars)
    for (;;) {
      // Copy runs of ordinary characters in one slice.
      const start = pos;
      while (pos < s.length && !SPECIAL_UNQUOTED.has(s[pos])) pos++;
      if (pos > start) out += s.slice(start, pos);
      const c = s[pos];
      if (c === undefined) throw unexpected(input, undefined);
      if (c === '\\') {
        if (pos + 1 >= s.length) throw unexpected(input, undefined);
        out += s[pos + 1];
        pos += 2;
        escaped = true;
        keep = out.length;
      } else if (c === ',' || c === '}') {
        break;
      } else if (c === '{' || c === '"') {
        throw unexpected(input, c);
      }
    }
    let end = out.length;
    while (end > keep && isSpace(out[end - 1])) end--;
    out = out.slice(0, end);
    if (!escaped && out.length === 4 && out.toUpperCase() === 'NULL') return null;
    return out;
  };

  const items = parseLevel(0);
  skip();
  if (pos < s.length) throw malformed(input, 'Junk after closing right brace.');
  if (declared !== undefined && JSON.stringify(declared) !== JSON.stringify(dims(items))) {
    throw malformed(input, 'Specified array dimensions do not match array contents.');
  }
  return items;
}

/** Number of array dimensions of parsed items (0 for an empty array). */
export function arrayDepth(items: ArrayItem[]): number {
  return dims(items).length;
}

/** One element of a DuckDB list literal: double-quoted, with " and \ backslash-escaped. */
export function quoteDuckListElement(s: string): string {
  if (s.indexOf('"') < 0 && s.indexOf('\\') < 0) return `"${s}"`;
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/** A DuckDB list literal DuckDB's VARCHAR→LIST cast reads back exactly: every element double-quoted. */
export function duckListLiteral(items: readonly ArrayItem[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ', ';
    const it = items[i];
    if (it === null) out += 'NULL';
    else if (Array.isArray(it)) out += duckListLiteral(it);
    else out += quoteDuckListElement(it);
  }
  return `${out}]`;
}
