/**
 * Generic depth-first traversal of a libpg-query tree. Visiting every object (rather than known
 * fields) means a node kind nobody thought of is still seen, which the guard relies on.
 */
import type { AstNode } from './statements.js';

/**
 * Calls `visit(type, body)` for every wrapped node `{ Type: body }` under `root` (root included).
 * Bare structs that embed a node without a wrapper (e.g. InsertStmt.relation, a RangeVar) are
 * reported with type '' so callers can recognise them by shape. Return false from `visit` to skip
 * the node's children.
 */
export function walkAst(root: AstNode, visit: (type: string, body: AstNode) => boolean | void): void {
  const stack: AstNode[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
      continue;
    }
    let keys = Object.keys(value);
    let fields: AstNode = value;
    if (keys.length === 1 && isNodeTypeName(keys[0]!)) {
      fields = value[keys[0]!];
      if (visit(keys[0]!, fields) === false) continue;
      if (fields === null || typeof fields !== 'object') continue;
      keys = Object.keys(fields);
    } else if (visit('', value) === false) {
      continue;
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const child = fields[keys[i]!];
      if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
}

/** Node wrappers are PascalCase ('SelectStmt', 'A_Const'); struct fields are camel/snake case. */
function isNodeTypeName(k: string): boolean {
  const c = k.charCodeAt(0);
  return c >= 65 && c <= 90;
}
