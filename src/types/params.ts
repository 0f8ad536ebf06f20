/**
 * Extended-protocol parameters: decoding Bind values into canonical text for
 * `CAST(? AS <type>)`, choosing that DuckDB type from the parameter's Postgres OID, and
 * reporting DuckDB-inferred parameter types back as OIDs (ParameterDescription).
 *
 * Text-format values are validated like Postgres' input functions (so 'abc' for an int4
 * parameter fails with 22P02 before DuckDB sees it); binary values are decoded from
 * Postgres' *_send formats. Parameters of unknown/unspecified type pass through as text.
 */
import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import { columnTypeFromSql } from './column-types.js';
import { decodeBinaryParam } from './binary-decode.js';
import { checkText } from './input-misc.js';
import { parseDecimal, parseInteger, type IntegerKind } from './input-number.js';
import { Oid, elementOidOf } from './oids.js';
import { pgOidForDuckDBType } from './result-types.js';
import { validatorFor, type Validator } from './validate.js';

/**
 * numeric parameters become DECIMAL(38,10), DuckMesh's rule for unconstrained numeric:
 * exact for 28 integer and 10 fractional digits.
 */
const NUMERIC_PARAM_SQL = 'DECIMAL(38,10)';

/** DuckDB type for each Postgres scalar OID a client may declare. */
const SCALAR_SQL: ReadonlyMap<number, string> = new Map<number, string>([
  [Oid.bool, 'BOOLEAN'],
  [Oid.int2, 'SMALLINT'],
  [Oid.int4, 'INTEGER'],
  [Oid.int8, 'BIGINT'],
  [Oid.oid, 'UINTEGER'],
  [Oid.xid, 'UINTEGER'],
  [Oid.cid, 'UINTEGER'],
  [Oid.float4, 'FLOAT'],
  [Oid.float8, 'DOUBLE'],
  [Oid.numeric, NUMERIC_PARAM_SQL],
  [Oid.text, 'VARCHAR'],
  [Oid.varchar, 'VARCHAR'],
  [Oid.bpchar, 'VARCHAR'],
  [Oid.name, 'VARCHAR'],
  [Oid.char, 'VARCHAR'],
  [Oid.xml, 'VARCHAR'],
  [Oid.bytea, 'BLOB'],
  [Oid.date, 'DATE'],
  [Oid.time, 'TIME'],
  [Oid.timetz, 'TIME WITH TIME ZONE'],
  [Oid.timestamp, 'TIMESTAMP'],
  [Oid.timestamptz, 'TIMESTAMP WITH TIME ZONE'],
  [Oid.interval, 'INTERVAL'],
  [Oid.uuid, 'UUID'],
  [Oid.json, 'JSON'],
  [Oid.jsonb, 'JSON'],
  [Oid.bit, 'BIT'],
  [Oid.varbit, 'BIT'],
]);

/**
 * DuckDB type SQL to CAST a parameter of this Postgres type to, or null when the type is
 * unspecified (0), unknown (705) or has no DuckDB equivalent (reg* names, void, ...), in
 * which case the caller should leave the parameter for DuckDB to infer.
 */
export function paramTypeToDuckDB(oid: number): string | null {
  const scalar = SCALAR_SQL.get(oid);
  if (scalar !== undefined) return scalar;
  const elem = elementOidOf(oid);
  if (elem !== 0) {
    const el = SCALAR_SQL.get(elem);
    return el === undefined ? null : `${el}[]`;
  }
  return null;
}

const OID_KIND: IntegerKind = { name: 'oid', min: -2147483648n, max: 4294967295n };

const textValidators = new Map<number, Validator | null>();

/** Validator for a text-format parameter; null means "pass the text through". */
function textValidatorFor(oid: number): Validator | null {
  let v = textValidators.get(oid);
  if (v !== undefined) return v;
  const sql = paramTypeToDuckDB(oid);
  if (oid === Oid.numeric) {
    v = (t) => parseDecimal(t, 38, 10, 'numeric');
  } else if (oid === Oid.oid) {
    // oidin takes -2^31 … 2^32-1 and wraps negatives, as Postgres does.
    v = (t) => {
      const n = BigInt(parseInteger(t, OID_KIND));
      return `${n < 0n ? n + 4294967296n : n}`;
    };
  } else if (sql === null || sql === 'VARCHAR' || sql === 'UINTEGER') {
    v = null;
  } else {
    v = validatorFor(columnTypeFromSql(sql));
  }
  textValidators.set(oid, v);
  return v;
}

/**
 * One Bind parameter value → canonical text DuckDB can CAST from VARCHAR to
 * paramTypeToDuckDB(oid). Throws Postgres' error for invalid input.
 */
export function decodeParam(oid: number, format: 0 | 1, data: Buffer): string {
  if (format === 1) return decodeBinaryParam(oid, data);
  const text = data.toString('utf8');
  const validate = textValidatorFor(oid);
  if (validate === null) {
    checkText(text);
    return text;
  }
  return validate(text);
}

/**
 * OID to announce in ParameterDescription for a parameter whose type DuckDB inferred.
 * Unresolved types (ANY, SQLNULL, literals) are announced as text, which every driver can
 * send and DuckDB can cast.
 */
export function duckDBTypeToParamOid(t: DuckDBType): number {
  switch (t.typeId) {
    case DuckDBTypeId.ANY:
    case DuckDBTypeId.SQLNULL:
    case DuckDBTypeId.STRING_LITERAL:
      return Oid.text;
    case DuckDBTypeId.INTEGER_LITERAL:
      return Oid.int8;
    default:
      return pgOidForDuckDBType(t);
  }
}
