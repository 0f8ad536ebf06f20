/**
 * Row writes from JSON (the HTTP API, and any other non-SQL producer): one request = one logical
 * write = one receipt, with the same semantics as the SQL statements it corresponds to.
 *
 * - append: INSERT (on a table with a primary key, the newest version of a key wins).
 * - upsert: INSERT … ON CONFLICT (pk) DO UPDATE SET <the columns present in the row> =
 *   excluded.<col>: columns a row leaves out keep their current value (and take their default when
 *   the key is new). Rows are applied in order, so two rows for one key merge like two statements.
 * - delete: rows carry the primary-key columns of the rows to delete.
 */
import { createHash } from 'node:crypto';
import { DuckMeshError, SqlState } from '../common/errors.js';
import { quoteIdent } from '../common/sql-text.js';
import type { TableDef } from '../catalog/types.js';
import type { CommitResult, IngestService, PendingWrite } from './service.js';
import { RowValidator } from './validate-rows.js';

export type WriteOp = 'append' | 'upsert' | 'delete';

export interface WriteRequest {
  tenant: string;
  /** Table name, optionally schema-qualified ("sales.orders"); `schema` wins when given. */
  table: string;
  schema?: string;
  op: WriteOp;
  rows: Record<string, unknown>[];
  idempotencyKey?: string;
}

/** A stable hash of a request, to tell "the same write again" from "another write, same key". */
export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

export class WriteService {
  constructor(private readonly ingest: IngestService) {}

  async write(req: WriteRequest): Promise<CommitResult> {
    const [schema, name] = req.schema ? [req.schema, req.table] : splitName(req.table);
    const idempotency = req.idempotencyKey
      ? { key: req.idempotencyKey, fingerprint: fingerprintOf({ schema, name, op: req.op, rows: req.rows }) }
      : undefined;
    return this.ingest.gate(req.tenant).withShared(async () => {
      const table = await this.ingest.schemas.lookup(req.tenant, schema, name);
      if (!table) throw new DuckMeshError(SqlState.undefinedTable, `relation "${schema === 'public' ? name : `${schema}.${name}`}" does not exist`);
      const writes = this.build(req, table);
      return this.ingest.commit(writes, idempotency ? { idempotency } : {});
    });
  }

  private build(req: WriteRequest, table: TableDef): PendingWrite[] {
    const validator = new RowValidator(table, null);
    switch (req.op) {
      case 'append':
        return [this.ingest.buildInsert(req.tenant, validator, req.rows.map((r, i) => validator.jsonRow(r, i + 1)))];
      case 'upsert':
        return this.upserts(req, table, validator);
      case 'delete':
        return [this.ingest.buildDeleteKeys(req.tenant, table, req.rows.map((r, i) => keyOf(table, r, i + 1)))];
      default:
        throw new DuckMeshError(SqlState.invalidParameterValue, `unknown op "${String(req.op)}" (expected append, upsert or delete)`);
    }
  }

  /**
   * Consecutive rows with the same set of columns share one bus entry; a row that repeats a key
   * of its group starts a new one, so rows for one key apply one after the other.
   */
  private upserts(req: WriteRequest, table: TableDef, validator: RowValidator): PendingWrite[] {
    if (table.primaryKey.length === 0) {
      throw new DuckMeshError(SqlState.featureNotSupported, `upsert needs a primary key; relation "${table.name}" has none`);
    }
    const nonKey = table.columns.filter((c) => !table.primaryKey.includes(c.name)).map((c) => c.name);
    const out: PendingWrite[] = [];
    let group: { present: string[]; rows: (string | null)[][]; keys: Set<string> } | null = null;
    const close = () => {
      if (!group) return;
      const full = group.present.length === nonKey.length;
      out.push(
        full
          ? this.ingest.buildInsert(req.tenant, validator, group.rows)
          : this.ingest.buildUpsert(req.tenant, table, group.rows, {
              action: 'update',
              set: group.present.map((c) => ({ column: c, sql: `excluded.${quoteIdent(c)}` })),
              where: null,
              alias: table.name,
            }),
      );
      group = null;
    };
    req.rows.forEach((r, i) => {
      const values = validator.jsonRow(r, i + 1, true);
      const present = nonKey.filter((c) => Object.hasOwn(r, c));
      const key = JSON.stringify(table.primaryKey.map((k) => values[table.columns.findIndex((c) => c.name === k)]));
      if (!group || group.present.join('\u0000') !== present.join('\u0000') || group.keys.has(key)) {
        close();
        group = { present, rows: [], keys: new Set() };
      }
      group!.rows.push(values);
      group!.keys.add(key);
    });
    close();
    return out;
  }
}

function keyOf(table: TableDef, row: Record<string, unknown>, rowNumber: number): (string | null)[] {
  for (const k of table.primaryKey) {
    if (!Object.hasOwn(row, k)) {
      throw new DuckMeshError(SqlState.notNullViolation, `delete row ${rowNumber} lacks primary-key column "${k}"`, {
        detail: `row ${rowNumber}, column "${k}"`,
      });
    }
  }
  const keyOnly = Object.fromEntries(table.primaryKey.map((k) => [k, row[k]]));
  // Validate the key values only: the other columns of a delete are irrelevant.
  const values = new RowValidator({ ...table, columns: table.columns.map((c) => ({ ...c, notNull: table.primaryKey.includes(c.name) })) }, null).jsonRow(
    keyOnly,
    rowNumber,
  );
  return table.primaryKey.map((k) => values[table.columns.findIndex((c) => c.name === k)]!);
}

function splitName(name: string): [string, string] {
  const dot = name.indexOf('.');
  return dot < 0 ? ['public', name] : [name.slice(0, dot), name.slice(dot + 1)];
}
