/**
 * Schema and metadata DDL beyond CREATE/DROP TABLE: ALTER TABLE (schema registry versions and
 * compatibility mode), CREATE [OR REPLACE] VIEW / DROP VIEW, COMMENT ON, CREATE INDEX. Every
 * change is a bus entry, so its position relative to row writes is fixed and snapshots (and time
 * travel) see exactly the DDL at or below their watermark.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import { quoteIdent } from '../common/sql-text.js';
import { columnId } from '../catalog/metadata.js';
import type { CompatibilityMode, TableDef } from '../catalog/types.js';
import {
  commentEvent,
  dependentViews,
  dropViewEvents,
  indexEvent,
  liveObjects,
  viewEvent,
  type CommentTarget,
  type ResolvedObjects,
  type ViewBody,
} from '../engine/catalog-objects.js';
import { COMPATIBILITY_MODES, planAlter, type AlterCommand } from '../ingest/schema-change.js';
import { deparseNode, nodeType, relationName, stringList, typeRefOf } from '../sql/ast.js';
import { touchesCatalog } from '../sql/catalog-refs.js';
import { decodeCell } from '../sql/cells.js';
import { assertSafeQuery } from '../sql/guard.js';
import { parseSql } from '../sql/parser.js';
import type { AstNode, Cell, RawStatement } from '../sql/statements.js';
import { codeTokens } from '../sql/tokens.js';
import { walkAst } from '../sql/walk.js';
import { columnTypeFromSql, resolveColumnType } from '../types/column-types.js';
import { validatorFor } from '../types/validate.js';
import type { ExecResult } from './results.js';
import type { Session } from './session.js';

const RESERVED_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'duckmesh', 'main', 'system', 'temp']);

/** User schemas only: DuckMesh's own and the catalog schemas are not for user objects. */
export function checkSchema(schema: string): void {
  if (RESERVED_SCHEMAS.has(schema) || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new DuckMeshError(SqlState.insufficientPrivilege, `cannot create objects in schema "${schema}"`);
  }
}

/** A column DEFAULT: constants only (defaults are applied on ingest, without an evaluator). */
export function defaultOf(cell: Cell | null, column: string, ct: ReturnType<typeof resolveColumnType>): string | null {
  if (!cell) return null;
  if (cell.kind !== 'const') {
    throw new DuckMeshError(SqlState.featureNotSupported, `DEFAULT of column "${column}" must be a constant`);
  }
  return cell.value === null ? null : validatorFor(ct)(cell.value);
}

export class DdlHandler {
  constructor(private readonly session: Session) {}

  private get ingest() {
    return this.session.ctx.ingest;
  }

  private get catalog() {
    return this.session.ctx.catalog;
  }

  private get tenant(): string {
    return this.session.tenant;
  }

  // ------------------------------------------------------------------ ALTER TABLE

  async alterTable(stmt: RawStatement): Promise<ExecResult> {
    const ast = stmt.ast;
    const rename = ast.RenameStmt;
    const alter = ast.AlterTableStmt;
    const rel = relationName((rename ?? alter).relation);
    const schema = rel.schema ?? 'public';
    const missingOk = (rename ?? alter).missing_ok === true;
    let mode: CompatibilityMode | null = null;
    const commands: AlterCommand[] = [];
    if (rename) commands.push(renameCommand(rename));
    else for (const c of alter.cmds ?? []) {
      const cmd = c.AlterTableCmd;
      if (cmd.subtype === 'AT_SetRelOptions') mode = compatibilityOption(cmd.def);
      else commands.push(alterCommand(cmd));
    }
    const receipt = await this.ingest.ddl(this.tenant, async () => {
      const table = await this.ingest.schemas.lookup(this.tenant, schema, rel.name);
      if (!table) {
        if (missingOk) return null;
        throw new DuckMeshError(SqlState.undefinedTable, `relation "${rel.name}" does not exist`);
      }
      if (mode) {
        await this.catalog.setTableCompatibility(table.tableId, mode);
        this.ingest.schemas.invalidate(this.tenant);
        table.compatibility = mode;
      }
      if (commands.length === 0) return null;
      await this.checkAlterAgainstViews(table, commands);
      const next = planAlter(table, await this.catalog.tableVersions(table.tableId), commands.map((c) => canonicalDefault(table, c)));
      if (!next) return null;
      return this.ingest.alterTable(this.tenant, table, next);
    });
    if (receipt) await this.session.afterWrite(receipt);
    return { kind: 'command', tag: 'ALTER TABLE' };
  }

  /**
   * A view is SQL text over names: only adding columns (and compatibility settings) leaves every
   * dependent view valid, so other changes wait until dependent views are dropped.
   */
  private async checkAlterAgainstViews(table: TableDef, commands: AlterCommand[]): Promise<void> {
    if (commands.every((c) => c.kind === 'addColumn' || c.kind === 'setDefault' || c.kind === 'dropNotNull')) return;
    const objects = await liveObjects(this.catalog, this.tenant);
    const deps = dependentViews(objects.views, [{ schema: table.schema, name: table.name }]);
    if (deps.length > 0) {
      throw new DuckMeshError('2BP01', `cannot alter table ${table.name} because other objects depend on it`, {
        detail: deps.map((v) => `view ${v.schema}.${v.name} depends on table ${table.name}`).join('\n'),
        hint: 'Drop the dependent views first (and recreate them afterwards).',
      });
    }
    if (commands.some((c) => c.kind === 'renameTable')) {
      const to = commands.find((c) => c.kind === 'renameTable')!.to;
      if ((await this.ingest.schemas.lookup(this.tenant, table.schema, to)) || objects.views.some((v) => v.schema === table.schema && v.name === to)) {
        throw new DuckMeshError(SqlState.duplicateTable, `relation "${to}" already exists`);
      }
    }
  }

  // ------------------------------------------------------------------ views

  async createView(stmt: RawStatement): Promise<ExecResult> {
    const v = stmt.ast.ViewStmt;
    const { schema: s, name } = relationName(v.view);
    const schema = s ?? 'public';
    checkSchema(schema);
    if (v.view.relpersistence === 't') throw unsupported('CREATE TEMPORARY VIEW is not supported');
    if (v.options) throw unsupported('CREATE VIEW … WITH (options) is not supported');
    if (v.withCheckOption && v.withCheckOption !== 'NO_CHECK_OPTION') throw unsupported('WITH CHECK OPTION is not supported (DuckMesh views are read-only)');
    if (nodeType(v.query) !== 'SelectStmt') throw unsupported('a view must be a SELECT');
    assertSafeQuery(v.query);
    if (touchesCatalog(v.query)) throw unsupported('views over pg_catalog or information_schema are not supported');
    const aliases = stringList(v.aliases);
    const sql = viewSql(stmt.text, v.query, schema, this.defaultSchema(), aliases);
    // Postgres resolves a view's unqualified names in the search path at CREATE; so do we.
    const dependsOn = relationsRead(v.query, this.defaultSchema());
    // Binding it now reports unknown tables/columns at CREATE, and gives the view's columns.
    const { types } = await this.session.evaluate(`SELECT * FROM (${sql}) AS __dm_view LIMIT 0`);
    const columns = types.map((t) => ({ name: t.name, type: t.type ? String(t.type) : 'VARCHAR' }));
    const body: ViewBody = { schema, name, sql, definition: deparseNode(v.query), columns, dependsOn };
    const receipt = await this.ingest.ddl(this.tenant, async () => {
      const objects = await liveObjects(this.catalog, this.tenant);
      if (await this.ingest.schemas.lookup(this.tenant, schema, name)) {
        throw new DuckMeshError(SqlState.duplicateTable, `relation "${name}" already exists`);
      }
      for (const d of dependsOn) {
        const exists = (await this.ingest.schemas.lookup(this.tenant, d.schema, d.name)) || objects.views.some((x) => x.schema === d.schema && x.name === d.name);
        if (!exists) throw new DuckMeshError(SqlState.undefinedTable, `relation "${d.schema}.${d.name}" does not exist`);
        if (d.schema === schema && d.name === name) throw new DuckMeshError('42P17', `infinite recursion detected in rules for relation "${name}"`);
      }
      const old = objects.views.find((x) => x.schema === schema && x.name === name);
      if (old) {
        if (v.replace !== true) throw new DuckMeshError(SqlState.duplicateTable, `relation "${name}" already exists`);
        checkReplacement(old, body);
      }
      return this.ingest.recordObjects(this.tenant, [viewEvent(body, schema, name)]);
    });
    await this.session.afterWrite(receipt);
    return { kind: 'command', tag: 'CREATE VIEW' };
  }

  async dropView(stmt: RawStatement): Promise<ExecResult> {
    const d = stmt.ast.DropStmt;
    const targets = (d.objects ?? []).map((o: AstNode) => qualified(stringList(o.List?.items ?? o)));
    const receipt = await this.ingest.ddl(this.tenant, async () => {
      const objects = await liveObjects(this.catalog, this.tenant);
      const drop: ViewBody[] = [];
      for (const t of targets) {
        const view = objects.views.find((v) => v.schema === t.schema && v.name === t.name);
        if (!view) {
          if (await this.ingest.schemas.lookup(this.tenant, t.schema, t.name)) {
            throw new DuckMeshError('42809', `"${t.name}" is not a view`, { hint: 'Use DROP TABLE to remove a table.' });
          }
          if (d.missing_ok) continue;
          throw new DuckMeshError(SqlState.undefinedTable, `view "${t.name}" does not exist`);
        }
        drop.push(view);
      }
      if (drop.length === 0) return null;
      const dependents = dependentViews(objects.views, drop).filter((v) => !drop.includes(v));
      if (dependents.length > 0 && d.behavior !== 'DROP_CASCADE') {
        throw new DuckMeshError('2BP01', `cannot drop view ${drop[0]!.name} because other objects depend on it`, {
          detail: dependents.map((v) => `view ${v.schema}.${v.name} depends on view ${drop[0]!.name}`).join('\n'),
          hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
        });
      }
      return this.ingest.recordObjects(this.tenant, dropViewEvents([...drop, ...dependents], objects));
    });
    if (receipt) await this.session.afterWrite(receipt);
    return { kind: 'command', tag: 'DROP VIEW' };
  }

  // ------------------------------------------------------------------ COMMENT ON

  async comment(stmt: RawStatement): Promise<ExecResult> {
    const c = stmt.ast.CommentStmt;
    const names = stringList(c.object?.List?.items ?? (c.object?.String ? [c.object] : []));
    const text: string | null = c.comment ?? null;
    const receipt = await this.ingest.ddl(this.tenant, async () => {
      const objects = await liveObjects(this.catalog, this.tenant);
      const target = await this.commentTarget(c.objtype, names, objects);
      return this.ingest.recordObjects(this.tenant, [commentEvent(target, text)]);
    });
    await this.session.afterWrite(receipt);
    return { kind: 'command', tag: 'COMMENT' };
  }

  private async commentTarget(objtype: string, names: string[], objects: ResolvedObjects): Promise<CommentTarget> {
    switch (objtype) {
      case 'OBJECT_TABLE': {
        const t = await this.table(qualified(names));
        return { target: 'table', tableId: t.tableId };
      }
      case 'OBJECT_COLUMN': {
        if (names.length < 2) throw new DuckMeshError(SqlState.syntaxError, 'column name must be qualified');
        const column = names[names.length - 1]!;
        const rel = qualified(names.slice(0, -1));
        const view = objects.views.find((v) => v.schema === rel.schema && v.name === rel.name);
        if (view) {
          if (!view.columns.some((x) => x.name === column)) {
            throw new DuckMeshError(SqlState.undefinedColumn, `column "${column}" of relation "${view.name}" does not exist`);
          }
          return { target: 'viewColumn', schema: view.schema, name: view.name, column };
        }
        const t = await this.table(rel);
        const i = t.columns.findIndex((x) => x.name === column);
        if (i < 0) throw new DuckMeshError(SqlState.undefinedColumn, `column "${column}" of relation "${t.name}" does not exist`);
        return { target: 'column', tableId: t.tableId, columnId: columnId(t.columns[i]!, i) };
      }
      case 'OBJECT_VIEW': {
        const rel = qualified(names);
        if (!objects.views.some((v) => v.schema === rel.schema && v.name === rel.name)) {
          throw new DuckMeshError(SqlState.undefinedTable, `view "${rel.name}" does not exist`);
        }
        return { target: 'view', ...rel };
      }
      default:
        throw unsupported(`COMMENT ON ${objtype.replace(/^OBJECT_/, '')} is not supported (tables, columns and views are)`);
    }
  }

  // ------------------------------------------------------------------ CREATE INDEX

  /**
   * Recorded as metadata (shown to clients in pg_indexes and duckmesh.indexes): DuckMesh has no
   * secondary indexes, and a UNIQUE index is not enforced — a primary key is the only key.
   */
  async createIndex(stmt: RawStatement): Promise<ExecResult> {
    const ix = stmt.ast.IndexStmt;
    const rel = relationName(ix.relation);
    const schema = rel.schema ?? 'public';
    const keys: string[] = (ix.indexParams ?? []).map((p: AstNode) => {
      const e = p.IndexElem;
      return e.name ?? `(${deparseNode(e.expr)})`;
    });
    const receipt = await this.ingest.ddl(this.tenant, async () => {
      const t = await this.table({ schema, name: rel.name });
      for (const p of ix.indexParams ?? []) {
        const n = p.IndexElem?.name;
        if (n && !t.columns.some((c) => c.name === n)) throw new DuckMeshError(SqlState.undefinedColumn, `column "${n}" does not exist`);
      }
      const name: string = ix.idxname ?? `${t.name}_${keys.map((k) => k.replace(/\W+/g, '')).join('_')}_idx`;
      const objects = await liveObjects(this.catalog, this.tenant);
      const clash =
        objects.indexes.some((i) => i.schema === schema && i.name === name) ||
        objects.views.some((v) => v.schema === schema && v.name === name) ||
        (await this.ingest.schemas.lookup(this.tenant, schema, name)) !== undefined;
      if (clash) {
        if (ix.if_not_exists) return null;
        throw new DuckMeshError(SqlState.duplicateTable, `relation "${name}" already exists`);
      }
      const method = String(ix.accessMethod ?? 'btree');
      return this.ingest.recordObjects(this.tenant, [
        indexEvent({ schema, name, tableId: t.tableId, keys, unique: ix.unique === true, method, definition: stmt.text }),
      ]);
    });
    if (receipt) await this.session.afterWrite(receipt);
    return { kind: 'command', tag: 'CREATE INDEX' };
  }

  // ------------------------------------------------------------------ helpers

  private async table(rel: { schema: string; name: string }): Promise<TableDef> {
    const t = await this.ingest.schemas.lookup(this.tenant, rel.schema, rel.name);
    if (!t) throw new DuckMeshError(SqlState.undefinedTable, `relation "${rel.name}" does not exist`);
    return t;
  }

  private defaultSchema(): string {
    for (const part of this.session.settings.get('search_path').split(',')) {
      const s = part.trim().replace(/^"(.*)"$/, '$1');
      if (s && s !== '$user' && s !== 'pg_catalog') return s;
    }
    return 'public';
  }
}

function unsupported(message: string): DuckMeshError {
  return new DuckMeshError(SqlState.featureNotSupported, message);
}

function qualified(parts: string[]): { schema: string; name: string } {
  if (parts.length === 1) return { schema: 'public', name: parts[0]! };
  if (parts.length === 2) return { schema: parts[0]!, name: parts[1]! };
  throw unsupported(`cross-database references are not implemented: "${parts.join('.')}"`);
}

function renameCommand(r: AstNode): AlterCommand {
  if (r.renameType === 'OBJECT_COLUMN') return { kind: 'renameColumn', from: r.subname, to: r.newname };
  if (r.renameType === 'OBJECT_TABLE') return { kind: 'renameTable', to: r.newname };
  throw unsupported('ALTER TABLE … RENAME CONSTRAINT is not supported');
}

function alterCommand(cmd: AstNode): AlterCommand {
  switch (cmd.subtype) {
    case 'AT_AddColumn': {
      const cd = cmd.def.ColumnDef;
      const ref = typeRefOf(cd.typeName);
      if (!ref) throw new DuckMeshError(SqlState.syntaxError, `type modifiers of column "${cd.colname}" must be simple integer constants`);
      const ct = resolveColumnType(ref);
      let notNull = false;
      let def: ReturnType<typeof decodeCell> | null = null;
      for (const cn of cd.constraints ?? []) {
        const c = cn.Constraint;
        if (c.contype === 'CONSTR_NOTNULL') notNull = true;
        else if (c.contype === 'CONSTR_DEFAULT') def = decodeCell(c.raw_expr);
        else if (c.contype !== 'CONSTR_NULL') throw unsupported(`constraint ${String(c.contype).replace(/^CONSTR_/, '')} in ADD COLUMN is not supported`);
      }
      const defaultValue = defaultOf(def, cd.colname, ct);
      return { kind: 'addColumn', column: { name: cd.colname, type: ct.sql, notNull, defaultValue }, ifNotExists: cmd.missing_ok === true };
    }
    case 'AT_DropColumn':
      return { kind: 'dropColumn', name: cmd.name, ifExists: cmd.missing_ok === true };
    case 'AT_AlterColumnType': {
      const cd = cmd.def.ColumnDef;
      if (cd.raw_default) throw unsupported('ALTER COLUMN … TYPE … USING is not supported (stored values are converted by cast)');
      const ref = typeRefOf(cd.typeName);
      if (!ref) throw new DuckMeshError(SqlState.syntaxError, `type modifiers of column "${cmd.name}" must be simple integer constants`);
      return { kind: 'alterType', name: cmd.name, type: resolveColumnType(ref).sql };
    }
    case 'AT_ColumnDefault':
      // The value is validated against the column type once the table is known (see below).
      return { kind: 'setDefault', name: cmd.name, value: cmd.def ? constantDefault(cmd.def, cmd.name) : null };
    case 'AT_DropNotNull':
      return { kind: 'dropNotNull', name: cmd.name };
    case 'AT_SetNotNull':
      throw unsupported('ALTER COLUMN … SET NOT NULL is not supported (existing rows cannot be checked)');
    default:
      throw unsupported(`ALTER TABLE ${String(cmd.subtype).replace(/^AT_/, '')} is not supported`);
  }
}

/** SET DEFAULT values are validated (and canonicalized) against the column's type. */
function canonicalDefault(table: TableDef, cmd: AlterCommand): AlterCommand {
  if (cmd.kind !== 'setDefault' || cmd.value === null) return cmd;
  const col = table.columns.find((c) => c.name === cmd.name);
  if (!col) return cmd;
  return { ...cmd, value: validatorFor(columnTypeFromSql(col.type))(cmd.value) };
}

function constantDefault(node: AstNode, column: string): string | null {
  const cell = decodeCell(node);
  if (cell.kind !== 'const') throw unsupported(`DEFAULT of column "${column}" must be a constant`);
  return cell.value;
}

function compatibilityOption(def: AstNode): CompatibilityMode {
  const items: AstNode[] = def?.List?.items ?? [];
  let mode: CompatibilityMode | null = null;
  for (const it of items) {
    const d = it.DefElem;
    if (d.defnamespace !== 'duckmesh' || d.defname !== 'compatibility') {
      throw unsupported(`table option "${d.defnamespace ? d.defnamespace + '.' : ''}${d.defname}" is not supported (duckmesh.compatibility is)`);
    }
    const v = String(d.arg?.String?.sval ?? d.arg?.TypeName?.names?.at(-1)?.String?.sval ?? '').toLowerCase();
    if (!COMPATIBILITY_MODES.includes(v as CompatibilityMode)) {
      throw new DuckMeshError(SqlState.invalidParameterValue, `invalid value for duckmesh.compatibility: "${v}" (backward, forward, full or none)`);
    }
    mode = v as CompatibilityMode;
  }
  if (!mode) throw unsupported('ALTER TABLE … SET () needs duckmesh.compatibility');
  return mode;
}

/**
 * The view's SELECT as DuckDB will run it: its own text when DuckDB resolves its unqualified names
 * as Postgres did at CREATE (the view lives in the session's default schema), otherwise the
 * deparsed tree with those names qualified. Column aliases wrap it.
 */
function viewSql(text: string, query: AstNode, viewSchema: string, defaultSchema: string, aliases: string[]): string {
  let sql: string | null = null;
  if (viewSchema === defaultSchema) sql = sliceQuery(text);
  if (sql === null) sql = deparseNode(qualifyNames(query, defaultSchema));
  if (aliases.length === 0) return sql;
  return `SELECT * FROM (${sql}) AS __dm_view(${aliases.map(quoteIdent).join(', ')})`;
}

/** `CREATE [OR REPLACE] VIEW name [(cols)] AS <query>` → `<query>`, verified by re-parsing. */
function sliceQuery(text: string): string | null {
  try {
    const tokens = codeTokens(text);
    let depth = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      else if (depth === 0 && t.lower === 'as' && tokens[i + 1]) {
        const sql = text.slice(tokens[i + 1]!.start).trim();
        const check = parseSql(sql);
        return check.length === 1 && nodeType(check[0]!.ast) === 'SelectStmt' ? check[0]!.text : null;
      }
    }
  } catch {
    // Fall back to deparsing.
  }
  return null;
}

function cteNames(query: AstNode): Set<string> {
  const out = new Set<string>();
  walkAst(query, (type, body) => {
    if (type === 'CommonTableExpr') out.add(body.ctename);
  });
  return out;
}

/** Tables and views a query reads (CTE names excluded), unqualified ones in `defaultSchema`. */
function relationsRead(query: AstNode, defaultSchema: string): { schema: string; name: string }[] {
  const ctes = cteNames(query);
  const out = new Map<string, { schema: string; name: string }>();
  walkAst(query, (type, body) => {
    if (type !== 'RangeVar') return;
    if (!body.schemaname && ctes.has(body.relname)) return;
    const r = { schema: body.schemaname ?? defaultSchema, name: body.relname };
    out.set(`${r.schema}.${r.name}`, r);
  });
  return [...out.values()];
}

function qualifyNames(query: AstNode, schema: string): AstNode {
  const ctes = cteNames(query);
  const copy = structuredClone(query);
  walkAst(copy, (type, body) => {
    if (type === 'RangeVar' && !body.schemaname && !ctes.has(body.relname)) body.schemaname = schema;
  });
  return copy;
}

/** CREATE OR REPLACE VIEW may add columns at the end, never drop, rename or retype (Postgres' rule). */
function checkReplacement(old: ViewBody, next: ViewBody): void {
  if (next.columns.length < old.columns.length) throw new DuckMeshError('42P16', 'cannot drop columns from view');
  old.columns.forEach((c, i) => {
    const n = next.columns[i]!;
    if (n.name !== c.name) throw new DuckMeshError('42P16', `cannot change name of view column "${c.name}" to "${n.name}"`);
    if (n.type !== c.type) throw new DuckMeshError('42P16', `cannot change data type of view column "${c.name}" from ${c.type} to ${n.type}`);
  });
}
