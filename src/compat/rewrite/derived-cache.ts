/**
 * Parse trees of the derived catalog relations (system and information_schema views), per
 * snapshot catalog: parsed once, then spliced into every query naming the view. The trees are
 * shared and never mutated (the rewritten tree is only deparsed).
 */
import { derivedRelationSql } from '../derived-relations.js';
import type { CatalogRelation } from '../relations/registry.js';
import type { AstNode } from './ast.js';
import type { RewriteContext } from './context.js';
import { parseSelect } from './fragments.js';

const MAX_ENTRIES = 128;
const cache = new Map<string, AstNode>();

export function derivedRelation(ctx: RewriteContext, rel: CatalogRelation): AstNode {
  const key = `${ctx.catalogName}\u0000${ctx.database}\u0000${rel.schema}.${rel.name}`;
  let tree = cache.get(key);
  if (tree === undefined) {
    tree = parseSelect(derivedRelationSql(ctx.catalogName, ctx.database, rel));
    cache.set(key, tree);
    // Insertion order is age: drop the oldest (snapshots move on; their views are not reused).
    if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  return tree;
}
