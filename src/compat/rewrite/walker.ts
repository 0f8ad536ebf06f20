/**
 * The rewrite traversal: rebuilds the parse tree bottom-up, handing each node kind with a
 * Postgres-vs-DuckDB difference to its handler. The input tree is never mutated (prepared
 * statements re-rewrite the same tree for later snapshots).
 *
 * `display` is true for expressions whose value is a query output (select-list items and the
 * branches of CASE/COALESCE in them): there `oid::regclass` must print the relation's name, while
 * in comparisons it stays the number.
 */
import type { AstNode } from './ast.js';
import { kindOf } from './ast.js';
import type { RewriteContext, SetConfigCall } from './context.js';

export interface Walker {
  readonly ctx: RewriteContext;
  readonly setConfig: SetConfigCall[];
  /** CTE names in the statement: an unqualified `pg_class` CTE is not the catalog. */
  readonly cteNames: ReadonlySet<string>;
  /** int2vector/oidvector column names visible in the statement (see vectors.ts). */
  readonly vectors: ReadonlySet<string>;
  /** Rewrites a node (wrapped `{ Kind: body }`, bare struct, list or scalar). */
  x(node: AstNode, display?: boolean): AstNode;
  /** Rewrites every field of a node body without applying the body's own handler. */
  fields(body: AstNode): AstNode;
}

/** A handler returns the replacement for `{ Kind: body }`. */
export type Handler = (w: Walker, body: AstNode, display: boolean) => AstNode;

export function createWalker(
  ctx: RewriteContext,
  scope: { cteNames: ReadonlySet<string>; vectors: ReadonlySet<string> },
  handlers: Readonly<Record<string, Handler>>,
): Walker {
  const w: Walker = {
    ctx,
    setConfig: [],
    cteNames: scope.cteNames,
    vectors: scope.vectors,
    x(node: AstNode, display = false): AstNode {
      if (node === null || typeof node !== 'object') return node;
      if (Array.isArray(node)) return node.map((n) => w.x(n));
      const k = kindOf(node);
      if (k === '') return w.fields(node);
      const h = handlers[k];
      if (h !== undefined) return h(w, node[k], display);
      const body = node[k];
      return { [k]: body !== null && typeof body === 'object' ? w.fields(body) : body };
    },
    fields(body: AstNode): AstNode {
      const out: AstNode = {};
      for (const key of Object.keys(body)) {
        const v = body[key];
        out[key] = v !== null && typeof v === 'object' ? w.x(v) : v;
      }
      return out;
    },
  };
  return w;
}

/** Every CTE name in the tree (scoping is ignored: a shadowing CTE named like a catalog is rare). */
export function collectCteNames(root: AstNode): Set<string> {
  const out = new Set<string>();
  const stack: AstNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop();
    if (n === null || typeof n !== 'object') continue;
    if (Array.isArray(n)) {
      stack.push(...n);
      continue;
    }
    if (n.CommonTableExpr?.ctename) out.add(n.CommonTableExpr.ctename);
    for (const v of Object.values(n)) if (v !== null && typeof v === 'object') stack.push(v);
  }
  return out;
}
