/**
 * Column types for CREATE TABLE: from a Postgres parse-tree type name to the DuckDB type
 * that stores it, and from the stored DuckDB type SQL back to everything the rest of
 * DuckMesh needs (Postgres OID, format_type spelling, typmod, length limit).
 *
 * The catalog persists only `ColumnType.sql`, so every fact that matters must survive the
 * round trip `columnTypeFromSql(ct.sql)`. That is why resolveColumnType() ends by calling
 * columnTypeFromSql(), and why length limits live in the SQL (`VARCHAR(20)`, `CHAR(5)`;
 * DuckDB accepts and ignores them).
 *
 * Rules worth knowing:
 * - `numeric`/`decimal` without a precision becomes DECIMAL(38,10): DuckDB has no
 *   arbitrary-precision numeric, and 28 integer + 10 fractional digits keeps typical
 *   money/measurement data exact. Values that need more integer digits are rejected
 *   (22003), extra fractional digits are rounded, exactly like Postgres' numeric(38,10).
 *   Clients therefore see `numeric(38,10)` in the catalog.
 * - precision > 38, negative scale, or scale > precision: valid in Postgres 15, impossible
 *   in DuckDB → 0A000.
 * - `varchar(n)` → VARCHAR(n), `char(n)` → CHAR(n): stored as VARCHAR; the validator
 *   enforces the limit (22001) and blank-pads char(n) like Postgres.
 * - `varchar`, `text`, unbounded `bpchar`, `name`, `"char"` → VARCHAR, shown as `text`.
 * - `jsonb` → JSON (DuckDB has one JSON type), shown as `json`.
 * - `time(p)`/`timestamp(p)`/interval field ranges: accepted, precision ignored (µs kept).
 * - `bit(n)`/`varbit` → DuckDB BIT, shown as text (like query results).
 * - arrays (any number of `[]`) → DuckDB LIST, nested once per dimension; Postgres shows
 *   `integer[]` whatever the dimensionality, and so do we.
 * - serial types → 0A000 (no sequences); known-but-unsupported Postgres types → 0A000;
 *   anything else → 42704 `type "x" does not exist`.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import { Oid, arrayOidOf } from './oids.js';
import { formatType } from './format-type.js';

export interface ColumnType {
  /** DuckDB type SQL used in CAST and CREATE (and persisted in the catalog). */
  sql: string;
  /** Postgres type OID shown in the catalog (pg_attribute.atttypid). */
  pgOid: number;
  /** As Postgres' format_type prints it, e.g. 'character varying(20)', 'integer[]'. */
  pgName: string;
  /** pg_type.typlen of pgOid. */
  typLen: number;
  /** Postgres atttypmod, -1 if none. */
  typMod: number;
  /** Character limit for varchar(n)/char(n). */
  maxLength?: number;
  /** Element type for LIST columns (itself a list for multi-dimensional arrays). */
  element?: ColumnType;
}

export interface TypeNameRef {
  names: string[];
  typmods: number[];
  arrayDims: number;
}

// ---------------------------------------------------------------------------------------
// DuckDB type SQL → ColumnType

interface ScalarInfo {
  sql: string;
  pgOid: number;
  typLen: number;
}

/** Own-property lookup, so names like "constructor" are not found on Object.prototype. */
function lookup<T>(rec: Readonly<Partial<Record<string, T>>>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

function scalar(sql: string, pgOid: number, typLen: number): ScalarInfo {
  return { sql, pgOid, typLen };
}

/** Canonical DuckDB scalar types and how Postgres clients see them (mirrors result-types.ts). */
const DUCK_SCALARS: Readonly<Partial<Record<string, ScalarInfo>>> = {
  BOOLEAN: scalar('BOOLEAN', Oid.bool, 1),
  TINYINT: scalar('TINYINT', Oid.int2, 2),
  SMALLINT: scalar('SMALLINT', Oid.int2, 2),
  INTEGER: scalar('INTEGER', Oid.int4, 4),
  BIGINT: scalar('BIGINT', Oid.int8, 8),
  UTINYINT: scalar('UTINYINT', Oid.int4, 4),
  USMALLINT: scalar('USMALLINT', Oid.int4, 4),
  UINTEGER: scalar('UINTEGER', Oid.int8, 8),
  UBIGINT: scalar('UBIGINT', Oid.numeric, -1),
  HUGEINT: scalar('HUGEINT', Oid.numeric, -1),
  UHUGEINT: scalar('UHUGEINT', Oid.numeric, -1),
  BIGNUM: scalar('BIGNUM', Oid.text, -1),
  FLOAT: scalar('FLOAT', Oid.float4, 4),
  DOUBLE: scalar('DOUBLE', Oid.float8, 8),
  VARCHAR: scalar('VARCHAR', Oid.text, -1),
  BLOB: scalar('BLOB', Oid.bytea, -1),
  DATE: scalar('DATE', Oid.date, 4),
  TIME: scalar('TIME', Oid.time, 8),
  TIME_NS: scalar('TIME_NS', Oid.time, 8),
  'TIME WITH TIME ZONE': scalar('TIME WITH TIME ZONE', Oid.timetz, 12),
  TIMESTAMP: scalar('TIMESTAMP', Oid.timestamp, 8),
  TIMESTAMP_S: scalar('TIMESTAMP_S', Oid.timestamp, 8),
  TIMESTAMP_MS: scalar('TIMESTAMP_MS', Oid.timestamp, 8),
  TIMESTAMP_NS: scalar('TIMESTAMP_NS', Oid.timestamp, 8),
  'TIMESTAMP WITH TIME ZONE': scalar('TIMESTAMP WITH TIME ZONE', Oid.timestamptz, 8),
  INTERVAL: scalar('INTERVAL', Oid.interval, 16),
  UUID: scalar('UUID', Oid.uuid, 16),
  JSON: scalar('JSON', Oid.json, -1),
  BIT: scalar('BIT', Oid.text, -1),
};

/** DuckDB's alternative spellings of the canonical names above. */
const DUCK_ALIASES: Readonly<Partial<Record<string, string>>> = {
  BOOL: 'BOOLEAN', LOGICAL: 'BOOLEAN',
  INT1: 'TINYINT',
  INT2: 'SMALLINT', SHORT: 'SMALLINT',
  INT: 'INTEGER', INT4: 'INTEGER', SIGNED: 'INTEGER', INTEGRAL: 'INTEGER',
  INT8: 'BIGINT', LONG: 'BIGINT',
  INT128: 'HUGEINT',
  UINT8: 'UTINYINT', UINT16: 'USMALLINT', UINT32: 'UINTEGER', UINT64: 'UBIGINT', UINT128: 'UHUGEINT',
  VARINT: 'BIGNUM',
  FLOAT4: 'FLOAT', REAL: 'FLOAT',
  FLOAT8: 'DOUBLE',
  TEXT: 'VARCHAR', STRING: 'VARCHAR', BPCHAR: 'VARCHAR', CHAR: 'VARCHAR', NVARCHAR: 'VARCHAR',
  BYTEA: 'BLOB', BINARY: 'BLOB', VARBINARY: 'BLOB',
  TIMETZ: 'TIME WITH TIME ZONE',
  DATETIME: 'TIMESTAMP', TIMESTAMP_US: 'TIMESTAMP',
  TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
  BITSTRING: 'BIT',
};

const NUMERIC_DEFAULT = { precision: 38, scale: 10 } as const;

function make(sql: string, pgOid: number, typLen: number, typMod = -1, maxLength?: number): ColumnType {
  const ct: ColumnType = { sql, pgOid, pgName: formatType(pgOid, typMod), typLen, typMod };
  if (maxLength !== undefined) ct.maxLength = maxLength;
  return ct;
}

function decimalType(precision: number, scale: number): ColumnType {
  return make(`DECIMAL(${precision},${scale})`, Oid.numeric, -1, ((precision << 16) | scale) + 4);
}

function listOf(element: ColumnType): ColumnType {
  // Postgres uses one array type for every dimensionality, so look through nested lists.
  let inner = element;
  while (inner.element !== undefined) inner = inner.element;
  const arrayOid = arrayOidOf(inner.pgOid);
  const ct: ColumnType = arrayOid === 0
    ? make(`${element.sql}[]`, Oid.text, -1)
    : { sql: `${element.sql}[]`, pgOid: arrayOid, pgName: formatType(arrayOid, inner.typMod), typLen: -1, typMod: inner.typMod };
  ct.element = element;
  return ct;
}

function badSql(sql: string): DuckMeshError {
  return new DuckMeshError(SqlState.undefinedObject, `type "${sql}" does not exist`);
}

function intArgs(sql: string, args: string): number[] {
  return args.split(',').map((a) => {
    const s = a.trim();
    if (!/^\d+$/.test(s)) throw badSql(sql);
    return Number(s);
  });
}

function scalarFromSql(original: string, base: string): ColumnType {
  const m = /^([A-Z_][A-Z0-9_ ]*?)\s*(?:\((.*)\))?$/s.exec(base);
  if (m === null) throw badSql(original);
  const name = m[1].replace(/\s+/g, ' ');
  const args = m[2];
  const canonical = lookup(DUCK_ALIASES, name) ?? name;
  if (canonical === 'DECIMAL' || canonical === 'NUMERIC') {
    if (args === undefined) return decimalType(18, 3); // DuckDB's own default
    const [p, s = 0] = intArgs(original, args);
    return decimalType(p, s);
  }
  if (args !== undefined && (name === 'VARCHAR' || name === 'CHAR' || name === 'BPCHAR')) {
    const [n] = intArgs(original, args);
    return name === 'VARCHAR'
      ? make(`VARCHAR(${n})`, Oid.varchar, -1, n + 4, n)
      : make(`CHAR(${n})`, Oid.bpchar, -1, n + 4, n);
  }
  const info = lookup(DUCK_SCALARS, canonical);
  if (info !== undefined && args === undefined) return make(info.sql, info.pgOid, info.typLen);
  // STRUCT/MAP/UNION/ENUM and other nested or extension types: DuckMesh cannot create them,
  // but a catalog may still carry one; clients see text, DuckDB does the casting.
  if (/^(STRUCT|MAP|UNION|ENUM)$/.test(name) && args !== undefined) return make(base, Oid.text, -1);
  throw badSql(original);
}

/**
 * Parse a stored DuckDB type SQL string back into a ColumnType (catalog load).
 * Accepts DuckDB's spellings and aliases, `DECIMAL(p,s)`, `VARCHAR(n)`, `CHAR(n)` and any
 * number of trailing `[]`/`[n]` (fixed-size arrays are read as lists).
 */
export function columnTypeFromSql(sql: string): ColumnType {
  const s = sql.trim();
  const arr = /^(.*?)\s*\[\s*\d*\s*\]$/s.exec(s);
  if (arr !== null) return listOf(columnTypeFromSql(arr[1]));
  const upper = s.toUpperCase();
  // Keep nested type bodies (field names are case-sensitive) as written.
  if (/^(STRUCT|MAP|UNION|ENUM)\s*\(/.test(upper)) return make(s, Oid.text, -1);
  return scalarFromSql(sql, upper);
}

// ---------------------------------------------------------------------------------------
// Postgres type name (from the parse tree) → DuckDB type SQL

type Resolver = (typmods: number[], shownName: string) => string;

function noTypmods(sql: string): Resolver {
  return (typmods, shownName) => {
    if (typmods.length > 0) {
      throw new DuckMeshError(SqlState.syntaxError, `type modifier is not allowed for type "${shownName}"`);
    }
    return sql;
  };
}

function invalidParam(message: string): DuckMeshError {
  return new DuckMeshError(SqlState.invalidParameterValue, message);
}

function notSupported(message: string, hint?: string): DuckMeshError {
  return new DuckMeshError(SqlState.featureNotSupported, message, hint === undefined ? {} : { hint });
}

const numericResolver: Resolver = (typmods) => {
  if (typmods.length === 0) return `DECIMAL(${NUMERIC_DEFAULT.precision},${NUMERIC_DEFAULT.scale})`;
  if (typmods.length > 2) throw invalidParam('invalid NUMERIC type modifier');
  const [p, s = 0] = typmods;
  if (p < 1 || p > 1000) throw invalidParam(`NUMERIC precision ${p} must be between 1 and 1000`);
  if (s < -1000 || s > 1000) throw invalidParam(`NUMERIC scale ${s} must be between -1000 and 1000`);
  if (p > 38) {
    throw notSupported(`numeric precision ${p} is not supported; the maximum is 38`,
      'Use numeric(38,s), or double precision for approximate values.');
  }
  if (s < 0 || s > p) {
    throw notSupported(`numeric scale ${s} is not supported for precision ${p}; the scale must be between 0 and the precision`);
  }
  return `DECIMAL(${p},${s})`;
};

function lengthResolver(kind: 'varchar' | 'char', sqlName: 'VARCHAR' | 'CHAR', defaultLength?: number): Resolver {
  return (typmods) => {
    if (typmods.length > 1) throw invalidParam(`invalid type modifier`);
    const n = typmods.length === 1 ? typmods[0] : defaultLength;
    if (n === undefined) return 'VARCHAR';
    if (n < 1) throw invalidParam(`length for type ${kind} must be at least 1`);
    if (n > 10485760) throw invalidParam(`length for type ${kind} cannot exceed 10485760`);
    return `${sqlName}(${n})`;
  };
}

function precisionResolver(sql: string, label: string): Resolver {
  return (typmods) => {
    if (typmods.length > 1) throw invalidParam('invalid type modifier');
    if (typmods.length === 1 && typmods[0] < 0) throw invalidParam(`${label}(${typmods[0]}) precision must not be negative`);
    return sql;
  };
}

const ignoreTypmods = (sql: string): Resolver => () => sql;

const bitResolver: Resolver = (typmods, shownName) => {
  if (typmods.length === 1 && typmods[0] < 1) throw invalidParam(`length for type ${shownName === 'varbit' ? 'varbit' : 'bit'} must be at least 1`);
  return 'BIT';
};

/** Postgres builtin type names (pg_type.typname as the parser produces them). */
const PG_RESOLVERS: Readonly<Partial<Record<string, Resolver>>> = {
  bool: noTypmods('BOOLEAN'),
  int2: noTypmods('SMALLINT'),
  int4: noTypmods('INTEGER'),
  int8: noTypmods('BIGINT'),
  float4: noTypmods('FLOAT'),
  float8: noTypmods('DOUBLE'),
  numeric: numericResolver,
  text: noTypmods('VARCHAR'),
  varchar: lengthResolver('varchar', 'VARCHAR'),
  bpchar: lengthResolver('char', 'CHAR'),
  name: noTypmods('VARCHAR'),
  char: noTypmods('VARCHAR'),
  bytea: noTypmods('BLOB'),
  date: noTypmods('DATE'),
  time: precisionResolver('TIME', 'TIME'),
  timetz: precisionResolver('TIME WITH TIME ZONE', 'TIME'),
  timestamp: precisionResolver('TIMESTAMP', 'TIMESTAMP'),
  timestamptz: precisionResolver('TIMESTAMP WITH TIME ZONE', 'TIMESTAMP'),
  interval: ignoreTypmods('INTERVAL'),
  uuid: noTypmods('UUID'),
  json: noTypmods('JSON'),
  jsonb: noTypmods('JSON'),
  bit: bitResolver,
  varbit: bitResolver,
  // Postgres' SQL spellings, in case a caller passes what the user typed rather than the parse tree.
  boolean: noTypmods('BOOLEAN'),
  smallint: noTypmods('SMALLINT'),
  integer: noTypmods('INTEGER'),
  int: noTypmods('INTEGER'),
  bigint: noTypmods('BIGINT'),
  real: noTypmods('FLOAT'),
  'double precision': noTypmods('DOUBLE'),
  decimal: numericResolver,
  'character varying': lengthResolver('varchar', 'VARCHAR'),
  character: lengthResolver('char', 'CHAR', 1),
  'timestamp with time zone': precisionResolver('TIMESTAMP WITH TIME ZONE', 'TIMESTAMP'),
  'timestamp without time zone': precisionResolver('TIMESTAMP', 'TIMESTAMP'),
  'time with time zone': precisionResolver('TIME WITH TIME ZONE', 'TIME'),
  'time without time zone': precisionResolver('TIME', 'TIME'),
  'bit varying': bitResolver,
};

const SERIALS = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

/** Postgres types a user might reasonably name that DuckMesh cannot store faithfully, with a suggestion. */
const UNSUPPORTED: Readonly<Partial<Record<string, string>>> = {
  money: 'Use numeric(p,2).',
  xml: 'Use text.',
  inet: 'Use text.',
  cidr: 'Use text.',
  macaddr: 'Use text.',
  macaddr8: 'Use text.',
  tsvector: 'Full-text search types are not supported.',
  tsquery: 'Full-text search types are not supported.',
  point: 'Use two double precision columns.',
  line: 'Geometric types are not supported.',
  lseg: 'Geometric types are not supported.',
  box: 'Geometric types are not supported.',
  path: 'Geometric types are not supported.',
  polygon: 'Geometric types are not supported.',
  circle: 'Geometric types are not supported.',
  int4range: 'Range types are not supported; use two columns.',
  int8range: 'Range types are not supported; use two columns.',
  numrange: 'Range types are not supported; use two columns.',
  tsrange: 'Range types are not supported; use two columns.',
  tstzrange: 'Range types are not supported; use two columns.',
  daterange: 'Range types are not supported; use two columns.',
  pg_lsn: 'Use text.',
  oid: 'Use bigint.',
  regclass: 'Use text.',
  regtype: 'Use text.',
  regproc: 'Use text.',
  txid_snapshot: 'Use text.',
  record: 'Use json.',
};

/** DuckDB type names accepted unqualified (the parser lowercases unquoted identifiers). */
function duckResolver(lower: string): Resolver | undefined {
  const upper = lower.toUpperCase();
  if (upper === 'DECIMAL' || upper === 'NUMERIC') return numericResolver;
  const canonical = lookup(DUCK_ALIASES, upper) ?? upper;
  const info = lookup(DUCK_SCALARS, canonical);
  return info === undefined ? undefined : noTypmods(info.sql);
}

/**
 * Map a type name from a CREATE TABLE parse tree (libpg-query TypeName: names, integer
 * typmods, number of array dimensions) to the column type DuckMesh stores.
 */
export function resolveColumnType(ref: TypeNameRef): ColumnType {
  const names = ref.names;
  if (names.length === 0) throw badSql('');
  const shown = names.join('.');
  let qualifiedPg = false;
  if (names.length === 2 && names[0].toLowerCase() === 'pg_catalog') qualifiedPg = true;
  else if (names.length !== 1) throw new DuckMeshError(SqlState.undefinedObject, `type "${shown}" does not exist`);
  const last = names[names.length - 1];
  const lower = last.toLowerCase();

  if (SERIALS.has(lower)) {
    throw notSupported(`type "${last}" is not supported`,
      'DuckMesh has no sequences; use bigint (or uuid) and generate values in the client.');
  }
  const hint = lookup(UNSUPPORTED, lower);
  if (hint !== undefined) throw notSupported(`type "${last}" is not supported`, hint);

  // Postgres names win; unqualified names may also be DuckDB's. The parser turns SQL FLOAT into
  // pg_catalog.float8, so a bare "float" reaching us is DuckDB's FLOAT (float4).
  let resolver = lookup(PG_RESOLVERS, lower);
  if (resolver === undefined && !qualifiedPg) resolver = duckResolver(lower);
  if (resolver === undefined) throw new DuckMeshError(SqlState.undefinedObject, `type "${shown}" does not exist`);

  let sql = resolver(ref.typmods, last);
  for (let i = 0; i < ref.arrayDims; i++) sql += '[]';
  return columnTypeFromSql(sql);
}
