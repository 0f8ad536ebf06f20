/**
 * Result values in Postgres' text format, exactly as Postgres 15 prints them with
 * DateStyle ISO, TimeZone UTC, IntervalStyle postgres and extra_float_digits ≥ 1.
 *
 * textEncoderFor() picks one closure per column type up front; the closure receives a
 * non-null value in the shape @duckdb/node-api's vectors return (the caller writes NULLs).
 *
 * Types without a Postgres counterpart (see result-types.ts) are rendered as:
 * STRUCT → record syntax "(1,\"a b\",)"; MAP → DuckDB's own "{k=v, k2=v2}" rendering
 * (elements in Postgres text form); UNION → the active member; BIT → "0101";
 * BIGNUM → digits; GEOMETRY → bytea hex of the WKB; VARIANT → the inner value.
 */
import {
  DuckDBTypeId,
  type DuckDBBlobValue, type DuckDBDateValue, type DuckDBDecimalValue, type DuckDBIntervalValue,
  type DuckDBListValue, type DuckDBArrayValue, type DuckDBMapValue, type DuckDBStructValue,
  type DuckDBTimeTZValue, type DuckDBTimeValue, type DuckDBTimeNSValue, type DuckDBTimestampValue,
  type DuckDBTimestampTZValue, type DuckDBTimestampSecondsValue, type DuckDBTimestampMillisecondsValue,
  type DuckDBTimestampNanosecondsValue, type DuckDBUnionValue, type DuckDBVariantValue, type DuckDBGeometryValue,
  type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import { formatFloat4, formatFloat8 } from './format-float.js';
import { formatDecimal } from './format-numeric.js';
import {
  formatDateDays, formatInterval, formatTimeMicros, formatTimeTZ, formatTimestampMicros, formatTimestampTZMicros,
} from './format-datetime.js';
import { quoteArrayElement, quoteRecordField } from './format-composite.js';
import { secondsToMicros, millisToMicros, nanosToMicros, timeNanosToMicros } from './timestamp-units.js';

export { formatFloat4, formatFloat8 } from './format-float.js';
export { formatDecimal } from './format-numeric.js';
export {
  formatDateDays, formatInterval, formatTimeMicros, formatTimeTZ, formatTimestampMicros, formatTimestampTZMicros,
  formatUtcOffset,
} from './format-datetime.js';
export { quoteArrayElement, quoteRecordField } from './format-composite.js';

export type TextEncoder = (v: DuckDBValue) => string;

export function formatBool(b: boolean): string {
  return b ? 't' : 'f';
}

/** bytea output (bytea_output = hex). */
export function formatBytea(bytes: Uint8Array): string {
  return `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

const str = (v: DuckDBValue): string => `${v as string | number | bigint}`;

function listEncoder(elementType: DuckDBType): TextEncoder {
  const enc = textEncoderFor(elementType);
  // Nested arrays are written inline ({{1,2},{3}}), never quoted.
  const nested = elementType.typeId === DuckDBTypeId.LIST || elementType.typeId === DuckDBTypeId.ARRAY;
  return (v) => {
    const items = (v as DuckDBListValue | DuckDBArrayValue).items;
    let out = '{';
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out += ',';
      const item = items[i];
      out += item === null ? 'NULL' : nested ? enc(item) : quoteArrayElement(enc(item));
    }
    return `${out}}`;
  };
}

function structEncoder(names: readonly string[], types: readonly DuckDBType[]): TextEncoder {
  const encs = types.map((t) => textEncoderFor(t));
  return (v) => {
    const entries = (v as DuckDBStructValue).entries;
    let out = '(';
    for (let i = 0; i < names.length; i++) {
      if (i > 0) out += ',';
      const item = entries[names[i]];
      if (item !== null && item !== undefined) out += quoteRecordField(encs[i](item));
    }
    return `${out})`;
  };
}

function mapEncoder(keyType: DuckDBType, valueType: DuckDBType): TextEncoder {
  const ke = textEncoderFor(keyType);
  const ve = textEncoderFor(valueType);
  return (v) => {
    const parts = (v as DuckDBMapValue).entries.map(
      (e) => `${e.key === null ? 'NULL' : ke(e.key)}=${e.value === null ? 'NULL' : ve(e.value)}`,
    );
    return `{${parts.join(', ')}}`;
  };
}

function unionEncoder(tags: readonly string[], types: readonly DuckDBType[]): TextEncoder {
  const encs = new Map<string, TextEncoder>(tags.map((tag, i) => [tag, textEncoderFor(types[i])]));
  return (v) => {
    const u = v as DuckDBUnionValue;
    if (u.value === null) return '';
    const enc = encs.get(u.tag);
    return enc === undefined ? `${u.value as unknown as string}` : enc(u.value);
  };
}

/** VARIANT values carry their own type; cache encoders by type text. */
const variantEncoders = new Map<string, TextEncoder>();
function encodeVariant(v: DuckDBValue): string {
  const inner = v as DuckDBVariantValue;
  if (inner.value === null) return 'null';
  if (inner.type === undefined) return `${inner.value as unknown as string}`;
  const key = inner.type.toString();
  let enc = variantEncoders.get(key);
  if (enc === undefined) {
    enc = textEncoderFor(inner.type);
    variantEncoders.set(key, enc);
  }
  return enc(inner.value);
}

export function textEncoderFor(t: DuckDBType): TextEncoder {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return (v) => (v ? 't' : 'f');
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
    case DuckDBTypeId.INTEGER_LITERAL:
      return str;
    case DuckDBTypeId.FLOAT:
      return (v) => formatFloat4(v as number);
    case DuckDBTypeId.DOUBLE:
      return (v) => formatFloat8(v as number);
    case DuckDBTypeId.DECIMAL:
      return (v) => formatDecimal((v as DuckDBDecimalValue).value, (v as DuckDBDecimalValue).scale);
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.STRING_LITERAL:
      return (v) => v as string;
    case DuckDBTypeId.BLOB:
      return (v) => formatBytea((v as DuckDBBlobValue).bytes);
    case DuckDBTypeId.GEOMETRY:
      return (v) => formatBytea((v as DuckDBGeometryValue).bytes);
    case DuckDBTypeId.DATE:
      return (v) => formatDateDays((v as DuckDBDateValue).days);
    case DuckDBTypeId.TIME:
      return (v) => formatTimeMicros(Number((v as DuckDBTimeValue).micros));
    case DuckDBTypeId.TIME_NS:
      return (v) => formatTimeMicros(timeNanosToMicros((v as DuckDBTimeNSValue).nanos));
    case DuckDBTypeId.TIME_TZ:
      return (v) => formatTimeTZ(Number((v as DuckDBTimeTZValue).micros), (v as DuckDBTimeTZValue).offset);
    case DuckDBTypeId.TIMESTAMP:
      return (v) => formatTimestampMicros((v as DuckDBTimestampValue).micros);
    case DuckDBTypeId.TIMESTAMP_S:
      return (v) => formatTimestampMicros(secondsToMicros((v as DuckDBTimestampSecondsValue).seconds));
    case DuckDBTypeId.TIMESTAMP_MS:
      return (v) => formatTimestampMicros(millisToMicros((v as DuckDBTimestampMillisecondsValue).millis));
    case DuckDBTypeId.TIMESTAMP_NS:
      return (v) => formatTimestampMicros(nanosToMicros((v as DuckDBTimestampNanosecondsValue).nanos));
    case DuckDBTypeId.TIMESTAMP_TZ:
      return (v) => formatTimestampTZMicros((v as DuckDBTimestampTZValue).micros);
    case DuckDBTypeId.INTERVAL: {
      return (v) => {
        const i = v as DuckDBIntervalValue;
        return formatInterval(i.months, i.days, i.micros);
      };
    }
    case DuckDBTypeId.UUID:
      return (v) => `${v as object}`; // DuckDBUUIDValue prints lowercase 8-4-4-4-12 hex
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return listEncoder(t.valueType);
    case DuckDBTypeId.STRUCT:
      return structEncoder(t.entryNames, t.entryTypes);
    case DuckDBTypeId.MAP:
      return mapEncoder(t.keyType, t.valueType);
    case DuckDBTypeId.UNION:
      return unionEncoder(t.memberTags, t.memberTypes);
    case DuckDBTypeId.VARIANT:
      return encodeVariant;
    case DuckDBTypeId.BIT:
    case DuckDBTypeId.SQLNULL:
    case DuckDBTypeId.ANY:
    default:
      return (v) => `${v as object}`;
  }
}
