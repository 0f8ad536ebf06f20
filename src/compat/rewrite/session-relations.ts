/**
 * Catalog relations whose rows describe the asking session (pg_settings, pg_stat_activity,
 * pg_stat_gssapi, pg_stat_ssl): generated at rewrite time as a typed subquery, because a snapshot
 * shim is shared by every session of the tenant.
 */
import { DATABASE_OID, OWNER_ROLE_OID } from '../object-ids.js';
import { storageType } from '../pg-types.js';
import { pgCatalogRelation, type CatalogRelation } from '../relations/registry.js';
import { PG_SETTINGS_CATALOG } from '../settings-catalog.js';
import { quoteIdent, quoteLiteral } from '../sql-build.js';
import type { AstNode } from './ast.js';
import type { RewriteContext } from './context.js';
import { parseSelect } from './fragments.js';
import { settingValue } from './session-values.js';

type Cell = string | number | boolean | null | string[];

function literal(v: Cell): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `ARRAY[${v.map(quoteLiteral).join(', ')}]::text[]`;
  return quoteLiteral(v);
}

/** `SELECT CAST(c1 AS t) AS name, … FROM (VALUES …) v(c1, …)`, typed even for NULL-only columns. */
function relationSql(rel: CatalogRelation, rows: Cell[][]): string {
  const cols = rel.columns.map((c, i) => `CAST(${rows.length === 0 ? 'NULL' : `c${i}`} AS ${storageType(c.pgType)}) AS ${quoteIdent(c.name)}`);
  if (rows.length === 0) return `SELECT ${cols.join(', ')} WHERE false`;
  const values = rows.map((r) => `(${r.map(literal).join(', ')})`).join(', ');
  return `SELECT ${cols.join(', ')} FROM (VALUES ${values}) AS v(${rel.columns.map((_, i) => `c${i}`).join(', ')})`;
}

function settingsRows(ctx: RewriteContext): Cell[][] {
  return PG_SETTINGS_CATALOG.map((s) => {
    const value = settingValue(ctx, s.name) ?? s.boot;
    return [
      s.name, value, s.unit, s.category, s.shortDesc, null, s.context, s.vartype,
      value === s.boot ? 'default' : 'session', s.min ?? null, s.max ?? null, s.enumvals ?? null, s.boot, s.boot,
      null, null, false,
    ];
  });
}

function activityRows(ctx: RewriteContext): Cell[][] {
  const pid = ctx.backendPid ?? 0;
  return [[
    DATABASE_OID, ctx.database, pid, null, OWNER_ROLE_OID, ctx.user, ctx.setting('application_name') ?? '', null,
    null, null, null, null, null, null, null, null, 'active', null, null, null, '', 'client backend',
  ]];
}

const SESSION_ROWS: Readonly<Record<string, (ctx: RewriteContext) => Cell[][]>> = {
  pg_settings: settingsRows,
  pg_stat_activity: activityRows,
  pg_stat_gssapi: (ctx) => [[ctx.backendPid ?? 0, false, null, false, false]],
  pg_stat_ssl: (ctx) => [[ctx.backendPid ?? 0, false, null, null, null, null, null, null]],
};

/** The SelectStmt standing in for session relation `name`. */
export function sessionRelation(name: string, ctx: RewriteContext): AstNode {
  const rel = pgCatalogRelation(name);
  const rows = SESSION_ROWS[name];
  if (rel === undefined || rows === undefined) throw new Error(`no session relation ${name}`);
  return parseSelect(relationSql(rel, rows(ctx)));
}
