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
import { aConst, alias, arrayExpr, funcCall, kindOf, rangeSubselect, str, typeCast, type AstNode } from './ast.js';
import { visibleSchemas, type RewriteContext } from './context.js';

// The registry only needs names, arities and types, which do not depend on the catalog name or time.
type ShimMacro = ShimFunction & { exposed: boolean; setReturning: boolean };

const MACROS: ReadonlyMap<string, ShimMacro> = new Map([
  ...shimEntries(instanceMacros(new Date(0).toISOString()), 'instance'),
  ...shimEntries(snapshotMacros('_'), 'snapshot'),
]);

/** A client-callable shim function. */
export function shimFunction(name: string): ShimFunction | undefined {
  const m = MACROS.get(name);
  return m?.exposed ? m : undefined;
}

/**
 * A macro call whose bare `$n` arguments are bound once, typed by the macro's declared parameter
 * types. A macro names its parameter several times, and DuckDB leaves a statement parameter
 * used more than once untyped — and the whole result row untyped until execution — so
 * `f($1)` becomes `(SELECT f(__dm_p.a0) FROM (SELECT CAST($1 AS T) AS a0) AS __dm_p)`.
 */
function callWithParams(fn: ShimMacro | undefined, args: AstNode[], build: (args: AstNode[]) => AstNode): AstNode {
  const positions = args.flatMap((a, i) => (kindOf(a) === 'ParamRef' ? [i] : []));
  if (positions.length === 0) return build(args);
  const types = fn?.types[fn.arities.indexOf(args.length)] ?? [];
  const typed = (i: number): AstNode => {
    const t = types[i];
    return t === undefined ? args[i] : typeCast(args[i], [t.replace(/\[\]$/, '')], t.endsWith('[]') ? 1 : 0);
  };
  // Set-returning macros cannot sit in a scalar subquery; a cast is all they get.
  if (fn?.setReturning) return build(args.map((a, i) => (positions.includes(i) ? typed(i) : a)));
  const bound = {
    SelectStmt: {
      targetList: positions.map((i) => ({ ResTarget: { name: `a${i}`, val: typed(i) } })),
      limitOption: 'LIMIT_OPTION_DEFAULT',
      op: 'SETOP_NONE',
    },
  };
  const call = build(args.map((a, i) => (positions.includes(i) ? { ColumnRef: { fields: [str('__dm_p'), str(`a${i}`)] } } : a)));
  return {
    SubLink: {
      subLinkType: 'EXPR_SUBLINK',
      subselect: {
        SelectStmt: {
          targetList: [{ ResTarget: { val: call } }],
          fromClause: [rangeSubselect(bound, alias('__dm_p'))],
          limitOption: 'LIMIT_OPTION_DEFAULT',
          op: 'SETOP_NONE',
        },
      },
    },
  };
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
  return callWithParams(MACROS.get(name), args, (a) => funcCall([...path, name], [...a, ...extra]));
}

/** Call of an internal (unexposed) helper macro. */
export function helperCall(ctx: RewriteContext, home: 'instance' | 'snapshot', name: string, args: AstNode[]): AstNode {
  const path = home === 'instance' ? [SHIM_CATALOG, SHIM_SCHEMA] : [ctx.catalogName, PG_CATALOG_SHIM_SCHEMA];
  return callWithParams(MACROS.get(name), args, (a) => funcCall([...path, name], a));
}
