/**
 * Type facts the catalog shim needs beyond src/types: the few catalog-only types that appear in
 * pg_catalog's own columns (aclitem, pg_node_tree), how each Postgres type is stored in a DuckDB
 * shim table, and how type names typed by clients (`'integer'::regtype`) resolve to OIDs.
 */
import { formatType } from '../types/format-type.js';
import { PG_TYPES, type PgTypeInfo } from '../types/oids.js';

function extra(oid: number, typname: string, typlen: number, typcategory: string, typelem: number, typarray: number): PgTypeInfo {
  const isArray = typelem !== 0;
  return {
    oid, typname, typlen, typbyval: false, typtype: 'b', typcategory, typispreferred: false, typelem, typarray,
    typalign: 'i', typstorage: isArray ? 'x' : typlen === -1 ? 'x' : 'p', typdelim: ',',
    typinput: isArray ? 'array_in' : `${typname}in`, typoutput: isArray ? 'array_out' : `${typname}out`,
    typreceive: isArray ? 'array_recv' : `${typname}recv`, typsend: isArray ? 'array_send' : `${typname}send`,
  };
}

/** Types used by catalog columns but absent from the protocol-level table in src/types/oids.ts. */
const CATALOG_ONLY_TYPES: readonly PgTypeInfo[] = [
  extra(194, 'pg_node_tree', -1, 'Z', 0, 0),
  extra(1033, 'aclitem', 12, 'U', 0, 1034),
  extra(1034, '_aclitem', -1, 'A', 1033, 0),
];

/** Every builtin pg_type row the shim exposes, ordered by OID. */
export const CATALOG_TYPES: readonly PgTypeInfo[] = [...PG_TYPES, ...CATALOG_ONLY_TYPES]
  .filter((t, i, all) => all.findIndex((u) => u.oid === t.oid) === i)
  .sort((a, b) => a.oid - b.oid);

const byName = new Map(CATALOG_TYPES.map((t) => [t.typname, t]));
const byOid = new Map(CATALOG_TYPES.map((t) => [t.oid, t]));

export function catalogTypeByName(typname: string): PgTypeInfo | undefined {
  return byName.get(typname);
}

export function catalogTypeByOid(oid: number): PgTypeInfo | undefined {
  return byOid.get(oid);
}

/** True for real (varlena) array types; int2vector/oidvector are category A but not arrays here. */
export function isArrayType(t: PgTypeInfo): boolean {
  return t.typcategory === 'A' && t.typlen === -1 && t.typelem !== 0 && t.typname.startsWith('_');
}

/** format_type(oid, -1), also for the catalog-only types src/types does not know. */
export function formatTypeName(oid: number, typmod = -1): string {
  const s = formatType(oid, typmod);
  if (s !== '???') return s;
  const t = byOid.get(oid);
  if (t === undefined) return '???';
  return isArrayType(t) ? `${formatTypeName(t.typelem, typmod)}[]` : t.typname;
}

/** Scalar DuckDB storage type for a Postgres type name as used in catalog column specs. */
const STORAGE: Readonly<Record<string, string>> = {
  bool: 'BOOLEAN',
  int2: 'SMALLINT',
  int4: 'INTEGER',
  int8: 'BIGINT',
  float4: 'REAL',
  float8: 'DOUBLE',
  // OIDs fit in INTEGER: every OID the shim generates is below 2^31 (see object-ids.ts).
  oid: 'INTEGER',
  xid: 'BIGINT',
  cid: 'BIGINT',
  timestamptz: 'TIMESTAMPTZ',
  interval: 'INTERVAL',
  bytea: 'BLOB',
};

/**
 * DuckDB type of a catalog column. Everything Postgres prints as text is VARCHAR, including
 * regproc/regtype (stored as the printed name, which is what clients read and compare with),
 * int2vector/oidvector (stored in their text form '1 2'; the rewriter converts them to lists
 * where a query uses them as arrays), aclitem and pg_node_tree.
 */
export function storageType(pgType: string): string {
  if (pgType.startsWith('_')) return `${storageType(pgType.slice(1))}[]`;
  return STORAGE[pgType] ?? 'VARCHAR';
}

/** Postgres spellings that are not a typname or format_type output, lowercased. */
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  int: 'int4',
  integer: 'int4',
  smallint: 'int2',
  bigint: 'int8',
  real: 'float4',
  float: 'float8',
  'double precision': 'float8',
  boolean: 'bool',
  decimal: 'numeric',
  dec: 'numeric',
  'character varying': 'varchar',
  character: 'bpchar',
  char: 'bpchar',
  '"char"': 'char',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  'time without time zone': 'time',
  'time with time zone': 'timetz',
  'bit varying': 'varbit',
};

/**
 * Resolves a type name as `regtype` input accepts it ('integer', 'pg_catalog.int4',
 * 'character varying(20)', 'text[]', '"char"') to an OID, or undefined when unknown.
 */
export function typeOidFromName(input: string): number | undefined {
  let s = input.trim();
  let arrayDims = 0;
  for (;;) {
    const m = /^(.*?)\s*\[\s*\d*\s*\]$/s.exec(s);
    if (m === null) break;
    s = m[1];
    arrayDims++;
  }
  s = s.replace(/\s*\([^)]*\)\s*$/, '');
  s = s.replace(/^pg_catalog\s*\.\s*/i, '');
  let name: string;
  if (s === '"char"') name = '"char"';
  else if (s.startsWith('"') && s.endsWith('"')) name = s.slice(1, -1).replace(/""/g, '"');
  else name = s.toLowerCase().replace(/\s+/g, ' ');
  // `timestamp(3) with time zone`: the modifier sits in the middle.
  name = name.replace(/\s*\(\d+\)\s*/, ' ').trim();
  const typname = TYPE_ALIASES[name] ?? name;
  let t = byName.get(typname);
  if (t === undefined) return undefined;
  if (arrayDims > 0) {
    if (t.typarray === 0) return undefined;
    t = byOid.get(t.typarray);
  }
  return t?.oid;
}

/** Every spelling → oid, for the instance-level to_regtype() lookup table. */
export function typeNameSpellings(): [string, number][] {
  const out = new Map<string, number>();
  for (const t of CATALOG_TYPES) {
    out.set(t.typname, t.oid);
    out.set(formatTypeName(t.oid), t.oid);
  }
  for (const [alias, typname] of Object.entries(TYPE_ALIASES)) {
    const t = byName.get(typname);
    if (t !== undefined) out.set(alias, t.oid);
  }
  for (const t of CATALOG_TYPES) {
    if (!isArrayType(t)) continue;
    for (const [spelling, oid] of [...out]) if (oid === t.typelem) out.set(`${spelling}[]`, t.oid);
  }
  return [...out];
}
