/**
 * Postgres' SQL keywords with their categories, for pg_get_keywords() (DBeaver and pgAdmin build
 * their highlighting/quoting from it) and for quote_ident(), which must quote every keyword that
 * is not unreserved. The lists follow Postgres 16's kwlist.h.
 */
import type { CatalogRelation } from './relations/registry.js';
import type { SqlValue } from './sql-build.js';

const RESERVED = `all analyse analyze and any array as asc asymmetric both case cast check collate column constraint
  create current_catalog current_date current_role current_time current_timestamp current_user default deferrable
  desc distinct do else end except false fetch for foreign from grant group having in initially intersect into
  lateral leading limit localtime localtimestamp not null offset on only or order placing primary references
  returning select session_user some symmetric system_user table then to trailing true union unique user using
  variadic when where window with`;

const TYPE_FUNC_NAME = `authorization binary collation concurrently cross current_schema freeze full ilike inner is
  isnull join left like natural notnull outer overlaps right similar tablesample verbose`;

const COL_NAME = `between bigint bit boolean char character coalesce dec decimal exists extract float greatest
  grouping inout int integer interval json json_array json_arrayagg json_object json_objectagg least national
  nchar none normalize nullif numeric out overlay position precision real row setof smallint substring time
  timestamp treat trim values varchar xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces
  xmlparse xmlpi xmlroot xmlserialize xmltable`;

const UNRESERVED = `abort absent absolute access action add admin after aggregate also alter always asensitive
  assertion assignment at atomic attach attribute backward before begin breadth by cache call called cascade
  cascaded catalog chain characteristics checkpoint class close cluster columns comment comments commit committed
  compression configuration conflict connection constraints content continue conversion copy cost csv cube
  current cursor cycle data database day deallocate declare defaults deferred definer delete delimiter delimiters
  depends depth detach dictionary disable discard document domain double drop each enable encoding encrypted
  enum escape event exclude excluding exclusive execute explain expression extension external family filter
  finalize first following force format forward function functions generated global granted groups handler
  header hold hour identity if immediate immutable implicit import include including increment indent index
  indexes inherit inherits inline input insensitive insert instead invoker isolation key keys label language
  large last leakproof level listen load local location lock locked logged mapping match matched materialized
  maxvalue merge method minute minvalue mode month move name names new next nfc nfd nfkc nfkd no normalized
  nothing notify nowait nulls object of off oids old operator option options ordinality others over overriding
  owned owner parallel parameter parser partial partition passing password plans policy preceding prepare
  prepared preserve prior privileges procedural procedure procedures program publication quote range read
  reassign recheck recursive ref referencing refresh reindex relative release rename repeatable replace replica
  reset restart restrict return returns revoke role rollback rollup routine routines rows rule savepoint scalar
  schema schemas scroll search second security sequence sequences serializable server session set sets share
  show simple skip snapshot sql stable standalone start statement statistics stdin stdout storage stored strict
  strip subscription support sysid system tables tablespace temp template temporary text ties transaction
  transform trigger truncate trusted type types uescape unbounded uncommitted unencrypted unknown unlisten
  unlogged until update vacuum valid validate validator value varying version view views volatile whitespace
  within without work wrapper write xml year yes zone`;

/** Keywords that cannot be used as a column label without AS (Postgres' BARE_LABEL false). */
const NOT_BARE_LABEL = new Set(`array as char character create day except fetch filter for from grant group having
  hour into limit minute month offset on order over precision returning second to union varying where window
  with within without year`.split(/\s+/));

const CATEGORIES: readonly [string, string, string][] = [
  ['R', 'reserved', RESERVED],
  ['T', 'reserved (can be function or type name)', TYPE_FUNC_NAME],
  ['C', 'unreserved (cannot be function or type name)', COL_NAME],
  ['U', 'unreserved', UNRESERVED],
];

function words(list: string): string[] {
  return list.trim().split(/\s+/);
}

/** pg_get_keywords()'s result columns. */
export const KEYWORDS_RELATION: CatalogRelation = {
  schema: 'pg_catalog',
  name: 'pg_get_keywords',
  oid: 0,
  relkind: 'v',
  home: 'instance',
  columns: [
    { name: 'word', pgType: 'text' },
    { name: 'catcode', pgType: 'char' },
    { name: 'barelabel', pgType: 'bool' },
    { name: 'catdesc', pgType: 'text' },
    { name: 'baredesc', pgType: 'text' },
  ],
};

export function keywordRows(): SqlValue[][] {
  const rows: SqlValue[][] = [];
  for (const [code, desc, list] of CATEGORIES) {
    for (const w of words(list)) {
      const bare = !NOT_BARE_LABEL.has(w);
      rows.push([w, code, bare, desc, bare ? 'can be bare label' : 'requires AS']);
    }
  }
  return rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

/** Keywords quote_ident() must quote: everything except the unreserved ones. */
export function quotedKeywords(): string[] {
  return [RESERVED, TYPE_FUNC_NAME, COL_NAME].flatMap(words).sort();
}
