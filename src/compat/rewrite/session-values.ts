/**
 * Functions Postgres answers from session state (version(), current_setting(), current_user,
 * current_schemas(), pg_backend_pid(), …): replaced by literals at rewrite time, so their
 * answers always agree with SHOW and with the session's own settings.
 */
import { DuckMeshError, SqlState } from '../../common/errors.js';
import { PG_SETTINGS_CATALOG } from '../settings-catalog.js';
import { aConst, arrayExpr, boolConst, stringConst, type AstNode } from './ast.js';
import { currentSchema, explicitSchemas, type RewriteContext } from './context.js';


export function versionString(ctx: RewriteContext): string {
  return `PostgreSQL ${ctx.serverVersion} (DuckMesh) on x86_64-pc-linux-gnu, compiled by DuckMesh, 64-bit`;
}

/** A setting's value as the session sees it, or undefined when Postgres would not know it either. */
export function settingValue(ctx: RewriteContext, name: string): string | undefined {
  const n = name.trim().toLowerCase();
  if (n === 'server_version') return ctx.serverVersion;
  const v = ctx.setting(n);
  if (v !== undefined) return v;
  // Looked up on each call: the catalog is a public, extensible list.
  return PG_SETTINGS_CATALOG.find((s) => s.name.toLowerCase() === n)?.boot;
}

export function unknownSetting(name: string): DuckMeshError {
  return new DuckMeshError(SqlState.undefinedObject, `unrecognized configuration parameter "${name}"`);
}

/** current_setting(name [, missing_ok]) with a constant name. */
export function currentSettingValue(ctx: RewriteContext, args: AstNode[]): AstNode | undefined {
  const name = stringConst(args[0]);
  if (name === undefined) return undefined;
  const missingOk = args.length > 1 ? boolConst(args[1]) === true : false;
  const v = settingValue(ctx, name);
  if (v === undefined) {
    if (missingOk) return aConst(null);
    throw unknownSetting(name);
  }
  return aConst(v);
}

export function schemasList(ctx: RewriteContext, includeImplicit: boolean): AstNode {
  const list = explicitSchemas(ctx);
  const all = includeImplicit && !list.includes('pg_catalog') ? ['pg_catalog', ...list] : list;
  return arrayExpr(all.map((s) => aConst(s)));
}

export function currentSchemaConst(ctx: RewriteContext): AstNode {
  return aConst(currentSchema(ctx));
}

/** SQLValueFunction ops that read the session (the date/time ones are left to DuckDB). */
export function sqlValueFunction(ctx: RewriteContext, op: string): AstNode | undefined {
  switch (op) {
    case 'SVFOP_CURRENT_USER':
    case 'SVFOP_CURRENT_ROLE':
    case 'SVFOP_USER':
    case 'SVFOP_SESSION_USER':
      return aConst(ctx.user);
    case 'SVFOP_CURRENT_CATALOG':
      return aConst(ctx.database);
    case 'SVFOP_CURRENT_SCHEMA':
      return currentSchemaConst(ctx);
    default:
      return undefined;
  }
}

/** Postgres' column name for each SQLValueFunction. */
export const SQL_VALUE_FUNCTION_NAMES: Readonly<Record<string, string>> = {
  SVFOP_CURRENT_DATE: 'current_date',
  SVFOP_CURRENT_TIME: 'current_time',
  SVFOP_CURRENT_TIME_N: 'current_time',
  SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
  SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
  SVFOP_LOCALTIME: 'localtime',
  SVFOP_LOCALTIME_N: 'localtime',
  SVFOP_LOCALTIMESTAMP: 'localtimestamp',
  SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
  SVFOP_CURRENT_ROLE: 'current_role',
  SVFOP_CURRENT_USER: 'current_user',
  SVFOP_USER: 'user',
  SVFOP_SESSION_USER: 'session_user',
  SVFOP_CURRENT_CATALOG: 'current_catalog',
  SVFOP_CURRENT_SCHEMA: 'current_schema',
};
