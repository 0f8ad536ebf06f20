/**
 * The sandbox's parse-tree allowlist for Postgres-dialect queries (DESIGN: "user SQL never
 * reaches the host"). DuckDB will happily read files, list directories and disclose its settings
 * through ordinary-looking function calls and table names, so every node of a tenant's query is
 * inspected before it is executed. The DuckDB-dialect fallback applies the same policy to
 * DuckDB's own tree (duckdb-fallback.ts).
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import { commandTag } from './command-tag.js';
import { nodeType, stringList } from './ast.js';
import { OffsetMapper } from './offsets.js';
import {
  ALLOWED_TABLE_FUNCTIONS,
  deniedFunctionReason,
  deniedRelationReason,
  isAllowedTableFunction,
  isInternalSchema,
  type NamePredicate,
} from './policy.js';
import type { AstNode, Statement, StatementKind } from './statements.js';
import { walkAst } from './walk.js';

export interface GuardOptions {
  /** Extra internal names (tenant catalogs, snapshot schemas) refused as schema or relation names. */
  isInternalName?: NamePredicate;
  /** The full query string, to attach error positions. */
  source?: string;
}

/**
 * Throws 42501 if a SELECT (or EXPLAIN SELECT) tree reaches anything outside the tenant's own
 * tables, 0A000 for SELECT INTO / FOR UPDATE / data-modifying WITH.
 */
export function assertSafeQuery(ast: AstNode, options: GuardOptions = {}): void {
  let root = ast;
  if (nodeType(root) === 'ExplainStmt') root = root.ExplainStmt.query;
  if (nodeType(root) !== 'SelectStmt') throw unverifiable(`${commandTag(root)} cannot be run as a query`);
  const mapper = options.source !== undefined ? new OffsetMapper(options.source) : null;
  const at = (body: AstNode): number | undefined =>
    mapper && typeof body?.location === 'number' && body.location >= 0 ? mapper.position(body.location) : undefined;

  walkAst(root, (type, body) => {
    switch (type) {
      case 'SelectStmt':
        if (body.intoClause) throw new DuckMeshError(SqlState.featureNotSupported, 'SELECT ... INTO is not supported');
        if (body.lockingClause) {
          throw new DuckMeshError(SqlState.featureNotSupported, 'SELECT ... FOR UPDATE/SHARE is not supported');
        }
        return;
      case 'CommonTableExpr':
        if (nodeType(body.ctequery) !== 'SelectStmt') {
          throw new DuckMeshError(SqlState.featureNotSupported, 'data-modifying statements in WITH are not supported', {
            position: at(body),
          });
        }
        return;
      case 'FuncCall':
        checkFunction(body, at(body));
        return;
      case 'RangeFunction':
        checkTableFunctions(body, at);
        return;
      case 'RangeVar':
        checkRelation(body, options.isInternalName, at(body));
        return;
      case '':
        // RangeVars embedded without a wrapper (InsertStmt.relation, IntoClause.rel) are recognised by shape.
        if (typeof body.relname === 'string') checkRelation(body, options.isInternalName, at(body));
        return;
      default:
        // Any other statement nested in a query is something we did not plan for: fail closed.
        if (type.endsWith('Stmt')) throw unverifiable(`${commandTag({ [type]: body })} inside a query is not allowed`);
        return;
    }
  });
}

function checkFunction(fc: AstNode, position: number | undefined): void {
  const names = stringList(fc.funcname);
  // Only the bare name matters: DuckDB resolves system.main.read_csv, main.read_csv and
  // "READ_CSV" to the same function.
  const bare = (names[names.length - 1] ?? '').toLowerCase();
  const reason = deniedFunctionReason(bare);
  if (reason) throw denied('function', bare, `${bare}() ${reason} in DuckMesh queries.`, position);
  if (bare === 'current_setting') {
    // A dynamic setting name could read DuckDB's own settings (paths) past the compat layer.
    const arg = fc.args?.[0];
    if (!arg?.A_Const?.sval) {
      throw denied('function', bare, 'current_setting() requires a constant setting name.', position);
    }
  }
}

function checkTableFunctions(rf: AstNode, at: (body: AstNode) => number | undefined): void {
  for (const item of rf.functions ?? []) {
    const fn = item.List?.items?.[0];
    // `FROM user`, `FROM current_schema`: SQL value functions are harmless one-row relations.
    if (fn?.SQLValueFunction) continue;
    const fc = fn?.FuncCall;
    if (!fc) throw unverifiable(`table expression ${nodeType(fn)} in FROM is not allowed`);
    const names = stringList(fc.funcname);
    const bare = (names[names.length - 1] ?? '').toLowerCase();
    if (!isAllowedTableFunction(bare)) {
      throw denied(
        'table function',
        bare,
        `Only these table functions may be used in FROM: ${[...ALLOWED_TABLE_FUNCTIONS].join(', ')}.`,
        at(fc),
      );
    }
  }
}

function checkRelation(rv: AstNode, extra: NamePredicate | undefined, position: number | undefined): void {
  const parts = [rv.catalogname, rv.schemaname, rv.relname].filter((x): x is string => typeof x === 'string');
  const shown = parts.join('.');
  if (rv.catalogname !== undefined) {
    throw denied('relation', shown, 'Three-part (catalog-qualified) names are not allowed.', position);
  }
  if (rv.schemaname !== undefined && isInternalSchema(rv.schemaname, extra)) {
    throw denied('relation', shown, `Schema "${rv.schemaname}" is internal.`, position);
  }
  const reason = deniedRelationReason(String(rv.relname), extra);
  if (reason) throw denied('relation', shown, `The name ${reason}.`, position);
}

function denied(what: string, name: string, detail: string, position?: number): DuckMeshError {
  return new DuckMeshError(SqlState.insufficientPrivilege, `permission denied for ${what} ${name}`, {
    detail,
    position,
  });
}

function unverifiable(detail: string): DuckMeshError {
  return new DuckMeshError(SqlState.insufficientPrivilege, 'statement could not be verified', { detail });
}

const KNOWN_KINDS: ReadonlySet<StatementKind> = new Set<StatementKind>([
  'select', 'createTable', 'dropTable', 'insert', 'update', 'delete', 'set', 'reset', 'setTransaction',
  'show', 'transaction', 'prepare', 'execute', 'deallocate', 'discard', 'listen', 'unlisten', 'notify',
  'copy', 'declareCursor', 'fetch', 'closeCursor', 'createIndex', 'comment', 'alterTable', 'createView',
  'dropView', 'checkpoint', 'vacuum', 'analyze',
]);

/** The allowlist of statement kinds is the Statement union itself; 'unsupported' becomes 0A000. */
export function assertSafeStatementKind(stmt: Statement): void {
  if (stmt.kind === 'unsupported') {
    throw new DuckMeshError(SqlState.featureNotSupported, `${stmt.tag} is not supported`);
  }
  if (!KNOWN_KINDS.has(stmt.kind)) {
    throw new DuckMeshError(SqlState.featureNotSupported, `statement kind ${String(stmt.kind)} is not supported`);
  }
}
