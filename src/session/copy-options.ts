/**
 * COPY options, checked the way Postgres' ProcessCopyOptions checks them, so a client gets the
 * same error for the same mistake (wrong option for the format or direction, bad delimiter...).
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { CopyOptionValue, CopyStatement } from '../sql/statements.js';

export type CopyFormat = 'text' | 'csv' | 'binary';
/** A column list, or every column ('*'). */
export type ColumnSet = string[] | '*';

export interface CopyOptions {
  format: CopyFormat;
  delimiter: string;
  null: string;
  /** COPY FROM with HEADER MATCH checks the header's names against the columns. */
  header: boolean | 'match';
  quote: string;
  escape: string;
  forceQuote: ColumnSet;
  forceNull: ColumnSet;
  forceNotNull: ColumnSet;
  /** PG16 DEFAULT 'marker': a field equal to it takes the column default. */
  defaultMarker: string | null;
}

function syntax(message: string): DuckMeshError {
  return new DuckMeshError(SqlState.syntaxError, message);
}

function featureNotSupported(message: string): DuckMeshError {
  return new DuckMeshError(SqlState.featureNotSupported, message);
}

function asText(name: string, v: CopyOptionValue): string {
  if (typeof v !== 'string') throw syntax(`${name} requires a string value`);
  return v;
}

function asBool(name: string, v: CopyOptionValue): boolean {
  const s = typeof v === 'string' ? v.toLowerCase() : '';
  if (['true', 'on', '1'].includes(s)) return true;
  if (['false', 'off', '0'].includes(s)) return false;
  throw syntax(`${name} requires a Boolean value`);
}

function asColumns(name: string, v: CopyOptionValue): ColumnSet {
  if (v === '*') return '*';
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [v];
  throw syntax(`argument to option "${name}" must be a list of column names`);
}

/** Validates the options of one COPY statement (direction from `stmt.isFrom`). */
export function copyOptions(stmt: CopyStatement): CopyOptions {
  const o = stmt.options;
  const format = (o['format'] === undefined ? 'text' : asText('format', o['format']).toLowerCase()) as CopyFormat;
  if (!['text', 'csv', 'binary'].includes(format)) throw syntax(`COPY format "${String(o['format'])}" not recognized`);
  const csv = format === 'csv';
  const out: CopyOptions = {
    format,
    delimiter: csv ? ',' : '\t',
    null: csv ? '' : '\\N',
    header: false,
    quote: '"',
    escape: '"',
    forceQuote: [],
    forceNull: [],
    forceNotNull: [],
    defaultMarker: null,
  };
  let escapeGiven = false;
  for (const [name, v] of Object.entries(o)) {
    switch (name) {
      case 'format':
        break;
      case 'delimiter':
        out.delimiter = asText(name, v);
        break;
      case 'null':
        out.null = asText(name, v);
        break;
      case 'header':
        out.header = typeof v === 'string' && v.toLowerCase() === 'match' ? 'match' : asBool(name, v);
        break;
      case 'quote':
        out.quote = asText(name, v);
        break;
      case 'escape':
        out.escape = asText(name, v);
        escapeGiven = true;
        break;
      case 'force_quote':
        out.forceQuote = asColumns(name, v);
        break;
      case 'force_null':
        out.forceNull = asColumns(name, v);
        break;
      case 'force_not_null':
        out.forceNotNull = asColumns(name, v);
        break;
      case 'default':
        out.defaultMarker = asText(name, v);
        break;
      case 'encoding': {
        const enc = asText(name, v).toUpperCase().replace(/-/g, '');
        if (enc !== 'UTF8' && enc !== 'UNICODE') throw featureNotSupported(`COPY encoding "${String(v)}" is not supported; only UTF8 is`);
        break;
      }
      case 'freeze':
        asBool(name, v);
        break;
      default:
        throw syntax(`option "${name}" not recognized`);
    }
  }
  if (!escapeGiven) out.escape = out.quote;
  check(stmt, out, o);
  return out;
}

function check(stmt: CopyStatement, out: CopyOptions, given: Record<string, CopyOptionValue>): void {
  const binary = out.format === 'binary';
  const csv = out.format === 'csv';
  if (binary && given['delimiter'] !== undefined) throw syntax('cannot specify DELIMITER in BINARY mode');
  if (binary && given['null'] !== undefined) throw syntax('cannot specify NULL in BINARY mode');
  if (binary && given['default'] !== undefined) throw syntax('cannot specify DEFAULT in BINARY mode');
  if (binary && out.header !== false) throw featureNotSupported('cannot specify HEADER in BINARY mode');
  if (!binary && Buffer.byteLength(out.delimiter) !== 1) throw featureNotSupported('COPY delimiter must be a single one-byte character');
  if (!binary && (out.delimiter === '\r' || out.delimiter === '\n')) throw new DuckMeshError(SqlState.invalidParameterValue, 'COPY delimiter cannot be newline or carriage return');
  if (out.null.includes('\r') || out.null.includes('\n')) throw new DuckMeshError(SqlState.invalidParameterValue, 'COPY null representation cannot use newline or carriage return');
  if (out.format === 'text' && '\\.abcdefghijklmnopqrstuvwxyz0123456789'.includes(out.delimiter)) {
    throw featureNotSupported(`COPY delimiter cannot be "${out.delimiter}"`);
  }
  if (!csv && given['quote'] !== undefined) throw featureNotSupported('COPY quote available only in CSV mode');
  if (!csv && given['escape'] !== undefined) throw featureNotSupported('COPY escape available only in CSV mode');
  if (csv && Buffer.byteLength(out.quote) !== 1) throw featureNotSupported('COPY quote must be a single one-byte character');
  if (csv && Buffer.byteLength(out.escape) !== 1) throw featureNotSupported('COPY escape must be a single one-byte character');
  if (csv && out.delimiter === out.quote) throw featureNotSupported('COPY delimiter and quote must be different');
  if (!binary && out.null.includes(out.delimiter)) throw featureNotSupported('COPY delimiter must not appear in the NULL specification');
  if (csv && out.null.includes(out.quote)) throw featureNotSupported('CSV quote character must not appear in the NULL specification');
  if (given['force_quote'] !== undefined && (!csv || stmt.isFrom)) {
    throw featureNotSupported(csv ? 'COPY force quote only available using COPY TO' : 'COPY force quote available only in CSV mode');
  }
  for (const [opt, label] of [['force_null', 'force null'], ['force_not_null', 'force not null']] as const) {
    if (given[opt] !== undefined && (!csv || !stmt.isFrom)) {
      throw featureNotSupported(csv ? `COPY ${label} only available using COPY FROM` : `COPY ${label} available only in CSV mode`);
    }
  }
  if (out.header === 'match' && !stmt.isFrom) throw featureNotSupported('cannot use "match" with HEADER in COPY TO');
  if (out.defaultMarker !== null && !stmt.isFrom) throw featureNotSupported('COPY DEFAULT only available using COPY FROM');
  if (out.defaultMarker !== null && out.defaultMarker === out.null) throw syntax('NULL specification and DEFAULT specification cannot be the same');
}

/** Resolves a FORCE_* column list against the COPY's columns; unknown names are 42703. */
export function columnFlags(set: ColumnSet, columns: string[], option: string, table: string): boolean[] {
  if (set === '*') return columns.map(() => true);
  for (const name of set) {
    if (!columns.includes(name)) {
      throw new DuckMeshError(SqlState.syntaxError, `${option} column "${name}" not referenced by COPY`, { detail: `table "${table}"` });
    }
  }
  return columns.map((c) => set.includes(c));
}
