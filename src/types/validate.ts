/**
 * Ingest validation: turn a text value for a column into canonical text that
 * `CAST(? AS <ct.sql>)` in DuckDB reads as the value Postgres would store, or throw the
 * error (SQLSTATE and message) Postgres would raise for it.
 *
 * The canonical forms are DuckDB literals: integers and decimals as plain digits, floats in
 * shortest round-trip form, dates/timestamps in ISO with DuckDB's "(BC)" marker, timestamptz
 * normalised to UTC ("+00"), intervals as "N months N days N microseconds", blobs with \xHH
 * escapes, lists as DuckDB list literals with every element double-quoted.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { ColumnType } from './column-types.js';
import { duckIntervalLiteral, duckTimestampLiteral, formatTimeMicros, formatTimeTZ } from './format-datetime.js';
import { arrayDepth, duckListLiteral, parseArrayLiteral, quoteDuckListElement, type ArrayItem } from './input-array.js';
import { canonicalDate, canonicalTimestamp, parseTime, parseTimeTZ, parseTimestamp } from './input-datetime.js';
import { datetimeOutOfRange } from './input-errors.js';
import { parseInterval } from './input-interval.js';
import { checkJson, checkLength, checkText, duckBlobLiteral, parseBitString, parseBytea, parseUuid } from './input-misc.js';
import {
  INT2, INT4, INT8, parseBool, parseDecimal, parseFloat4, parseFloat8, parseInteger, type IntegerKind,
} from './input-number.js';

export type Validator = (text: string) => string;

const INTEGER_KINDS: Readonly<Record<string, IntegerKind>> = {
  TINYINT: { name: 'tinyint', min: -128n, max: 127n },
  SMALLINT: INT2,
  INTEGER: INT4,
  BIGINT: INT8,
  HUGEINT: { name: 'hugeint', min: -(2n ** 127n), max: 2n ** 127n - 1n },
  UTINYINT: { name: 'utinyint', min: 0n, max: 255n },
  USMALLINT: { name: 'usmallint', min: 0n, max: 65535n },
  UINTEGER: { name: 'uinteger', min: 0n, max: 4294967295n },
  UBIGINT: { name: 'ubigint', min: 0n, max: 2n ** 64n - 1n },
  UHUGEINT: { name: 'uhugeint', min: 0n, max: 2n ** 128n - 1n },
  // DuckDB's arbitrary-precision integer; its real limit (~1.2 million digits) is far beyond ingest sizes.
  BIGNUM: { name: 'bignum', min: -(10n ** 4000n), max: 10n ** 4000n },
};

// TIMESTAMP_NS holds 1677-09-21 00:12:43.145224192 … 2262-04-11 23:47:16.854775807.
const NS_MIN_MICROS = -9_223_372_036_854_775n;
const NS_MAX_MICROS = 9_223_372_036_854_775n;

/** The DuckDB type name of a (non-list) column type: "DECIMAL(18,3)" → "DECIMAL". */
function baseName(sql: string): string {
  const p = sql.indexOf('(');
  return (p < 0 ? sql : sql.slice(0, p)).trim().toUpperCase();
}

function decimalArgs(sql: string): [number, number] {
  const m = /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(sql);
  return m === null ? [18, 3] : [Number(m[1]), Number(m[2] ?? 0)];
}

function scalarValidator(ct: ColumnType): Validator {
  const base = baseName(ct.sql);
  const intKind = Object.hasOwn(INTEGER_KINDS, base) ? INTEGER_KINDS[base] : undefined;
  if (intKind !== undefined) return (t) => parseInteger(t, intKind);
  switch (base) {
    case 'BOOLEAN':
      return (t) => (parseBool(t) ? 'true' : 'false');
    case 'FLOAT':
      return parseFloat4;
    case 'DOUBLE':
      return parseFloat8;
    case 'DECIMAL': {
      const [p, s] = decimalArgs(ct.sql);
      return (t) => parseDecimal(t, p, s, ct.pgName);
    }
    case 'VARCHAR':
      if (ct.maxLength !== undefined) {
        const n = ct.maxLength;
        return (t) => checkLength(t, n, false);
      }
      return (t) => {
        checkText(t);
        return t;
      };
    case 'CHAR': {
      const n = ct.maxLength ?? 1;
      return (t) => checkLength(t, n, true);
    }
    case 'BLOB':
      return (t) => duckBlobLiteral(parseBytea(t));
    case 'DATE':
      return canonicalDate;
    case 'TIME':
    case 'TIME_NS':
      return (t) => formatTimeMicros(parseTime(t));
    case 'TIME WITH TIME ZONE': {
      return (t) => {
        const v = parseTimeTZ(t);
        return formatTimeTZ(v.micros, v.offset);
      };
    }
    case 'TIMESTAMP':
    case 'TIMESTAMP_S':
    case 'TIMESTAMP_MS':
      return (t) => canonicalTimestamp(t, false);
    case 'TIMESTAMP_NS':
      return (t) => {
        const us = parseTimestamp(t, false);
        if ((us < NS_MIN_MICROS || us > NS_MAX_MICROS) && us !== 2n ** 63n - 1n && us !== -(2n ** 63n - 1n)) {
          throw datetimeOutOfRange('timestamp', t);
        }
        return duckTimestampLiteral(us, false);
      };
    case 'TIMESTAMP WITH TIME ZONE':
      return (t) => canonicalTimestamp(t, true);
    case 'INTERVAL':
      return (t) => {
        const v = parseInterval(t);
        return duckIntervalLiteral(v.months, v.days, v.micros);
      };
    case 'UUID':
      return parseUuid;
    case 'JSON':
      return checkJson;
    case 'BIT':
      return parseBitString;
    default:
      // Nested DuckDB types (STRUCT, MAP, ...) that only a hand-edited catalog can hold: DuckDB's cast validates.
      return (t) => {
        checkText(t);
        return t;
      };
  }
}

/** Innermost element type and number of list levels. */
function listShape(ct: ColumnType): { leaf: ColumnType; depth: number } {
  let leaf = ct;
  let depth = 0;
  while (leaf.element !== undefined) {
    leaf = leaf.element;
    depth++;
  }
  return { leaf, depth };
}

function mapLeaves(items: ArrayItem[], f: (s: string) => string): ArrayItem[] {
  return items.map((it) => (it === null ? null : Array.isArray(it) ? mapLeaves(it, f) : f(it)));
}

/** Postgres arrays may have any number of dimensions; DuckDB lists nest exactly as declared. */
function wrongDimensions(depth: number, got: number): DuckMeshError {
  return new DuckMeshError(SqlState.featureNotSupported,
    `array has ${got} dimension${got === 1 ? '' : 's'} where ${depth} ${depth === 1 ? 'is' : 'are'} expected`,
    { detail: 'DuckMesh stores arrays as DuckDB lists nested once per declared dimension (int[] is one level, int[][] two).' });
}

function listValidator(ct: ColumnType): Validator {
  const { leaf, depth } = listShape(ct);
  const leafValidate = scalarValidator(leaf);
  return (text) => {
    const trimmed = text.trim();
    if (trimmed.startsWith('[') && !/^\[\s*-?\d+\s*(:\s*-?\d+\s*)?\]/.test(trimmed)) {
      // JSON array form, e.g. [1, 2, null] or ["a", "b"].
      let parsed: unknown;
      try {
        parsed = JSON.parse(trimmed);
      } catch {
        throw new DuckMeshError(SqlState.invalidTextRepresentation, `malformed array literal: "${text}"`,
          { detail: 'A value starting with "[" must be a JSON array.' });
      }
      const v = jsonToText(ct, parsed);
      if (v === null) throw new DuckMeshError(SqlState.invalidTextRepresentation, `malformed array literal: "${text}"`);
      return v;
    }
    const items = parseArrayLiteral(text);
    const got = arrayDepth(items);
    if (items.length > 0 && got !== depth) throw wrongDimensions(depth, got);
    return duckListLiteral(mapLeaves(items, leafValidate));
  };
}

/** Validator for one column: canonical DuckDB-castable text, or a Postgres-style error. */
export function validatorFor(ct: ColumnType): Validator {
  return ct.element !== undefined ? listValidator(ct) : scalarValidator(ct);
}

// ---------------------------------------------------------------------------------------
// HTTP JSON ingest

type JsonKind = 'number' | 'boolean' | 'array' | 'object';

function jsonKind(v: unknown): JsonKind | 'string' | 'null' {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean') return t;
  return 'object';
}

function wrongJsonType(ct: ColumnType, kind: JsonKind, expected: string): DuckMeshError {
  return new DuckMeshError(SqlState.invalidTextRepresentation,
    `invalid input for type ${ct.pgName}: expected ${expected}, got JSON ${kind}`);
}

const NUMERIC_BASES = new Set([...Object.keys(INTEGER_KINDS), 'FLOAT', 'DOUBLE', 'DECIMAL']);
const TEXT_BASES = new Set(['VARCHAR', 'CHAR']);

/**
 * A JSON value (from HTTP ingest) as canonical text for a column, or null for JSON null.
 * Strings are read like text input for every type. Numbers are accepted by numeric and text
 * columns, booleans by boolean and text columns, arrays by list columns, and any JSON value
 * by json columns (stored as that JSON: a JSON string stays a JSON string).
 */
export function jsonToText(ct: ColumnType, v: unknown): string | null {
  const kind = jsonKind(v);
  if (kind === 'null') return null;
  if (ct.element === undefined && baseName(ct.sql) === 'JSON') {
    const text = JSON.stringify(v);
    checkText(text);
    return text;
  }
  if (kind === 'string') return validatorFor(ct)(v as string);
  if (ct.element !== undefined) {
    if (kind !== 'array') throw wrongJsonType(ct, kind, 'an array or string');
    const element = ct.element;
    const items = (v as unknown[]).map((x) => {
      const t = jsonToText(element, x);
      // Nested lists are already list literals; wrap them so duckListLiteral keeps them unquoted.
      return t === null ? null : element.element !== undefined ? new ListText(t) : t;
    });
    return listLiteralOf(items);
  }
  const base = baseName(ct.sql);
  if (kind === 'number') {
    if (NUMERIC_BASES.has(base) || TEXT_BASES.has(base) || base === 'BIGNUM') return validatorFor(ct)(`${v as number}`);
    throw wrongJsonType(ct, kind, 'a string');
  }
  if (kind === 'boolean') {
    if (base === 'BOOLEAN' || TEXT_BASES.has(base)) return validatorFor(ct)(v ? 'true' : 'false');
    throw wrongJsonType(ct, kind, NUMERIC_BASES.has(base) ? 'a number or string' : 'a string');
  }
  throw wrongJsonType(ct, kind, NUMERIC_BASES.has(base) ? 'a number or string' : base === 'BOOLEAN' ? 'a boolean or string' : 'a string');
}

/** A nested list's canonical text, inserted verbatim into its parent's literal. */
class ListText {
  constructor(readonly text: string) {}
}

function listLiteralOf(items: readonly (string | null | ListText)[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ', ';
    const it = items[i];
    if (it === null) out += 'NULL';
    else if (it instanceof ListText) out += it.text;
    else out += quoteDuckListElement(it);
  }
  return `${out}]`;
}
