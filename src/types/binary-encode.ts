/**
 * Result values in Postgres' binary format, for the OID describeDuckDBType() reports.
 * Every Postgres binary format is big-endian; times count from 2000-01-01 (Postgres' epoch)
 * while DuckDB counts from 1970-01-01. Types reported as text are sent as their UTF-8
 * text form (text's binary format is its text).
 */
import {
  DuckDBTypeId,
  type DuckDBBlobValue, type DuckDBDateValue, type DuckDBDecimalValue, type DuckDBIntervalValue,
  type DuckDBListValue, type DuckDBArrayValue, type DuckDBTimeTZValue, type DuckDBTimeValue, type DuckDBTimeNSValue,
  type DuckDBTimestampValue, type DuckDBTimestampTZValue, type DuckDBTimestampSecondsValue,
  type DuckDBTimestampMillisecondsValue, type DuckDBTimestampNanosecondsValue, type DuckDBUUIDValue,
  type DuckDBGeometryValue, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import {
  DUCK_DATE_NEG_INF, DUCK_DATE_POS_INF, DUCK_TS_NEG_INF, DUCK_TS_POS_INF, INT32_MAX, INT32_MIN,
  INT64_MAX, INT64_MIN, PG_EPOCH_DAYS, PG_EPOCH_MICROS,
} from './calendar.js';
import { encodeNumericBinary } from './format-numeric.js';
import { Oid } from './oids.js';
import { pgOidForDuckDBType } from './result-types.js';
import { textEncoderFor } from './text-encode.js';
import { millisToMicros, nanosToMicros, secondsToMicros, timeNanosToMicros } from './timestamp-units.js';

export { encodeNumericBinary, encodeNumericSpecial } from './format-numeric.js';

export type BinaryEncoder = (v: DuckDBValue) => Buffer;

export function encodeInt2(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeInt16BE(n, 0);
  return b;
}

export function encodeInt4(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n, 0);
  return b;
}

/** int8 from a JS number (exact integers only, e.g. UINTEGER) or a bigint. */
export function encodeInt8(n: number | bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  if (typeof n === 'bigint') b.writeBigInt64BE(n, 0);
  else {
    const hi = Math.floor(n / 4294967296);
    b.writeInt32BE(hi, 0);
    b.writeUInt32BE(n - hi * 4294967296, 4);
  }
  return b;
}

export function encodeFloat4(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeFloatBE(n, 0);
  return b;
}

export function encodeFloat8(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleBE(n, 0);
  return b;
}

/** date: int32 days since 2000-01-01; ±infinity are INT32_MAX/INT32_MIN. */
export function encodeDateDays(days: number): Buffer {
  const pg = days === DUCK_DATE_POS_INF ? INT32_MAX : days === DUCK_DATE_NEG_INF ? INT32_MIN : days - PG_EPOCH_DAYS;
  return encodeInt4(pg);
}

/** timestamp/timestamptz: int64 µs since 2000-01-01 UTC; ±infinity are INT64_MAX/INT64_MIN. */
export function encodeTimestampMicros(us: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64BE(us === DUCK_TS_POS_INF ? INT64_MAX : us === DUCK_TS_NEG_INF ? INT64_MIN : us - PG_EPOCH_MICROS, 0);
  return b;
}

/** timetz: int64 µs of day, then int32 zone in seconds *west* of UTC. */
export function encodeTimeTZ(us: number, offsetSeconds: number): Buffer {
  const b = Buffer.allocUnsafe(12);
  b.writeBigInt64BE(BigInt(us), 0);
  b.writeInt32BE(offsetSeconds === 0 ? 0 : -offsetSeconds, 8);
  return b;
}

/** interval: int64 µs, int32 days, int32 months. */
export function encodeInterval(months: number, days: number, micros: bigint): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeBigInt64BE(micros, 0);
  b.writeInt32BE(days, 8);
  b.writeInt32BE(months, 12);
  return b;
}

/** jsonb_send: a version byte (1) followed by the JSON text. */
export function encodeJsonb(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const b = Buffer.allocUnsafe(body.length + 1);
  b[0] = 1;
  body.copy(b, 1);
  return b;
}

export function encodeUuid(uint128: bigint): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeBigUInt64BE(uint128 >> 64n, 0);
  b.writeBigUInt64BE(uint128 & 0xffff_ffff_ffff_ffffn, 8);
  return b;
}

function bytesView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * array_send: int32 ndim, int32 has-nulls flag, uint32 element OID, per dimension int32 size
 * and int32 lower bound (1), then each element as int32 length (-1 for NULL) + bytes.
 * DuckDB lists are one-dimensional here (nested lists are described as text).
 */
export function encodeArray(elementOid: number, items: readonly (Buffer | null)[]): Buffer {
  const n = items.length;
  let size = n === 0 ? 12 : 20;
  let hasNull = 0;
  for (let i = 0; i < n; i++) {
    const it = items[i];
    size += 4;
    if (it === null) hasNull = 1;
    else size += it.length;
  }
  const b = Buffer.allocUnsafe(size);
  b.writeInt32BE(n === 0 ? 0 : 1, 0);
  b.writeInt32BE(hasNull, 4);
  b.writeUInt32BE(elementOid, 8);
  let o = 12;
  if (n > 0) {
    b.writeInt32BE(n, 12);
    b.writeInt32BE(1, 16);
    o = 20;
  }
  for (let i = 0; i < n; i++) {
    const it = items[i];
    if (it === null) {
      b.writeInt32BE(-1, o);
      o += 4;
    } else {
      b.writeInt32BE(it.length, o);
      it.copy(b, o + 4);
      o += 4 + it.length;
    }
  }
  return b;
}

function listEncoder(elementType: DuckDBType): BinaryEncoder {
  const elementOid = pgOidForDuckDBType(elementType);
  const enc = binaryEncoderFor(elementType);
  return (v) => {
    const items = (v as DuckDBListValue | DuckDBArrayValue).items;
    const parts: (Buffer | null)[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      parts[i] = it === null ? null : enc(it);
    }
    return encodeArray(elementOid, parts);
  };
}

function viaText(t: DuckDBType): BinaryEncoder {
  const enc = textEncoderFor(t);
  return (v) => Buffer.from(enc(v), 'utf8');
}

export function binaryEncoderFor(t: DuckDBType): BinaryEncoder {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return (v) => Buffer.from([v ? 1 : 0]);
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
      return (v) => encodeInt2(v as number);
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
      return (v) => encodeInt4(v as number);
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return (v) => encodeInt8(v as number | bigint);
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.INTEGER_LITERAL:
      return (v) => encodeNumericBinary(BigInt(v as bigint | number), 0);
    case DuckDBTypeId.DECIMAL:
      return (v) => encodeNumericBinary((v as DuckDBDecimalValue).value, (v as DuckDBDecimalValue).scale);
    case DuckDBTypeId.FLOAT:
      return (v) => encodeFloat4(v as number);
    case DuckDBTypeId.DOUBLE:
      return (v) => encodeFloat8(v as number);
    case DuckDBTypeId.BLOB:
      return (v) => bytesView((v as DuckDBBlobValue).bytes);
    case DuckDBTypeId.GEOMETRY:
      return (v) => bytesView((v as DuckDBGeometryValue).bytes);
    case DuckDBTypeId.DATE:
      return (v) => encodeDateDays((v as DuckDBDateValue).days);
    case DuckDBTypeId.TIME:
      return (v) => encodeInt8((v as DuckDBTimeValue).micros);
    case DuckDBTypeId.TIME_NS:
      return (v) => encodeInt8(timeNanosToMicros((v as DuckDBTimeNSValue).nanos));
    case DuckDBTypeId.TIME_TZ:
      return (v) => encodeTimeTZ(Number((v as DuckDBTimeTZValue).micros), (v as DuckDBTimeTZValue).offset);
    case DuckDBTypeId.TIMESTAMP:
      return (v) => encodeTimestampMicros((v as DuckDBTimestampValue).micros);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return (v) => encodeTimestampMicros((v as DuckDBTimestampTZValue).micros);
    case DuckDBTypeId.TIMESTAMP_S:
      return (v) => encodeTimestampMicros(secondsToMicros((v as DuckDBTimestampSecondsValue).seconds));
    case DuckDBTypeId.TIMESTAMP_MS:
      return (v) => encodeTimestampMicros(millisToMicros((v as DuckDBTimestampMillisecondsValue).millis));
    case DuckDBTypeId.TIMESTAMP_NS:
      return (v) => encodeTimestampMicros(nanosToMicros((v as DuckDBTimestampNanosecondsValue).nanos));
    case DuckDBTypeId.INTERVAL:
      return (v) => {
        const i = v as DuckDBIntervalValue;
        return encodeInterval(i.months, i.days, i.micros);
      };
    case DuckDBTypeId.UUID:
      return (v) => encodeUuid((v as DuckDBUUIDValue).toUint128());
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return pgOidForDuckDBType(t) === Oid.text ? viaText(t) : listEncoder(t.valueType);
    default:
      // VARCHAR, JSON, ENUM and every type described as text: the text form in UTF-8.
      return viaText(t);
  }
}
