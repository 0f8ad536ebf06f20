/**
 * The errors Postgres' type input functions raise, with Postgres' SQLSTATEs and message
 * text, so clients and tests see the same thing they would from Postgres.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';

/** 22P02 `invalid input syntax for type integer: "abc"` */
export function invalidSyntax(typeName: string, input: string, detail?: string): DuckMeshError {
  return new DuckMeshError(SqlState.invalidTextRepresentation, `invalid input syntax for type ${typeName}: "${input}"`,
    detail === undefined ? {} : { detail });
}

/** 22003 `value "99999999999" is out of range for type integer` */
export function intOutOfRange(typeName: string, input: string): DuckMeshError {
  return new DuckMeshError(SqlState.numericValueOutOfRange, `value "${input}" is out of range for type ${typeName}`);
}

/** 22003 `"1e400" is out of range for type double precision` */
export function floatOutOfRange(typeName: string, input: string): DuckMeshError {
  return new DuckMeshError(SqlState.numericValueOutOfRange, `"${input}" is out of range for type ${typeName}`);
}

/** 22003 `numeric field overflow` with Postgres' detail. */
export function numericOverflow(detail: string): DuckMeshError {
  return new DuckMeshError(SqlState.numericValueOutOfRange, 'numeric field overflow', { detail });
}

/** 22007 `invalid input syntax for type timestamp: "x"` (Postgres' DTERR_BAD_FORMAT). */
export function badDatetime(typeName: string, input: string): DuckMeshError {
  return new DuckMeshError(SqlState.invalidDatetimeFormat, `invalid input syntax for type ${typeName}: "${input}"`);
}

/** 22008 `date/time field value out of range: "2024-02-30"` (DTERR_FIELD_OVERFLOW / MD_FIELD_OVERFLOW). */
export function datetimeFieldOverflow(input: string, monthDayOrder = false): DuckMeshError {
  return new DuckMeshError(SqlState.datetimeFieldOverflow, `date/time field value out of range: "${input}"`,
    monthDayOrder ? { hint: 'Perhaps you need a different "datestyle" setting.' } : {});
}

/** 22009 `time zone displacement out of range: "..."` */
export function timezoneOverflow(input: string): DuckMeshError {
  return new DuckMeshError('22009', `time zone displacement out of range: "${input}"`);
}

/** 22008 `date out of range: "..."` / `timestamp out of range: "..."` */
export function datetimeOutOfRange(what: 'date' | 'timestamp', input: string): DuckMeshError {
  return new DuckMeshError(SqlState.datetimeFieldOverflow, `${what} out of range: "${input}"`);
}

/** 22015 `interval field value out of range: "..."` */
export function intervalFieldOverflow(input: string): DuckMeshError {
  return new DuckMeshError('22015', `interval field value out of range: "${input}"`);
}

/** 22008 `interval out of range` */
export function intervalOutOfRange(): DuckMeshError {
  return new DuckMeshError(SqlState.datetimeFieldOverflow, 'interval out of range');
}

/** 22023 `time zone "x" not recognized` */
export function unknownTimezone(zone: string): DuckMeshError {
  return new DuckMeshError(SqlState.invalidParameterValue, `time zone "${zone}" not recognized`);
}
