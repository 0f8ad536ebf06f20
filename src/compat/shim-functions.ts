/**
 * Declares the SQL-level shim functions: where each lives, which argument counts it accepts, and
 * which session values the rewriter appends as trailing arguments. The macro bodies are in
 * instance-macros.ts (snapshot-independent) and snapshot-macros.ts (need the snapshot's catalog).
 */

export type ShimHome = 'instance' | 'snapshot';

/** Session values the rewriter passes as extra trailing arguments. */
export type SessionArg = 'visibleSchemas';

export interface ShimFunction {
  home: ShimHome;
  /** Argument counts a caller may use (before session arguments are appended). */
  arities: readonly number[];
  session?: readonly SessionArg[];
}

/** A macro overload: parameter names and DuckDB body. */
export interface MacroOverload {
  params: readonly string[];
  body: string;
}

export interface MacroDef {
  name: string;
  overloads: readonly MacroOverload[];
  /** Table macro (used in FROM) instead of a scalar one. */
  table?: boolean;
  /** Exposed to client SQL under `name` (internal helpers are called only by other shims). */
  exposed: boolean;
  session?: readonly SessionArg[];
}

export function overload(params: string, body: string): MacroOverload {
  return { params: params.trim() === '' ? [] : params.split(',').map((p) => p.trim()), body };
}

/** `CREATE MACRO <qualified>(a) AS body, (a, b) AS body2` (DuckDB overloads by argument count). */
export function createMacroSql(qualifiedName: string, m: MacroDef): string {
  const parts = m.overloads.map((o) => `(${o.params.join(', ')}) AS ${m.table ? 'TABLE ' : ''}${o.body}`);
  return `CREATE MACRO ${qualifiedName}${parts.join(', ')}`;
}

export function shimEntries(defs: readonly MacroDef[], home: ShimHome): [string, ShimFunction][] {
  return defs
    .filter((d) => d.exposed)
    .map((d) => {
      const extra = d.session?.length ?? 0;
      const fn: ShimFunction = { home, arities: d.overloads.map((o) => o.params.length - extra) };
      if (d.session) fn.session = d.session;
      return [d.name, fn];
    });
}
