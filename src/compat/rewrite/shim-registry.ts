/**
 * Which client-visible function names the macros implement, with accepted argument counts, and
 * how to call one: instance macros as `__dm_pgshim.main.f`, snapshot macros as
 * `snap_<id>.__dm_pg_catalog.f` with the session's visible schemas appended where declared.
 */
import { DuckMeshError, SqlState } from '../../common/errors.js';
import { instanceMacros } from '../instance-macros.js';
import { PG_CATALOG_SHIM_SCHEMA, SHIM_CATALOG, SHIM_SCHEMA } from '../names.js';
import { shimEntries, type ShimFunction } from '../shim-functions.js';
import { snapshotMacros } from '../snapshot-macros.js';
import { aConst, arrayExpr, funcCall, type AstNode } from './ast.js';
import { visibleSchemas, type RewriteContext } from './context.js';

// The registry only needs names and arities, which do not depend on the catalog name or time.
const SHIMS: ReadonlyMap<string, ShimFunction> = new Map([
  ...shimEntries(instanceMacros(new Date(0).toISOString()), 'instance'),
  ...shimEntries(snapshotMacros('_'), 'snapshot'),
]);

export function shimFunction(name: string): ShimFunction | undefined {
  return SHIMS.get(name);
}

/** Postgres-style "function f(integer, unknown) does not exist" for a call we cannot serve. */
export function undefinedFunction(name: string, args: AstNode[]): DuckMeshError {
  const types = args.map((a) => {
    const c = a?.A_Const;
    if (c?.ival !== undefined) return 'integer';
    if (c?.fval !== undefined) return 'numeric';
    if (c?.boolval !== undefined) return 'boolean';
    return 'unknown';
  });
  return new DuckMeshError(SqlState.undefinedFunction, `function ${name}(${types.join(', ')}) does not exist`, {
    hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
  });
}

/** The DuckDB call of shim `name` with rewritten `args`; throws 42883 for an unsupported arity. */
export function shimCall(ctx: RewriteContext, name: string, fn: ShimFunction, rawArgs: AstNode[], args: AstNode[]): AstNode {
  if (!fn.arities.includes(args.length)) throw undefinedFunction(name, rawArgs);
  const extra = (fn.session ?? []).map(() => arrayExpr(visibleSchemas(ctx).map((s) => aConst(s))));
  const path = fn.home === 'instance' ? [SHIM_CATALOG, SHIM_SCHEMA] : [ctx.catalogName, PG_CATALOG_SHIM_SCHEMA];
  return funcCall([...path, name], [...args, ...extra]);
}

/** Call of an internal (unexposed) helper macro. */
export function helperCall(ctx: RewriteContext, home: 'instance' | 'snapshot', name: string, args: AstNode[]): AstNode {
  const path = home === 'instance' ? [SHIM_CATALOG, SHIM_SCHEMA] : [ctx.catalogName, PG_CATALOG_SHIM_SCHEMA];
  return funcCall([...path, name], args);
}
