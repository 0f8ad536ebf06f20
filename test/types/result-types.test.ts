/**
 * RowDescription types for every DuckDB type id, and the text/binary encoders agreeing with them.
 */
import { describe, expect, it } from 'vitest';
import {
  ANY, ARRAY, BIGINT, BIGNUM, BIT, BLOB, BOOLEAN, DATE, DECIMAL, DOUBLE, DuckDBTypeId, ENUM, FLOAT, GEOMETRY, HUGEINT, INTEGER,
  INTERVAL, LIST, MAP, SMALLINT, SQLNULL, STRUCT, TIME, TIMESTAMP, TIMESTAMPTZ, TIMESTAMP_MS, TIMESTAMP_NS, TIMESTAMP_S, TIMETZ,
  TIME_NS, TINYINT, UBIGINT, UHUGEINT, UINTEGER, UNION, USMALLINT, UTINYINT, UUID, VARCHAR, VARIANT, DuckDBVarCharType, type DuckDBType,
} from '@duckdb/node-api';
import { binaryEncoderFor } from '../../src/types/binary-encode.js';
import { describeDuckDBType } from '../../src/types/result-types.js';
import { textEncoderFor } from '../../src/types/text-encode.js';

/** DuckDB reports JSON columns as VARCHAR with alias JSON. */
const JSON_T = DuckDBVarCharType.create('JSON');

const CASES: [string, DuckDBType, number, number, number][] = [
  ['BOOLEAN', BOOLEAN, 16, 1, -1],
  ['TINYINT', TINYINT, 21, 2, -1],
  ['SMALLINT', SMALLINT, 21, 2, -1],
  ['INTEGER', INTEGER, 23, 4, -1],
  ['BIGINT', BIGINT, 20, 8, -1],
  ['UTINYINT', UTINYINT, 23, 4, -1],
  ['USMALLINT', USMALLINT, 23, 4, -1],
  ['UINTEGER', UINTEGER, 20, 8, -1],
  ['UBIGINT', UBIGINT, 1700, -1, -1],
  ['HUGEINT', HUGEINT, 1700, -1, -1],
  ['UHUGEINT', UHUGEINT, 1700, -1, -1],
  ['FLOAT', FLOAT, 700, 4, -1],
  ['DOUBLE', DOUBLE, 701, 8, -1],
  ['DECIMAL(18,3)', DECIMAL(18, 3), 1700, -1, ((18 << 16) | 3) + 4],
  ['DECIMAL(38,0)', DECIMAL(38, 0), 1700, -1, (38 << 16) + 4],
  ['VARCHAR', VARCHAR, 25, -1, -1],
  ['JSON', JSON_T, 114, -1, -1],
  ['BLOB', BLOB, 17, -1, -1],
  ['DATE', DATE, 1082, 4, -1],
  ['TIME', TIME, 1083, 8, -1],
  ['TIME_NS', TIME_NS, 1083, 8, -1],
  ['TIMETZ', TIMETZ, 1266, 12, -1],
  ['TIMESTAMP', TIMESTAMP, 1114, 8, -1],
  ['TIMESTAMP_S', TIMESTAMP_S, 1114, 8, -1],
  ['TIMESTAMP_MS', TIMESTAMP_MS, 1114, 8, -1],
  ['TIMESTAMP_NS', TIMESTAMP_NS, 1114, 8, -1],
  ['TIMESTAMPTZ', TIMESTAMPTZ, 1184, 8, -1],
  ['INTERVAL', INTERVAL, 1186, 16, -1],
  ['UUID', UUID, 2950, 16, -1],
  ['ENUM', ENUM(['a', 'b']), 25, -1, -1],
  ['LIST(INTEGER)', LIST(INTEGER), 1007, -1, -1],
  ['ARRAY(VARCHAR, 3)', ARRAY(VARCHAR, 3), 1009, -1, -1],
  ['LIST(DECIMAL(5,2))', LIST(DECIMAL(5, 2)), 1231, -1, ((5 << 16) | 2) + 4],
  ['LIST(UTINYINT)', LIST(UTINYINT), 1007, -1, -1],
  ['LIST(HUGEINT)', LIST(HUGEINT), 1231, -1, -1],
  ['LIST(JSON)', LIST(JSON_T), 199, -1, -1],
  ['LIST(ENUM)', LIST(ENUM(['x'])), 1009, -1, -1],
  ['LIST(TIMETZ)', LIST(TIMETZ), 1270, -1, -1],
  ['LIST(LIST(INTEGER))', LIST(LIST(INTEGER)), 25, -1, -1],
  ['LIST(STRUCT)', LIST(STRUCT({ a: INTEGER })), 25, -1, -1],
  ['LIST(MAP)', LIST(MAP(VARCHAR, INTEGER)), 25, -1, -1],
  ['STRUCT', STRUCT({ a: INTEGER }), 25, -1, -1],
  ['MAP', MAP(VARCHAR, INTEGER), 25, -1, -1],
  ['UNION', UNION({ a: INTEGER }), 25, -1, -1],
  ['BIT', BIT, 25, -1, -1],
  ['BIGNUM', BIGNUM, 25, -1, -1],
  ['SQLNULL', SQLNULL, 25, -1, -1],
  ['ANY', ANY, 25, -1, -1],
  ['GEOMETRY', GEOMETRY, 17, -1, -1],
  ['VARIANT', VARIANT, 25, -1, -1],
];

describe('describeDuckDBType', () => {
  it.each(CASES)('%s', (_name, type, typeOid, typeLen, typeMod) => {
    expect(describeDuckDBType(type)).toEqual({ typeOid, typeLen, typeMod });
    // Encoders exist for every type.
    expect(typeof textEncoderFor(type)).toBe('function');
    expect(typeof binaryEncoderFor(type)).toBe('function');
  });

  it('covers every DuckDB type id', () => {
    const ids = new Set(CASES.map(([, t]) => t.typeId));
    const all = Object.values(DuckDBTypeId).filter((v): v is number => typeof v === 'number');
    const missing = all.filter((id) => !ids.has(id as DuckDBTypeId)).map((id) => DuckDBTypeId[id]);
    // INVALID and the literal pseudo-types never describe a result column.
    expect(missing.sort()).toEqual(['INTEGER_LITERAL', 'INVALID', 'STRING_LITERAL']);
  });
});
