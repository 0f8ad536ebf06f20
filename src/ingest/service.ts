import { DuckMeshError, SqlState } from '../common/errors.js';
import type { GroupCommitter } from '../bus/group-commit.js';
import type { BusRecord } from '../bus/types.js';
import type { Catalog, ColumnDef, TableDef } from '../catalog/types.js';
import { encodePayload, type InsertPayload } from './payload.js';
import { makeReceipt, type Receipt } from './receipt.js';
import { RwGate } from './rw-gate.js';
import type { SchemaCache } from './schema-cache.js';
import type { RowValidator } from './validate-rows.js';

/** A validated logical write, not yet on the bus (inside a transaction it waits for COMMIT). */
export interface PendingWrite {
  tenant: string;
  records: BusRecord[];
  rows: number;
}

export interface IngestLimits {
  /** Rows per bus entry: a big statement becomes several contiguous entries in one append. */
  rowsPerEntry: number;
  /** Upper bound of rows in one logical write. */
  maxRowsPerWrite: number;
  /** Upper bound of payload bytes in one logical write. */
  maxBytesPerWrite: number;
}

export interface IngestMetrics {
  onWrite(tenant: string, rows: number, bytes: number, ackMs: number): void;
}

/**
 * The write path: statements become validated bus records; DDL is registered in the catalog's
 * schema registry around its bus append. Nothing here touches query state.
 */
export class IngestService {
  private readonly gates = new Map<string, RwGate>();

  constructor(
    private readonly catalog: Catalog,
    private readonly committer: GroupCommitter,
    readonly schemas: SchemaCache,
    private readonly limits: IngestLimits,
    private readonly metrics: IngestMetrics,
  ) {}

  gate(tenant: string): RwGate {
    let g = this.gates.get(tenant);
    if (!g) {
      g = new RwGate();
      this.gates.set(tenant, g);
    }
    return g;
  }

  /** Builds the bus records of an INSERT from rows already validated by `validator`. */
  buildInsert(tenant: string, validator: RowValidator, rows: (string | null)[][]): PendingWrite {
    if (rows.length > this.limits.maxRowsPerWrite) {
      throw new DuckMeshError(
        SqlState.programLimitExceeded,
        `write of ${rows.length} rows exceeds the limit of ${this.limits.maxRowsPerWrite} rows per statement`,
      );
    }
    const table = validator.table;
    const columns = table.columns.map((c) => c.name);
    const records: BusRecord[] = [];
    let bytes = 0;
    for (let i = 0; i < rows.length || (i === 0 && rows.length === 0); i += this.limits.rowsPerEntry) {
      const payload: InsertPayload = {
        op: 'insert',
        tableId: table.tableId,
        schemaVersion: table.schemaVersion,
        columns,
        rows: rows.slice(i, i + this.limits.rowsPerEntry),
      };
      const text = encodePayload(payload);
      bytes += text.length;
      records.push({ tenant, kind: 'rows', payload: text });
      if (rows.length === 0) break;
    }
    if (bytes > this.limits.maxBytesPerWrite) {
      throw new DuckMeshError(
        SqlState.programLimitExceeded,
        `write of ${bytes} bytes exceeds the limit of ${this.limits.maxBytesPerWrite} bytes per statement`,
      );
    }
    return { tenant, records, rows: rows.length };
  }

  /**
   * Appends pending writes as one atomic bus append. The caller holds the tenant's shared gate
   * from validation until this returns (see RwGate).
   */
  async commit(writes: PendingWrite[]): Promise<Receipt> {
    const records: BusRecord[] = [];
    let rows = 0;
    let bytes = 0;
    for (const w of writes) {
      for (const r of w.records) {
        records.push(r);
        bytes += r.payload.length;
      }
      rows += w.rows;
    }
    const started = performance.now();
    const first = await this.committer.append(records);
    const tenant = writes[0]?.tenant ?? '';
    this.metrics.onWrite(tenant, rows, bytes, performance.now() - started);
    return makeReceipt(first, records.length, rows);
  }

  async createTable(
    tenant: string,
    def: { schema: string; name: string; columns: ColumnDef[]; primaryKey: string[] },
    ifNotExists: boolean,
  ): Promise<{ receipt: Receipt | null; existed: boolean }> {
    return this.gate(tenant).withExclusive(async () => {
      if (await this.schemas.lookup(tenant, def.schema, def.name)) {
        if (ifNotExists) return { receipt: null, existed: true };
        throw new DuckMeshError(SqlState.duplicateTable, `relation "${def.name}" already exists`);
      }
      const tableId = await this.catalog.reserveTable({ tenant, ...def });
      const payload = encodePayload({ op: 'createTable', tableId, ...def });
      const first = await this.committer.append([{ tenant, kind: 'ddl', payload }]);
      await this.catalog.markTableCreated(tableId, first);
      this.schemas.invalidate(tenant);
      return { receipt: makeReceipt(first, 1, 0), existed: false };
    });
  }

  async dropTable(tenant: string, table: TableDef): Promise<Receipt> {
    return this.gate(tenant).withExclusive(async () => {
      const current = await this.schemas.lookup(tenant, table.schema, table.name);
      if (!current || current.tableId !== table.tableId) {
        throw new DuckMeshError(SqlState.undefinedTable, `table "${table.name}" does not exist`);
      }
      const payload = encodePayload({ op: 'dropTable', tableId: table.tableId });
      const first = await this.committer.append([{ tenant, kind: 'ddl', payload }]);
      await this.catalog.markTableDropped(table.tableId, first);
      this.schemas.invalidate(tenant);
      return makeReceipt(first, 1, 0);
    });
  }
}
