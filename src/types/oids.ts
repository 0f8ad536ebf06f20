/**
 * PostgreSQL builtin type OIDs and the pg_type facts DuckMesh needs about them.
 *
 * The values are Postgres 15's own catalog data (OIDs are part of the wire protocol and
 * drivers hard-code them), so they must never be renumbered. The pg_catalog layer builds
 * its pg_type view from PG_TYPES; the protocol layer uses `Oid` for RowDescription,
 * ParameterDescription and Bind.
 */

/** Builtin type OIDs, keyed by pg_type.typname (array types carry Postgres' leading underscore). */
export const Oid = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int2vector: 22,
  int4: 23,
  regproc: 24,
  text: 25,
  oid: 26,
  tid: 27,
  xid: 28,
  cid: 29,
  oidvector: 30,
  json: 114,
  xml: 142,
  _xml: 143,
  _json: 199,
  point: 600,
  cidr: 650,
  _cidr: 651,
  float4: 700,
  float8: 701,
  unknown: 705,
  money: 790,
  _money: 791,
  macaddr: 829,
  inet: 869,
  _bool: 1000,
  _bytea: 1001,
  _char: 1002,
  _name: 1003,
  _int2: 1005,
  _int2vector: 1006,
  _int4: 1007,
  _regproc: 1008,
  _text: 1009,
  _tid: 1010,
  _xid: 1011,
  _cid: 1012,
  _oidvector: 1013,
  _bpchar: 1014,
  _varchar: 1015,
  _int8: 1016,
  _point: 1017,
  _float4: 1021,
  _float8: 1022,
  _oid: 1028,
  _macaddr: 1040,
  _inet: 1041,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  _timestamp: 1115,
  _date: 1182,
  _time: 1183,
  timestamptz: 1184,
  _timestamptz: 1185,
  interval: 1186,
  _interval: 1187,
  _numeric: 1231,
  _cstring: 1263,
  timetz: 1266,
  _timetz: 1270,
  bit: 1560,
  _bit: 1561,
  varbit: 1562,
  _varbit: 1563,
  numeric: 1700,
  regprocedure: 2202,
  regoper: 2203,
  regoperator: 2204,
  regclass: 2205,
  regtype: 2206,
  _regprocedure: 2207,
  _regoper: 2208,
  _regoperator: 2209,
  _regclass: 2210,
  _regtype: 2211,
  record: 2249,
  cstring: 2275,
  any: 2276,
  anyarray: 2277,
  void: 2278,
  trigger: 2279,
  anyelement: 2283,
  _record: 2287,
  uuid: 2950,
  _uuid: 2951,
  pg_lsn: 3220,
  _pg_lsn: 3221,
  jsonb: 3802,
  _jsonb: 3807,
  regnamespace: 4089,
  _regnamespace: 4090,
  regrole: 4096,
  _regrole: 4097,
} as const;

export type PgTypeName = keyof typeof Oid;

/** One pg_type row (only the columns clients and the pg_catalog layer look at). */
export interface PgTypeInfo {
  readonly oid: number;
  readonly typname: string;
  /** Bytes for fixed-size types, -1 varlena, -2 C string. */
  readonly typlen: number;
  readonly typbyval: boolean;
  /** b = base, p = pseudo. */
  readonly typtype: string;
  /** A = array, B = boolean, D = date/time, N = numeric, S = string, T = timespan, U = user/other, ... */
  readonly typcategory: string;
  readonly typispreferred: boolean;
  /** Element type for arrays (and the fixed-length "vector" types), else 0. */
  readonly typelem: number;
  /** The array type whose elements are this type, else 0. */
  readonly typarray: number;
  readonly typalign: string;
  readonly typstorage: string;
  readonly typdelim: string;
  readonly typinput: string;
  readonly typoutput: string;
  readonly typreceive: string;
  readonly typsend: string;
}

function t(
  oid: number,
  typname: string,
  typlen: number,
  typbyval: boolean,
  typtype: string,
  typcategory: string,
  typispreferred: boolean,
  typelem: number,
  typarray: number,
  typalign: string,
  typstorage: string,
  typinput: string,
  typoutput: string,
  typreceive: string,
  typsend: string,
): PgTypeInfo {
  // Every builtin type except box uses ',' as array delimiter; box is not in this table.
  return {
    oid, typname, typlen, typbyval, typtype, typcategory, typispreferred, typelem, typarray,
    typalign, typstorage, typdelim: ',', typinput, typoutput, typreceive, typsend,
  };
}

/** pg_type rows for every builtin type DuckMesh can produce, accept, or show in its catalog, ordered by OID. */
export const PG_TYPES: readonly PgTypeInfo[] = [
  t(16, "bool", 1, true, "b", "B", true, 0, 1000, "c", "p", "boolin", "boolout", "boolrecv", "boolsend"),
  t(17, "bytea", -1, false, "b", "U", false, 0, 1001, "i", "x", "byteain", "byteaout", "bytearecv", "byteasend"),
  t(18, "char", 1, true, "b", "Z", false, 0, 1002, "c", "p", "charin", "charout", "charrecv", "charsend"),
  t(19, "name", 64, false, "b", "S", false, 18, 1003, "c", "p", "namein", "nameout", "namerecv", "namesend"),
  t(20, "int8", 8, true, "b", "N", false, 0, 1016, "d", "p", "int8in", "int8out", "int8recv", "int8send"),
  t(21, "int2", 2, true, "b", "N", false, 0, 1005, "s", "p", "int2in", "int2out", "int2recv", "int2send"),
  t(22, "int2vector", -1, false, "b", "A", false, 21, 1006, "i", "p", "int2vectorin", "int2vectorout", "int2vectorrecv", "int2vectorsend"),
  t(23, "int4", 4, true, "b", "N", false, 0, 1007, "i", "p", "int4in", "int4out", "int4recv", "int4send"),
  t(24, "regproc", 4, true, "b", "N", false, 0, 1008, "i", "p", "regprocin", "regprocout", "regprocrecv", "regprocsend"),
  t(25, "text", -1, false, "b", "S", true, 0, 1009, "i", "x", "textin", "textout", "textrecv", "textsend"),
  t(26, "oid", 4, true, "b", "N", true, 0, 1028, "i", "p", "oidin", "oidout", "oidrecv", "oidsend"),
  t(27, "tid", 6, false, "b", "U", false, 0, 1010, "s", "p", "tidin", "tidout", "tidrecv", "tidsend"),
  t(28, "xid", 4, true, "b", "U", false, 0, 1011, "i", "p", "xidin", "xidout", "xidrecv", "xidsend"),
  t(29, "cid", 4, true, "b", "U", false, 0, 1012, "i", "p", "cidin", "cidout", "cidrecv", "cidsend"),
  t(30, "oidvector", -1, false, "b", "A", false, 26, 1013, "i", "p", "oidvectorin", "oidvectorout", "oidvectorrecv", "oidvectorsend"),
  t(114, "json", -1, false, "b", "U", false, 0, 199, "i", "x", "json_in", "json_out", "json_recv", "json_send"),
  t(142, "xml", -1, false, "b", "U", false, 0, 143, "i", "x", "xml_in", "xml_out", "xml_recv", "xml_send"),
  t(143, "_xml", -1, false, "b", "A", false, 142, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(199, "_json", -1, false, "b", "A", false, 114, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(600, "point", 16, false, "b", "G", false, 701, 1017, "d", "p", "point_in", "point_out", "point_recv", "point_send"),
  t(650, "cidr", -1, false, "b", "I", false, 0, 651, "i", "m", "cidr_in", "cidr_out", "cidr_recv", "cidr_send"),
  t(651, "_cidr", -1, false, "b", "A", false, 650, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(700, "float4", 4, true, "b", "N", false, 0, 1021, "i", "p", "float4in", "float4out", "float4recv", "float4send"),
  t(701, "float8", 8, true, "b", "N", true, 0, 1022, "d", "p", "float8in", "float8out", "float8recv", "float8send"),
  t(705, "unknown", -2, false, "p", "X", false, 0, 0, "c", "p", "unknownin", "unknownout", "unknownrecv", "unknownsend"),
  t(790, "money", 8, true, "b", "N", false, 0, 791, "d", "p", "cash_in", "cash_out", "cash_recv", "cash_send"),
  t(791, "_money", -1, false, "b", "A", false, 790, 0, "d", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(829, "macaddr", 6, false, "b", "U", false, 0, 1040, "i", "p", "macaddr_in", "macaddr_out", "macaddr_recv", "macaddr_send"),
  t(869, "inet", -1, false, "b", "I", true, 0, 1041, "i", "m", "inet_in", "inet_out", "inet_recv", "inet_send"),
  t(1000, "_bool", -1, false, "b", "A", false, 16, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1001, "_bytea", -1, false, "b", "A", false, 17, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1002, "_char", -1, false, "b", "A", false, 18, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1003, "_name", -1, false, "b", "A", false, 19, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1005, "_int2", -1, false, "b", "A", false, 21, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1006, "_int2vector", -1, false, "b", "A", false, 22, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1007, "_int4", -1, false, "b", "A", false, 23, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1008, "_regproc", -1, false, "b", "A", false, 24, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1009, "_text", -1, false, "b", "A", false, 25, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1010, "_tid", -1, false, "b", "A", false, 27, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1011, "_xid", -1, false, "b", "A", false, 28, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1012, "_cid", -1, false, "b", "A", false, 29, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1013, "_oidvector", -1, false, "b", "A", false, 30, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1014, "_bpchar", -1, false, "b", "A", false, 1042, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1015, "_varchar", -1, false, "b", "A", false, 1043, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1016, "_int8", -1, false, "b", "A", false, 20, 0, "d", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1017, "_point", -1, false, "b", "A", false, 600, 0, "d", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1021, "_float4", -1, false, "b", "A", false, 700, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1022, "_float8", -1, false, "b", "A", false, 701, 0, "d", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1028, "_oid", -1, false, "b", "A", false, 26, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1040, "_macaddr", -1, false, "b", "A", false, 829, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1041, "_inet", -1, false, "b", "A", false, 869, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1042, "bpchar", -1, false, "b", "S", false, 0, 1014, "i", "x", "bpcharin", "bpcharout", "bpcharrecv", "bpcharsend"),
  t(1043, "varchar", -1, false, "b", "S", false, 0, 1015, "i", "x", "varcharin", "varcharout", "varcharrecv", "varcharsend"),
  t(1082, "date", 4, true, "b", "D", false, 0, 1182, "i", "p", "date_in", "date_out", "date_recv", "date_send"),
  t(1083, "time", 8, true, "b", "D", false, 0, 1183, "d", "p", "time_in", "time_out", "time_recv", "time_send"),
  t(1114, "timestamp", 8, true, "b", "D", false, 0, 1115, "d", "p", "timestamp_in", "timestamp_out", "timestamp_recv", "timestamp_send"),
  t(1115, "_timestamp", -1, false, "b", "A", false, 1114, 0, "d", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1182, "_date", -1, false, "b", "A", false, 1082, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1183, "_time", -1, false, "b", "A", false, 1083, 0, "d", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1184, "timestamptz", 8, true, "b", "D", true, 0, 1185, "d", "p", "timestamptz_in", "timestamptz_out", "timestamptz_recv", "timestamptz_send"),
  t(1185, "_timestamptz", -1, false, "b", "A", false, 1184, 0, "d", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1186, "interval", 16, false, "b", "T", true, 0, 1187, "d", "p", "interval_in", "interval_out", "interval_recv", "interval_send"),
  t(1187, "_interval", -1, false, "b", "A", false, 1186, 0, "d", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1231, "_numeric", -1, false, "b", "A", false, 1700, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1263, "_cstring", -1, false, "b", "A", false, 2275, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1266, "timetz", 12, false, "b", "D", false, 0, 1270, "d", "p", "timetz_in", "timetz_out", "timetz_recv", "timetz_send"),
  t(1270, "_timetz", -1, false, "b", "A", false, 1266, 0, "d", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1560, "bit", -1, false, "b", "V", false, 0, 1561, "i", "x", "bit_in", "bit_out", "bit_recv", "bit_send"),
  t(1561, "_bit", -1, false, "b", "A", false, 1560, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1562, "varbit", -1, false, "b", "V", true, 0, 1563, "i", "x", "varbit_in", "varbit_out", "varbit_recv", "varbit_send"),
  t(1563, "_varbit", -1, false, "b", "A", false, 1562, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(1700, "numeric", -1, false, "b", "N", false, 0, 1231, "i", "m", "numeric_in", "numeric_out", "numeric_recv", "numeric_send"),
  t(2202, "regprocedure", 4, true, "b", "N", false, 0, 2207, "i", "p", "regprocedurein", "regprocedureout", "regprocedurerecv", "regproceduresend"),
  t(2203, "regoper", 4, true, "b", "N", false, 0, 2208, "i", "p", "regoperin", "regoperout", "regoperrecv", "regopersend"),
  t(2204, "regoperator", 4, true, "b", "N", false, 0, 2209, "i", "p", "regoperatorin", "regoperatorout", "regoperatorrecv", "regoperatorsend"),
  t(2205, "regclass", 4, true, "b", "N", false, 0, 2210, "i", "p", "regclassin", "regclassout", "regclassrecv", "regclasssend"),
  t(2206, "regtype", 4, true, "b", "N", false, 0, 2211, "i", "p", "regtypein", "regtypeout", "regtyperecv", "regtypesend"),
  t(2207, "_regprocedure", -1, false, "b", "A", false, 2202, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(2208, "_regoper", -1, false, "b", "A", false, 2203, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(2209, "_regoperator", -1, false, "b", "A", false, 2204, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(2210, "_regclass", -1, false, "b", "A", false, 2205, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(2211, "_regtype", -1, false, "b", "A", false, 2206, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(2249, "record", -1, false, "p", "P", false, 0, 2287, "d", "x", "record_in", "record_out", "record_recv", "record_send"),
  t(2275, "cstring", -2, false, "p", "P", false, 0, 1263, "c", "p", "cstring_in", "cstring_out", "cstring_recv", "cstring_send"),
  t(2276, "any", 4, true, "p", "P", false, 0, 0, "i", "p", "any_in", "any_out", "-", "-"),
  t(2277, "anyarray", -1, false, "p", "P", false, 0, 0, "d", "x", "anyarray_in", "anyarray_out", "anyarray_recv", "anyarray_send"),
  t(2278, "void", 4, true, "p", "P", false, 0, 0, "i", "p", "void_in", "void_out", "void_recv", "void_send"),
  t(2279, "trigger", 4, true, "p", "P", false, 0, 0, "i", "p", "trigger_in", "trigger_out", "-", "-"),
  t(2283, "anyelement", 4, true, "p", "P", false, 0, 0, "i", "p", "anyelement_in", "anyelement_out", "-", "-"),
  t(2287, "_record", -1, false, "p", "P", false, 2249, 0, "d", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(2950, "uuid", 16, false, "b", "U", false, 0, 2951, "c", "p", "uuid_in", "uuid_out", "uuid_recv", "uuid_send"),
  t(2951, "_uuid", -1, false, "b", "A", false, 2950, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(3220, "pg_lsn", 8, true, "b", "U", false, 0, 3221, "d", "p", "pg_lsn_in", "pg_lsn_out", "pg_lsn_recv", "pg_lsn_send"),
  t(3221, "_pg_lsn", -1, false, "b", "A", false, 3220, 0, "d", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(3802, "jsonb", -1, false, "b", "U", false, 0, 3807, "i", "x", "jsonb_in", "jsonb_out", "jsonb_recv", "jsonb_send"),
  t(3807, "_jsonb", -1, false, "b", "A", false, 3802, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(4089, "regnamespace", 4, true, "b", "N", false, 0, 4090, "i", "p", "regnamespacein", "regnamespaceout", "regnamespacerecv", "regnamespacesend"),
  t(4090, "_regnamespace", -1, false, "b", "A", false, 4089, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
  t(4096, "regrole", 4, true, "b", "N", false, 0, 4097, "i", "p", "regrolein", "regroleout", "regrolerecv", "regrolesend"),
  t(4097, "_regrole", -1, false, "b", "A", false, 4096, 0, "i", "x", "array_in", "array_out", "array_recv", "array_send"),
];

const byOid = new Map<number, PgTypeInfo>(PG_TYPES.map((r) => [r.oid, r]));
const byName = new Map<string, PgTypeInfo>(PG_TYPES.map((r) => [r.typname, r]));

export function pgTypeByOid(oid: number): PgTypeInfo | undefined {
  return byOid.get(oid);
}

export function pgTypeByName(typname: string): PgTypeInfo | undefined {
  return byName.get(typname);
}

/** The array type OID whose elements are `elemOid`, or 0 when Postgres has none. */
export function arrayOidOf(elemOid: number): number {
  return byOid.get(elemOid)?.typarray ?? 0;
}

/**
 * The element OID of array type `arrayOid`, or 0 when it is not a true array type
 * (int2vector/oidvector have elements but are their own types).
 */
export function elementOidOf(arrayOid: number): number {
  const r = byOid.get(arrayOid);
  if (r === undefined || r.typlen !== -1 || r.typelem === 0) return 0;
  return arrayOid === Oid.int2vector || arrayOid === Oid.oidvector ? 0 : r.typelem;
}
