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
  /** Parameter types per overload, indexed like `arities`. */
  types: readonly (readonly (string | undefined)[])[];
  session?: readonly SessionArg[];
}

/** A macro overload: parameter names, their SQL types where declared, and the DuckDB body. */
export interface MacroOverload {
  params: readonly string[];
  /**
   * DuckDB type per parameter (undefined = any). Macros are untyped, so a bare `$1` argument
   * would leave the prepared statement's parameter type unknown; the rewriter casts parameters
   * to these types, as Postgres types them by the function's signature.
   */
  types: readonly (string | undefined)[];
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

/** `overload('o:bigint, m:integer', body)`: parameters with optional `:type`. */
export function overload(params: string, body: string): MacroOverload {
  const parts = params.trim() === '' ? [] : params.split(',').map((p) => p.trim().split(':'));
  return { params: parts.map((p) => p[0]!.trim()), types: parts.map((p) => p[1]?.trim()), body };
}

/** `CREATE MACRO <qualified>(a) AS body, (a, b) AS body2` (DuckDB overloads by argument count). */
export function createMacroSql(qualifiedName: string, m: MacroDef): string {
  const parts = m.overloads.map((o) => `(${o.params.join(', ')}) AS ${m.table ? 'TABLE ' : ''}${o.body}`);
  return `CREATE MACRO ${qualifiedName}${parts.join(', ')}`;
}

/** Every macro (exposed or internal helper) by name. */
export function shimEntries(defs: readonly MacroDef[], home: ShimHome): [string, ShimFunction & { exposed: boolean; setReturning: boolean }][] {
  return defs.map((d) => {
    const extra = d.session?.length ?? 0;
    const fn: ShimFunction & { exposed: boolean; setReturning: boolean } = {
      home,
      exposed: d.exposed,
      setReturning: d.table === true || d.overloads.some((o) => /\bunnest\(/.test(o.body)),
      arities: d.overloads.map((o) => o.params.length - extra),
      types: d.overloads.map((o) => o.types),
    };
    if (d.session) fn.session = d.session;
    return [d.name, fn];
  });
}
