/**
 * How a DuckDB result column is described to Postgres clients (RowDescription).
 *
 * The mapping favours the Postgres type whose values and text form match exactly:
 * - TINYINT/SMALLINT → int2, INTEGER → int4, BIGINT → int8; unsigned types widen to the
 *   next signed type that holds every value (UTINYINT/USMALLINT → int4, UINTEGER → int8);
 *   UBIGINT/HUGEINT/UHUGEINT → numeric (no Postgres integer is wide enough).
 * - DECIMAL(p,s) → numeric with typmod ((p << 16) | s) + 4.
 * - VARCHAR → text (25), VARCHAR aliased JSON → json (114), ENUM → text.
 * - TIMESTAMP/_S/_MS/_NS → timestamp (values converted to µs), TIMESTAMP_TZ → timestamptz,
 *   TIME/TIME_NS → time, TIME_TZ → timetz. GEOMETRY → bytea (WKB).
 * - LIST/ARRAY of a type with a Postgres array type → that array type; nested lists
 *   (possibly ragged, which Postgres arrays cannot be) and lists of
 *   STRUCT/MAP/UNION/VARIANT → text.
 * - STRUCT, MAP, UNION, BIT, BIGNUM, VARIANT, SQLNULL and anything else → text: clients get
 *   a readable rendering (see text-encode.ts) instead of a type they cannot decode.
 */
import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import { Oid, arrayOidOf, pgTypeByOid } from './oids.js';

export interface PgTypeDescription {
  typeOid: number;
  typeLen: number;
  typeMod: number;
}

/** Postgres OID for a DuckDB type (the part of describeDuckDBType that does not depend on modifiers). */
export function pgOidForDuckDBType(t: DuckDBType): number {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return Oid.bool;
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
      return Oid.int2;
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
      return Oid.int4;
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return Oid.int8;
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.DECIMAL:
    case DuckDBTypeId.INTEGER_LITERAL:
      return Oid.numeric;
    case DuckDBTypeId.FLOAT:
      return Oid.float4;
    case DuckDBTypeId.DOUBLE:
      return Oid.float8;
    case DuckDBTypeId.VARCHAR:
      return t.alias?.toUpperCase() === 'JSON' ? Oid.json : Oid.text;
    case DuckDBTypeId.BLOB:
    case DuckDBTypeId.GEOMETRY:
      return Oid.bytea;
    case DuckDBTypeId.DATE:
      return Oid.date;
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
      return Oid.time;
    case DuckDBTypeId.TIME_TZ:
      return Oid.timetz;
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return Oid.timestamp;
    case DuckDBTypeId.TIMESTAMP_TZ:
      return Oid.timestamptz;
    case DuckDBTypeId.INTERVAL:
      return Oid.interval;
    case DuckDBTypeId.UUID:
      return Oid.uuid;
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const el = t.valueType;
      if (el.typeId === DuckDBTypeId.LIST || el.typeId === DuckDBTypeId.ARRAY) return Oid.text;
      const elOid = pgOidForDuckDBType(el);
      if (elOid === Oid.text && !isTextLike(el)) return Oid.text;
      return arrayOidOf(elOid) || Oid.text;
    }
    default:
      // ENUM, STRUCT, MAP, UNION, BIT, BIGNUM, VARIANT, SQLNULL, ANY, STRING_LITERAL, INVALID
      return Oid.text;
  }
}

/** Scalars that map to text because they *are* strings (arrays of them become text[]). */
function isTextLike(t: DuckDBType): boolean {
  switch (t.typeId) {
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.BIT:
    case DuckDBTypeId.BIGNUM:
    case DuckDBTypeId.STRING_LITERAL:
    case DuckDBTypeId.SQLNULL:
      return true;
    default:
      return false;
  }
}

function decimalTypmod(t: DuckDBType): number {
  return t.typeId === DuckDBTypeId.DECIMAL ? ((t.width << 16) | t.scale) + 4 : -1;
}

/** RowDescription fields (type OID, typlen, atttypmod) for a DuckDB result column. */
export function describeDuckDBType(t: DuckDBType): PgTypeDescription {
  const typeOid = pgOidForDuckDBType(t);
  const typeLen = pgTypeByOid(typeOid)?.typlen ?? -1;
  let typeMod = decimalTypmod(t);
  if ((t.typeId === DuckDBTypeId.LIST || t.typeId === DuckDBTypeId.ARRAY) && typeOid === Oid._numeric) {
    typeMod = decimalTypmod(t.valueType);
  }
  return { typeOid, typeLen, typeMod };
}
