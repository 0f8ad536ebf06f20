/**
 * `format_type(oid, typmod)` as Postgres prints it: the SQL-standard spelling of builtin
 * types plus their modifiers. Used for ColumnType.pgName and by the pg_catalog layer.
 */
import { Oid, elementOidOf, pgTypeByOid } from './oids.js';

/** Postgres' spelling of a base type without modifiers (format_type with typmod -1). */
const SQL_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [Oid.bool, 'boolean'],
  [Oid.char, '"char"'],
  [Oid.any, '"any"'], // a reserved word, so format_type quotes it
  [Oid.int2, 'smallint'],
  [Oid.int4, 'integer'],
  [Oid.int8, 'bigint'],
  [Oid.float4, 'real'],
  [Oid.float8, 'double precision'],
  [Oid.varchar, 'character varying'],
  [Oid.bpchar, 'bpchar'],
  [Oid.time, 'time without time zone'],
  [Oid.timetz, 'time with time zone'],
  [Oid.timestamp, 'timestamp without time zone'],
  [Oid.timestamptz, 'timestamp with time zone'],
  [Oid.varbit, 'bit varying'],
]);

function withModifier(oid: number, typmod: number): string | undefined {
  if (typmod < 0) return undefined;
  switch (oid) {
    case Oid.varchar:
      return `character varying(${typmod - 4})`;
    case Oid.bpchar:
      return `character(${typmod - 4})`;
    case Oid.numeric: {
      const t = typmod - 4;
      // The scale is an 11-bit signed field since Postgres 15 (negative scales exist).
      const scale = ((t & 0x7ff) ^ 1024) - 1024;
      return `numeric(${(t >> 16) & 0xffff},${scale})`;
    }
    case Oid.timestamp:
      return `timestamp(${typmod}) without time zone`;
    case Oid.timestamptz:
      return `timestamp(${typmod}) with time zone`;
    case Oid.time:
      return `time(${typmod}) without time zone`;
    case Oid.timetz:
      return `time(${typmod}) with time zone`;
    case Oid.bit:
      return `bit(${typmod})`;
    case Oid.varbit:
      return `bit varying(${typmod})`;
    default:
      return undefined;
  }
}

/**
 * format_type(oid, typmod). Leaving typmod undefined is SQL's NULL ("no typmod given"), which
 * only matters for bpchar: "character" without a typmod, but "bpchar" for an explicit -1.
 * Interval typmods encode a field range; DuckMesh never produces them, so they print as "interval".
 */
export function formatType(oid: number, typmod?: number): string {
  const info = pgTypeByOid(oid);
  if (info === undefined) return '???';
  if (elementOidOf(oid) !== 0) return `${formatType(info.typelem, typmod)}[]`;
  if (oid === Oid.bpchar && typmod === undefined) return 'character';
  return withModifier(oid, typmod ?? -1) ?? SQL_NAMES.get(oid) ?? info.typname;
}
