/**
 * What the rewriter knows about the asking session, and the values derived from it that
 * several rewrites share (visible schemas, current_schema()).
 */

export interface RewriteContext {
  /** The snapshot catalog the session reads (`snap_<id>`); its shim must exist. */
  catalogName: string;
  database: string;
  user: string;
  /** search_path entries, unquoted, in order (may contain "$user"). */
  searchPath: string[];
  /** A session setting's current value, or undefined when the session does not know it. */
  setting: (name: string) => string | undefined;
  /** e.g. '16.4'. */
  serverVersion: string;
  /** pg_backend_pid() (the BackendKeyData process id), when the session has one. */
  backendPid?: number;
  /** inet_server_port(), when known. */
  serverPort?: number;
}

/** A set_config(name, value, is_local) met in the query: the session should apply it. */
export interface SetConfigCall {
  name: string;
  value: string;
  isLocal: boolean;
}

export interface RewriteResult {
  sql: string;
  setConfig: SetConfigCall[];
}

/**
 * Schemas whose objects are visible without qualification, in lookup order: pg_catalog is
 * implicitly first (as in Postgres, unless listed explicitly), "$user" stands for a schema
 * named after the user.
 */
export function visibleSchemas(ctx: RewriteContext): string[] {
  const out: string[] = [];
  if (!ctx.searchPath.includes('pg_catalog')) out.push('pg_catalog');
  for (const s of ctx.searchPath) {
    const name = s === '$user' ? ctx.user : s;
    if (name !== '' && !out.includes(name)) out.push(name);
  }
  return out;
}

/** current_schemas(false): the explicit search path ("$user" only names a schema if one exists; DuckMesh users rarely have one). */
export function explicitSchemas(ctx: RewriteContext): string[] {
  return ctx.searchPath.filter((s) => s !== '$user' && s !== '');
}

/** current_schema(): the first schema of the search path, as DuckMesh resolves unqualified names. */
export function currentSchema(ctx: RewriteContext): string | null {
  for (const s of ctx.searchPath) {
    if (s !== '$user' && s !== 'pg_catalog' && s !== '') return s;
  }
  return null;
}
