/**
 * Postgres binary wire values (Bind parameters in format 1) decoded to canonical text that
 * DuckDB casts from VARCHAR: the *_recv counterparts of binary-encode.ts.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import { INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, DUCK_DATE_NEG_INF, DUCK_DATE_POS_INF, DUCK_TS_NEG_INF, DUCK_TS_POS_INF, PG_EPOCH_DAYS, PG_EPOCH_MICROS } from './calendar.js';
import { formatFloat4, formatFloat8 } from './format-float.js';
import { decodeNumericBinary } from './format-numeric.js';
import { duckDateLiteral, duckIntervalLiteral, duckTimestampLiteral, formatTimeMicros, formatTimeTZ } from './format-datetime.js';
import { duckListLiteral, type ArrayItem } from './input-array.js';
import { checkJson, checkText, duckBlobLiteral, parseBitString } from './input-misc.js';
import { Oid, elementOidOf, pgTypeByOid } from './oids.js';
import { formatType } from './format-type.js';

function badFormat(): DuckMeshError {
  return new DuckMeshError('22P03', 'incorrect binary data format in bind parameter');
}

function need(data: Buffer, n: number): void {
  if (data.length !== n) throw badFormat();
}

function utf8(data: Buffer): string {
  const s = data.toString('utf8');
  checkText(s);
  return s;
}

/** µs since 2000-01-01 (Postgres) → DuckDB timestamp literal. */
function timestampText(data: Buffer, withTz: boolean): string {
  need(data, 8);
  const v = data.readBigInt64BE(0);
  const us = v === INT64_MAX ? DUCK_TS_POS_INF : v === INT64_MIN ? DUCK_TS_NEG_INF : v + PG_EPOCH_MICROS;
  return duckTimestampLiteral(us, withTz);
}

function uuidText(data: Buffer): string {
  need(data, 16);
  const h = data.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Decoders for every scalar type DuckMesh accepts in binary. */
const SCALAR: ReadonlyMap<number, (data: Buffer) => string> = new Map<number, (data: Buffer) => string>([
  [Oid.bool, (d) => { need(d, 1); return d[0] === 0 ? 'false' : 'true'; }],
  [Oid.int2, (d) => { need(d, 2); return `${d.readInt16BE(0)}`; }],
  [Oid.int4, (d) => { need(d, 4); return `${d.readInt32BE(0)}`; }],
  [Oid.int8, (d) => { need(d, 8); return `${d.readBigInt64BE(0)}`; }],
  [Oid.oid, (d) => { need(d, 4); return `${d.readUInt32BE(0)}`; }],
  [Oid.xid, (d) => { need(d, 4); return `${d.readUInt32BE(0)}`; }],
  [Oid.cid, (d) => { need(d, 4); return `${d.readUInt32BE(0)}`; }],
  [Oid.regproc, (d) => { need(d, 4); return `${d.readUInt32BE(0)}`; }],
  [Oid.regclass, (d) => { need(d, 4); return `${d.readUInt32BE(0)}`; }],
  [Oid.regtype, (d) => { need(d, 4); return `${d.readUInt32BE(0)}`; }],
  [Oid.float4, (d) => { need(d, 4); return formatFloat4(d.readFloatBE(0)); }],
  [Oid.float8, (d) => { need(d, 8); return formatFloat8(d.readDoubleBE(0)); }],
  [Oid.numeric, (d) => {
    try {
      return decodeNumericBinary(d);
    } catch {
      throw badFormat();
    }
  }],
  [Oid.text, utf8],
  [Oid.varchar, utf8],
  [Oid.bpchar, utf8],
  [Oid.name, utf8],
  [Oid.char, utf8],
  [Oid.unknown, utf8],
  [Oid.xml, utf8],
  [Oid.json, (d) => checkJson(d.toString('utf8'))],
  [Oid.jsonb, (d) => {
    if (d.length < 1 || d[0] !== 1) throw new DuckMeshError(SqlState.featureNotSupported, `unsupported jsonb version number ${d[0] ?? ''}`);
    return checkJson(d.subarray(1).toString('utf8'));
  }],
  [Oid.bytea, (d) => duckBlobLiteral(d)],
  [Oid.date, (d) => {
    need(d, 4);
    const v = d.readInt32BE(0);
    return duckDateLiteral(v === INT32_MAX ? DUCK_DATE_POS_INF : v === INT32_MIN ? DUCK_DATE_NEG_INF : v + PG_EPOCH_DAYS);
  }],
  [Oid.time, (d) => { need(d, 8); return formatTimeMicros(Number(d.readBigInt64BE(0))); }],
  [Oid.timetz, (d) => {
    need(d, 12);
    const zoneWest = d.readInt32BE(8);
    return formatTimeTZ(Number(d.readBigInt64BE(0)), zoneWest === 0 ? 0 : -zoneWest);
  }],
  [Oid.timestamp, (d) => timestampText(d, false)],
  [Oid.timestamptz, (d) => timestampText(d, true)],
  [Oid.interval, (d) => {
    need(d, 16);
    return duckIntervalLiteral(d.readInt32BE(12), d.readInt32BE(8), d.readBigInt64BE(0));
  }],
  [Oid.uuid, uuidText],
  [Oid.bit, (d) => parseBitString(bitText(d))],
  [Oid.varbit, (d) => parseBitString(bitText(d))],
]);

/** bit/varbit: int32 bit count, then the bits packed MSB first. */
function bitText(d: Buffer): string {
  if (d.length < 4) throw badFormat();
  const n = d.readInt32BE(0);
  if (n < 0 || d.length !== 4 + Math.ceil(n / 8)) throw badFormat();
  let out = '';
  for (let i = 0; i < n; i++) out += (d[4 + (i >> 3)] >> (7 - (i & 7))) & 1 ? '1' : '0';
  return out;
}

/** array_recv → nested items of element text. */
function decodeArray(arrayOid: number, data: Buffer): string {
  const elemOid = elementOidOf(arrayOid);
  const decodeElement = SCALAR.get(elemOid);
  if (decodeElement === undefined) throw noBinaryInput(arrayOid);
  if (data.length < 12) throw badFormat();
  const ndim = data.readInt32BE(0);
  const flags = data.readInt32BE(4);
  const sentElem = data.readUInt32BE(8);
  if (ndim < 0 || ndim > 6) {
    throw new DuckMeshError(SqlState.programLimitExceeded, `number of array dimensions (${ndim}) exceeds the maximum allowed (6)`);
  }
  if (ndim > 1) {
    // The parameter is cast to a one-level DuckDB list (paramTypeToDuckDB).
    throw new DuckMeshError(SqlState.featureNotSupported, `array has ${ndim} dimensions where 1 is expected`,
      { detail: 'Array parameters must be one-dimensional.' });
  }
  if (flags !== 0 && flags !== 1) throw new DuckMeshError('22P03', 'invalid array flags');
  if (sentElem !== elemOid) {
    throw new DuckMeshError(SqlState.datatypeMismatch, 'binary data has array element type ' +
      `${sentElem} (${formatType(sentElem)}) instead of expected ${elemOid} (${formatType(elemOid)})`);
  }
  let pos = 12;
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) {
    if (pos + 8 > data.length) throw badFormat();
    const len = data.readInt32BE(pos);
    const lbound = data.readInt32BE(pos + 4);
    if (len < 0) throw badFormat();
    if (lbound !== 1 && len > 0) {
      throw new DuckMeshError(SqlState.featureNotSupported, `array lower bound ${lbound} is not supported`,
        { detail: 'DuckMesh arrays always start at index 1.' });
    }
    dims.push(len);
    pos += 8;
  }
  const readElement = (): string | null => {
    if (pos + 4 > data.length) throw badFormat();
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len === -1) return null;
    if (len < 0 || pos + len > data.length) throw badFormat();
    const v = decodeElement(data.subarray(pos, pos + len));
    pos += len;
    return v;
  };
  const build = (level: number): ArrayItem[] => {
    const out: ArrayItem[] = [];
    for (let i = 0; i < dims[level]; i++) out.push(level === dims.length - 1 ? readElement() : build(level + 1));
    return out;
  };
  const items = ndim === 0 || dims.includes(0) ? [] : build(0);
  if (pos !== data.length) throw badFormat();
  return duckListLiteral(items);
}

function noBinaryInput(oid: number): DuckMeshError {
  const name = pgTypeByOid(oid) === undefined ? `${oid}` : formatType(oid);
  return new DuckMeshError(SqlState.undefinedFunction, `no binary input function available for type ${name}`);
}

/** Decode one binary parameter of type `oid` (0 = unspecified, read as text). */
export function decodeBinaryParam(oid: number, data: Buffer): string {
  if (oid === 0) return utf8(data);
  const scalar = SCALAR.get(oid);
  if (scalar !== undefined) return scalar(data);
  if (elementOidOf(oid) !== 0) return decodeArray(oid, data);
  throw noBinaryInput(oid);
}
