/**
 * The statement model every later stage (ingest, query, session, catalog compat) consumes.
 * Classification turns a raw Postgres parse tree into one of these; anything not modelled
 * becomes `unsupported` carrying the Postgres command tag so the caller can name it in a 0A000.
 */

/** A parse tree node as produced by libpg-query (protobuf JSON). Deliberately untyped: the
 * upstream typings are a transitive dependency we do not pin, and every walker here checks shape. */
export type AstNode = any;

export interface ParsedStatement {
  /** The RawStmt.stmt node, e.g. `{ SelectStmt: {...} }`. */
  ast: AstNode;
  /** This statement's own source text (surrounding whitespace and the terminating `;` removed). */
  text: string;
  /** UTF-16 offset of `text` in the full query string: `source.slice(location, location + text.length) === text`. */
  location: number;
  /** The full query string; AST `location` fields are UTF-8 byte offsets into it. */
  source: string;
}

export interface TypeRef {
  /** As written after parser normalisation, e.g. ['pg_catalog', 'int4'] for `int`, ['date'] for `date`. */
  names: string[];
  /** Integer type modifiers, e.g. [10, 2] for numeric(10,2). */
  typmods: number[];
  /** Number of array dimensions (`int[][]` → 2). */
  arrayDims: number;
}

/** One value in VALUES / SET / EXECUTE / DEFAULT, decoded without deparsing on the hot path. */
export type Cell =
  | { kind: 'const'; value: string | null; typeHint: TypeRef | null }
  | { kind: 'param'; index: number; typeHint: TypeRef | null }
  | { kind: 'default' }
  /** Anything else, deparsed to Postgres SQL for DuckDB to evaluate. May reference `$n` params. */
  | { kind: 'expr'; sql: string };

export interface QualifiedName {
  schema: string | null;
  name: string;
}

export interface ColumnSpec {
  name: string;
  type: TypeRef;
  notNull: boolean;
  /** Always a `const` cell when present: non-constant defaults are rejected at classification. */
  default: Cell | null;
}

export interface SetItem {
  column: string;
  value: Cell;
}

export type InsertSource =
  | { kind: 'values'; rows: Cell[][] }
  /** `sql` is the SELECT's own source text (deparsed when it could not be sliced); `ast` its SelectStmt node for the guard. */
  | { kind: 'select'; sql: string; ast: AstNode }
  | { kind: 'defaultValues' };

export interface OnConflict {
  action: 'nothing' | 'update';
  /** Conflict-target columns; empty when no target was given. */
  target: string[];
  set: SetItem[];
  whereSql: string | null;
}

export interface SelectStatement {
  kind: 'select';
  /** As written (for EXPLAIN: the whole EXPLAIN statement). */
  text: string;
  touchesCatalog: boolean;
  /** The SelectStmt or ExplainStmt node, for the guard and the catalog-compat layer. */
  ast: AstNode;
  /** Present for `EXPLAIN ...`: the EXPLAIN option names (lowercased), e.g. ['analyze']. */
  explain?: { options: string[] };
}

export interface CreateTableStatement {
  kind: 'createTable';
  schema: string | null;
  name: string;
  ifNotExists: boolean;
  columns: ColumnSpec[];
  primaryKey: string[];
}

export interface DropTableStatement {
  kind: 'dropTable';
  targets: QualifiedName[];
  ifExists: boolean;
  cascade: boolean;
}

export interface InsertStatement {
  kind: 'insert';
  schema: string | null;
  table: string;
  /** `INSERT INTO t AS alias`; ON CONFLICT ... WHERE may refer to it. */
  alias: string | null;
  columns: string[] | null;
  source: InsertSource;
  onConflict: OnConflict | null;
  returning: boolean;
}

export interface UpdateStatement {
  kind: 'update';
  schema: string | null;
  table: string;
  alias: string | null;
  set: SetItem[];
  whereSql: string | null;
}

export interface DeleteStatement {
  kind: 'delete';
  schema: string | null;
  table: string;
  alias: string | null;
  whereSql: string | null;
}

export interface SetStatement {
  kind: 'set';
  /** Lowercased GUC name ('timezone' for SET TIME ZONE, 'client_encoding' for SET NAMES). */
  name: string;
  /** Flattened the way Postgres flattens GUC list values; null = DEFAULT / TIME ZONE LOCAL. */
  value: string | null;
  local: boolean;
}

export interface ResetStatement {
  kind: 'reset';
  /** Lowercased GUC name, or 'all'. */
  name: string;
}

export interface SetTransactionStatement {
  kind: 'setTransaction';
  text: string;
  /** SET SESSION CHARACTERISTICS AS TRANSACTION (true) vs SET TRANSACTION (false). */
  session: boolean;
  isolation?: string;
  readOnly?: boolean;
  deferrable?: boolean;
}

export interface ShowStatement {
  kind: 'show';
  name: string;
}

export interface TransactionStatement {
  kind: 'transaction';
  action: 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo';
  name?: string;
  readOnly?: boolean;
  /** Lowercased, e.g. 'read committed'. */
  isolation?: string;
  deferrable?: boolean;
  /** COMMIT/ROLLBACK AND CHAIN. */
  chain?: boolean;
}

export interface PrepareStatement {
  kind: 'prepare';
  name: string;
  paramTypes: TypeRef[];
  statement: ParsedStatement;
}

export interface ExecuteStatement {
  kind: 'execute';
  name: string;
  params: Cell[];
}

export interface DeallocateStatement {
  kind: 'deallocate';
  /** null = DEALLOCATE ALL. */
  name: string | null;
}

export interface DiscardStatement {
  kind: 'discard';
  target: 'all' | 'plans' | 'sequences' | 'temp';
}

export interface ListenStatement {
  kind: 'listen' | 'unlisten' | 'notify';
  /** null = UNLISTEN *. */
  channel: string | null;
  /** NOTIFY payload, when given. */
  payload?: string | null;
}

export type CopyOptionValue = string | string[] | null;

export interface CopyStatement {
  kind: 'copy';
  ast: AstNode;
  schema: string | null;
  table: string | null;
  columns: string[] | null;
  isFrom: boolean;
  isProgram: boolean;
  /** null = STDIN / STDOUT. */
  filename: string | null;
  /** Lowercased option names; booleans ('true' also for a bare HEADER) and numbers as text, column lists as arrays, `*` as '*'. */
  options: Record<string, CopyOptionValue>;
  /** Source text of the inner query for `COPY (query) TO ...`. */
  query: string | null;
  /** COPY ... FROM ... WHERE condition, deparsed. */
  whereSql: string | null;
}

export interface RawStatement {
  kind:
    | 'declareCursor'
    | 'fetch'
    | 'closeCursor'
    | 'createIndex'
    | 'comment'
    | 'alterTable'
    | 'createView'
    | 'dropView'
    | 'alterDatabase';
  /** The statement node itself (e.g. `{ IndexStmt: {...} }`) for a later handler. */
  ast: AstNode;
  text: string;
}

export interface MaintenanceStatement {
  kind: 'checkpoint' | 'vacuum' | 'analyze';
}

export interface UnsupportedStatement {
  kind: 'unsupported';
  /** The Postgres command tag, e.g. 'CREATE FUNCTION', 'GRANT', 'TRUNCATE TABLE'. */
  tag: string;
}

export type Statement =
  | SelectStatement
  | CreateTableStatement
  | DropTableStatement
  | InsertStatement
  | UpdateStatement
  | DeleteStatement
  | SetStatement
  | ResetStatement
  | SetTransactionStatement
  | ShowStatement
  | TransactionStatement
  | PrepareStatement
  | ExecuteStatement
  | DeallocateStatement
  | DiscardStatement
  | ListenStatement
  | CopyStatement
  | RawStatement
  | MaintenanceStatement
  | UnsupportedStatement;

export type StatementKind = Statement['kind'];
