/**
 * ALTER TABLE as a schema-registry operation: the next version of a table from the live one, with
 * the compatibility rules of its mode. Files are never rewritten — readers map every file onto the
 * current version by column id (engine/table-state.ts) — so what is refused here is what would make
 * stored data unreadable or change its meaning, plus what the table's mode forbids.
 *
 * Always refused: ADD COLUMN … NOT NULL without a non-null DEFAULT (existing rows would be NULL),
 * SET NOT NULL (existing rows cannot be checked), dropping or retyping (other than widening) a
 * primary-key column, dropping the last column.
 *
 * Modes (a reader on one version, data written under another):
 * - BACKWARD (default): readers of the new version read old data — refuses type changes that are
 *   not widening.
 * - FORWARD: readers of the previous version read new data — refuses any type change, RENAME
 *   COLUMN, and dropping a NOT NULL column that has no default.
 * - FULL: both.
 * - NONE: also allows narrowing/incompatible type changes; stored values that do not convert
 *   read as NULL.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import { columnId, withColumnIds } from '../catalog/metadata.js';
import type { ColumnDef, CompatibilityMode, TableDef, TableVersion } from '../catalog/types.js';
import { isWidening } from '../catalog/type-widening.js';
import type { TableChange } from './service.js';

export type AlterCommand =
  | { kind: 'addColumn'; column: Omit<ColumnDef, 'id' | 'missingValue'>; ifNotExists: boolean }
  | { kind: 'dropColumn'; name: string; ifExists: boolean }
  | { kind: 'renameColumn'; from: string; to: string }
  | { kind: 'alterType'; name: string; type: string }
  | { kind: 'setDefault'; name: string; value: string | null }
  | { kind: 'dropNotNull'; name: string }
  | { kind: 'renameTable'; to: string };

export const COMPATIBILITY_MODES: readonly CompatibilityMode[] = ['backward', 'forward', 'full', 'none'];

/** The next version of `table` after `commands`; null when nothing changes (IF [NOT] EXISTS no-ops). */
export function planAlter(table: TableDef, history: readonly TableVersion[], commands: readonly AlterCommand[]): TableChange | null {
  const mode = table.compatibility ?? 'backward';
  let columns = withColumnIds(table.columns).map((c) => ({ ...c }));
  let primaryKey = [...table.primaryKey];
  let name = table.name;
  // Ids are never reused, also after a DROP: old files still carry the dropped column's data.
  let nextId = Math.max(0, ...history.flatMap((v) => v.columns.map(columnId)), ...columns.map(columnId)) + 1;
  const changes: string[] = [];
  const find = (n: string): ColumnDef => {
    const c = columns.find((x) => x.name === n);
    if (!c) throw new DuckMeshError(SqlState.undefinedColumn, `column "${n}" of relation "${name}" does not exist`);
    return c;
  };
  const refuse = (what: string, why: string) =>
    new DuckMeshError(SqlState.featureNotSupported, `cannot ${what}: ${why}`, {
      hint: mode !== 'none' ? `The table's compatibility mode is ${mode.toUpperCase()} (ALTER TABLE ${name} SET (duckmesh.compatibility = 'none') lifts it).` : undefined,
    });
  const forward = mode === 'forward' || mode === 'full';
  const backward = mode === 'backward' || mode === 'full';

  for (const cmd of commands) {
    switch (cmd.kind) {
      case 'addColumn': {
        if (columns.some((c) => c.name === cmd.column.name)) {
          if (cmd.ifNotExists) continue;
          throw new DuckMeshError(SqlState.duplicateColumn, `column "${cmd.column.name}" of relation "${name}" already exists`);
        }
        if (cmd.column.notNull && cmd.column.defaultValue === null) {
          throw new DuckMeshError(SqlState.notNullViolation, `column "${cmd.column.name}" of relation "${name}" contains null values`, {
            hint: 'Add the column with a DEFAULT: existing rows take that value.',
          });
        }
        columns.push({ ...cmd.column, id: nextId++, missingValue: cmd.column.defaultValue });
        changes.push(`add column ${cmd.column.name} ${cmd.column.type}`);
        break;
      }
      case 'dropColumn': {
        const c = columns.find((x) => x.name === cmd.name);
        if (!c) {
          if (cmd.ifExists) continue;
          find(cmd.name);
        }
        if (primaryKey.includes(cmd.name)) throw refuse(`drop column "${cmd.name}"`, 'it is part of the primary key');
        if (columns.length === 1) throw refuse(`drop column "${cmd.name}"`, 'a table needs at least one column');
        if (forward && c!.notNull && c!.defaultValue === null) {
          throw refuse(`drop column "${cmd.name}"`, 'readers of the previous version require it (NOT NULL without a default)');
        }
        columns = columns.filter((x) => x !== c);
        changes.push(`drop column ${cmd.name}`);
        break;
      }
      case 'renameColumn': {
        const c = find(cmd.from);
        if (columns.some((x) => x.name === cmd.to)) {
          throw new DuckMeshError(SqlState.duplicateColumn, `column "${cmd.to}" of relation "${name}" already exists`);
        }
        if (forward) throw refuse(`rename column "${cmd.from}"`, 'readers of the previous version look it up by its old name');
        c.name = cmd.to;
        primaryKey = primaryKey.map((k) => (k === cmd.from ? cmd.to : k));
        changes.push(`rename column ${cmd.from} to ${cmd.to}`);
        break;
      }
      case 'alterType': {
        const c = find(cmd.name);
        if (sameType(c.type, cmd.type)) continue;
        const widening = isWidening(c.type, cmd.type);
        if (!widening && (backward || primaryKey.includes(c.name))) {
          throw new DuckMeshError(SqlState.datatypeMismatch, `cannot change column "${c.name}" from ${c.type} to ${cmd.type}: not a widening conversion`, {
            detail: 'Stored values might not be representable in the new type.',
            hint: primaryKey.includes(c.name) ? undefined : "Only compatibility mode NONE allows it (values that do not convert then read as NULL).",
          });
        }
        if (forward) throw refuse(`change the type of column "${c.name}"`, 'readers of the previous version cannot hold the new values');
        changes.push(`alter column ${c.name} type ${cmd.type} (was ${c.type})`);
        c.type = cmd.type;
        break;
      }
      case 'setDefault': {
        const c = find(cmd.name);
        c.defaultValue = cmd.value;
        changes.push(cmd.value === null ? `alter column ${c.name} drop default` : `alter column ${c.name} set default ${cmd.value}`);
        break;
      }
      case 'dropNotNull': {
        const c = find(cmd.name);
        if (primaryKey.includes(c.name)) throw refuse(`drop NOT NULL of column "${c.name}"`, 'it is part of the primary key');
        if (!c.notNull) continue;
        c.notNull = false;
        changes.push(`alter column ${c.name} drop not null`);
        break;
      }
      case 'renameTable':
        changes.push(`rename to ${cmd.to}`);
        name = cmd.to;
        break;
    }
  }
  if (changes.length === 0) return null;
  return { schema: table.schema, name, columns, primaryKey, change: changes.join(', ') };
}

function sameType(a: string, b: string): boolean {
  return a.replace(/\s+/g, ' ').trim().toUpperCase() === b.replace(/\s+/g, ' ').trim().toUpperCase();
}
