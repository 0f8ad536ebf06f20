/**
 * CREATE TABLE / DROP TABLE → table definitions DuckMesh can store as append-only columnar
 * data. Features whose semantics DuckMesh cannot enforce on ingest (foreign keys, CHECK,
 * UNIQUE, generated values, ...) are refused up front rather than silently ignored.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import { listItems, nodeType, relationName, stringList, typeRefOf, unsupported } from './ast.js';
import { decodeCell } from './cells.js';
import type { AstNode, ColumnSpec, CreateTableStatement, DropTableStatement, QualifiedName } from './statements.js';

/** Constraint kinds DuckMesh cannot enforce on append-only ingest, by contype. */
const CONSTRAINT_FEATURES: Record<string, string> = {
  CONSTR_CHECK: 'CHECK constraints',
  CONSTR_UNIQUE: 'UNIQUE constraints',
  CONSTR_EXCLUSION: 'EXCLUDE constraints',
  CONSTR_FOREIGN: 'FOREIGN KEY constraints (REFERENCES)',
  CONSTR_GENERATED: 'GENERATED columns',
  CONSTR_IDENTITY: 'IDENTITY columns',
  CONSTR_ATTR_DEFERRABLE: 'DEFERRABLE constraints',
  CONSTR_ATTR_NOT_DEFERRABLE: 'constraint deferrability clauses',
  CONSTR_ATTR_DEFERRED: 'INITIALLY DEFERRED constraints',
  CONSTR_ATTR_IMMEDIATE: 'constraint deferrability clauses',
  CONSTR_ATTR_ENFORCED: 'ENFORCED clauses',
  CONSTR_ATTR_NOT_ENFORCED: 'NOT ENFORCED clauses',
};

/** `feature` carries its own verb ("X is", "Ys are") so messages read naturally. */
function notSupported(feature: string): DuckMeshError {
  return unsupported(`${feature} not supported`);
}

function constraintNotSupported(contype: string): DuckMeshError {
  const what = CONSTRAINT_FEATURES[contype];
  return what ? unsupported(`${what} are not supported`) : notSupported(`constraint type ${contype} is`);
}

export function classifyCreateTable(s: AstNode): CreateTableStatement {
  const rel = s.relation;
  if (rel.relpersistence === 't') throw notSupported('CREATE TEMPORARY TABLE is');
  if (rel.relpersistence === 'u') throw notSupported('CREATE UNLOGGED TABLE is');
  if (s.inhRelations) throw notSupported('CREATE TABLE ... INHERITS is');
  if (s.partspec) throw notSupported('CREATE TABLE ... PARTITION BY is');
  if (s.partbound) throw notSupported('CREATE TABLE ... PARTITION OF is');
  if (s.ofTypename) throw notSupported('CREATE TABLE ... OF type is');
  if (s.options) throw notSupported('CREATE TABLE ... WITH (storage parameters) is');
  if (s.tablespacename) throw notSupported('CREATE TABLE ... TABLESPACE is');
  if (s.accessMethod) throw notSupported('CREATE TABLE ... USING (table access method) is');
  if (s.oncommit && s.oncommit !== 'ONCOMMIT_NOOP') throw notSupported('CREATE TABLE ... ON COMMIT is');
  const { schema, name } = relationName(rel);

  const columns: ColumnSpec[] = [];
  const byName = new Map<string, ColumnSpec>();
  let primaryKey: string[] | null = null;
  const setPrimaryKey = (keys: string[]) => {
    if (primaryKey) {
      throw new DuckMeshError('42P16', `multiple primary keys for table "${name}" are not allowed`);
    }
    primaryKey = keys;
  };
  const tableNotNull: string[] = [];

  for (const elt of s.tableElts ?? []) {
    switch (nodeType(elt)) {
      case 'ColumnDef': {
        const col = columnDef(elt.ColumnDef, name, setPrimaryKey);
        if (byName.has(col.name)) {
          throw new DuckMeshError(SqlState.duplicateColumn, `column "${col.name}" specified more than once`);
        }
        byName.set(col.name, col);
        columns.push(col);
        break;
      }
      case 'Constraint': {
        const c = elt.Constraint;
        if (c.contype === 'CONSTR_PRIMARY') {
          checkKeyOptions(c);
          setPrimaryKey(stringList(c.keys));
        } else if (c.contype === 'CONSTR_NOTNULL' && c.keys) {
          tableNotNull.push(...stringList(c.keys));
        } else {
          throw constraintNotSupported(String(c.contype));
        }
        break;
      }
      case 'TableLikeClause':
        throw notSupported('CREATE TABLE ... (LIKE ...) is');
      default:
        throw notSupported(`table element ${nodeType(elt)} is`);
    }
  }
  if (columns.length === 0) throw unsupported('tables without columns are not supported');

  const pk: string[] = primaryKey ?? [];
  const seen = new Set<string>();
  for (const k of pk) {
    const col = byName.get(k);
    if (!col) throw new DuckMeshError(SqlState.undefinedColumn, `column "${k}" named in key does not exist`);
    if (seen.has(k)) {
      throw new DuckMeshError(SqlState.duplicateColumn, `column "${k}" appears twice in primary key constraint`);
    }
    seen.add(k);
    col.notNull = true; // PRIMARY KEY implies NOT NULL, as in Postgres.
  }
  for (const k of tableNotNull) {
    const col = byName.get(k);
    if (!col) throw new DuckMeshError(SqlState.undefinedColumn, `column "${k}" named in NOT NULL constraint does not exist`);
    col.notNull = true;
  }
  return { kind: 'createTable', schema, name, ifNotExists: s.if_not_exists === true, columns, primaryKey: pk };
}

function columnDef(cd: AstNode, table: string, setPrimaryKey: (keys: string[]) => void): ColumnSpec {
  const colname: string = cd.colname;
  if (cd.collClause) throw notSupported('COLLATE on columns is');
  if (cd.compression) throw notSupported('COMPRESSION on columns is');
  if (cd.storage_name || cd.storage) throw notSupported('STORAGE on columns is');
  const type = typeRefOf(cd.typeName);
  if (!type) {
    throw new DuckMeshError(
      SqlState.syntaxError,
      `type modifiers of column "${colname}" must be simple integer constants (and %TYPE/SETOF are not supported)`,
    );
  }
  let notNull = false;
  let sawNull = false;
  let def: ColumnSpec['default'] = null;
  for (const cn of cd.constraints ?? []) {
    const c = cn.Constraint;
    switch (c.contype) {
      case 'CONSTR_NULL':
        sawNull = true;
        break;
      case 'CONSTR_NOTNULL':
        notNull = true;
        break;
      case 'CONSTR_DEFAULT': {
        if (def) {
          throw new DuckMeshError(
            SqlState.syntaxError,
            `multiple default values specified for column "${colname}" of table "${table}"`,
          );
        }
        const cell = decodeCell(c.raw_expr);
        // Defaults are applied on ingest without an evaluator, so only constants qualify.
        if (cell.kind !== 'const') throw notSupported(`non-constant DEFAULT expressions (column "${colname}") are`);
        def = cell;
        break;
      }
      case 'CONSTR_PRIMARY':
        checkKeyOptions(c);
        setPrimaryKey([colname]);
        break;
      default:
        throw constraintNotSupported(String(c.contype));
    }
  }
  if (sawNull && notNull) {
    throw new DuckMeshError(
      SqlState.syntaxError,
      `conflicting NULL/NOT NULL declarations for column "${colname}" of table "${table}"`,
    );
  }
  return { name: colname, type, notNull, default: def };
}

/** PRIMARY KEY variants that imply index machinery DuckMesh does not have. */
function checkKeyOptions(c: AstNode): void {
  if (c.including) throw notSupported('PRIMARY KEY ... INCLUDE is');
  if (c.options) throw notSupported('PRIMARY KEY ... WITH (index parameters) is');
  if (c.indexname) throw notSupported('PRIMARY KEY USING INDEX is');
  if (c.indexspace) throw notSupported('PRIMARY KEY ... USING INDEX TABLESPACE is');
  if (c.deferrable || c.initdeferred) throw notSupported('DEFERRABLE constraints are');
  if (c.without_overlaps) throw notSupported('PRIMARY KEY ... WITHOUT OVERLAPS is');
}

export function classifyDropTable(s: AstNode): DropTableStatement {
  const targets: QualifiedName[] = (s.objects ?? []).map((o: AstNode) => {
    const parts = stringList(listItems(o));
    if (parts.length === 1) return { schema: null, name: parts[0]! };
    if (parts.length === 2) return { schema: parts[0]!, name: parts[1]! };
    throw unsupported(`cross-database references are not implemented: "${parts.join('.')}"`);
  });
  return { kind: 'dropTable', targets, ifExists: s.missing_ok === true, cascade: s.behavior === 'DROP_CASCADE' };
}
