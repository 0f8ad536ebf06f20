import { DuckMeshError, SqlState } from '../common/errors.js';
import type { GroupCommitter } from '../bus/group-commit.js';
import type { BusRecord } from '../bus/types.js';
import type { Catalog, ColumnDef, ObjectEvent, TableDef } from '../catalog/types.js';
import { DEFAULT_IDEMPOTENCY, IdempotencyKeys, type IdempotencyOptions, type KeyStamp } from './idempotency.js';
import {
  encodePayload,
  withWriteFields,
  type DdlPayload,
  type DeletePayload,
  type InsertPayload,
  type RowsPayload,
  type SetExpr,
  type UpdatePayload,
  type UpsertPayload,
} from './payload.js';
import { makeReceipt, type Receipt } from './receipt.js';
import { RwGate } from './rw-gate.js';
import type { SchemaCache } from './schema-cache.js';
import type { RowValidator } from './validate-rows.js';

/** A validated logical write, not yet on the bus (inside a transaction it waits for COMMIT). */
export interface PendingWrite {
  tenant: string;
  records: BusRecord[];
  /** Rows written (INSERT, upsert, delete by key); 0 for UPDATE/DELETE … WHERE (decided when applied). */
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

/** A write's idempotency key and the fingerprint of the request it was made with. */
export interface IdempotencyRequest {
  key: string;
  fingerprint: string;
}

export interface CommitResult extends Receipt {
  /** True when an idempotency key matched an earlier write: nothing was written now. */
  replayed?: boolean;
}

/** A new schema version, as computed by the DDL handler from the live definition. */
export interface TableChange {
  schema: string;
  name: string;
  columns: ColumnDef[];
  primaryKey: string[];
  change: string;
}

/**
 * The write path: statements become validated bus records; DDL is registered in the catalog's
 * schema registry around its bus append. Nothing here touches query state.
 */
export class IngestService {
  private readonly gates = new Map<string, RwGate>();
  readonly keys: IdempotencyKeys;

  constructor(
    private readonly catalog: Catalog,
    private readonly committer: GroupCommitter,
    readonly schemas: SchemaCache,
    private readonly limits: IngestLimits,
    private readonly metrics: IngestMetrics,
    idempotency: IdempotencyOptions = DEFAULT_IDEMPOTENCY,
  ) {
    this.keys = new IdempotencyKeys(catalog, idempotency);
  }

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
    const table = validator.table;
    const columns = table.columns.map((c) => c.name);
    return this.chunked(tenant, rows, (chunk): InsertPayload => ({ op: 'insert', ...base(table), columns, rows: chunk }));
  }

  /** INSERT … ON CONFLICT (pk) DO NOTHING / DO UPDATE (rows validated like an INSERT's). */
  buildUpsert(
    tenant: string,
    table: TableDef,
    rows: (string | null)[][],
    conflict: { action: 'nothing' | 'update'; set: SetExpr[]; where: string | null; alias: string },
  ): PendingWrite {
    const columns = table.columns.map((c) => c.name);
    return this.chunked(tenant, rows, (chunk): UpsertPayload => ({ op: 'upsert', ...base(table), columns, rows: chunk, ...conflict }));
  }

  /** UPDATE: `rows` of its receipt is 0 — the rows it affects are decided at its bus position. */
  buildUpdate(tenant: string, table: TableDef, u: { set: SetExpr[]; where: string | null; alias: string }): PendingWrite {
    const p: UpdatePayload = { op: 'update', ...base(table), ...u };
    return this.single(tenant, p, 0);
  }

  buildDelete(tenant: string, table: TableDef, d: { where: string | null; alias: string }): PendingWrite {
    const p: DeletePayload = { op: 'delete', ...base(table), ...d };
    return this.single(tenant, p, 0);
  }

  /** Deletes of explicit primary-key values (canonical text, key column order). */
  buildDeleteKeys(tenant: string, table: TableDef, keys: (string | null)[][]): PendingWrite {
    if (table.primaryKey.length === 0) {
      throw new DuckMeshError(SqlState.featureNotSupported, `deleting by key needs a primary key; relation "${table.name}" has none`);
    }
    return this.chunked(tenant, keys, (chunk): DeletePayload => ({ op: 'delete', ...base(table), where: null, alias: table.name, keys: chunk }));
  }

  /**
   * An INSERT whose rows arrive in batches (INSERT … SELECT streaming from DuckDB): each full bus
   * entry is encoded as soon as it fills, so only compact payload text is kept, never every row
   * as JS values at once. Limits are checked as rows arrive.
   */
  insertBuilder(tenant: string, validator: RowValidator): { add(rows: (string | null)[][]): void; finish(): PendingWrite } {
    const table = validator.table;
    const columns = table.columns.map((c) => c.name);
    const records: BusRecord[] = [];
    let pending: (string | null)[][] = [];
    let rows = 0;
    let bytes = 0;
    const flush = () => {
      const text = encodePayload({ op: 'insert', ...base(table), columns, rows: pending });
      bytes += text.length;
      this.checkBytes(bytes);
      records.push({ tenant, kind: 'rows', payload: text });
      pending = [];
    };
    return {
      add: (batch) => {
        rows += batch.length;
        if (rows > this.limits.maxRowsPerWrite) {
          throw new DuckMeshError(SqlState.programLimitExceeded, `write of more than ${this.limits.maxRowsPerWrite} rows exceeds the limit of rows per statement`);
        }
        for (const r of batch) {
          pending.push(r);
          if (pending.length >= this.limits.rowsPerEntry) flush();
        }
      },
      finish: () => {
        if (pending.length > 0 || records.length === 0) flush();
        return { tenant, records, rows };
      },
    };
  }

  private chunked<T>(tenant: string, rows: T[], payload: (chunk: T[]) => RowsPayload): PendingWrite {
    if (rows.length > this.limits.maxRowsPerWrite) {
      throw new DuckMeshError(
        SqlState.programLimitExceeded,
        `write of ${rows.length} rows exceeds the limit of ${this.limits.maxRowsPerWrite} rows per statement`,
      );
    }
    const records: BusRecord[] = [];
    let bytes = 0;
    for (let i = 0; i < rows.length || (i === 0 && rows.length === 0); i += this.limits.rowsPerEntry) {
      const text = encodePayload(payload(rows.slice(i, i + this.limits.rowsPerEntry)));
      bytes += text.length;
      records.push({ tenant, kind: 'rows', payload: text });
      if (rows.length === 0) break;
    }
    this.checkBytes(bytes);
    return { tenant, records, rows: rows.length };
  }

  private single(tenant: string, p: RowsPayload, rows: number): PendingWrite {
    const text = encodePayload(p);
    this.checkBytes(text.length);
    return { tenant, records: [{ tenant, kind: 'rows', payload: text }], rows };
  }

  private checkBytes(bytes: number): void {
    if (bytes > this.limits.maxBytesPerWrite) {
      throw new DuckMeshError(
        SqlState.programLimitExceeded,
        `write of ${bytes} bytes exceeds the limit of ${this.limits.maxBytesPerWrite} bytes per statement`,
      );
    }
  }

  /**
   * Appends pending writes as one atomic bus append (one logical write, one receipt). The caller
   * holds the tenant's shared gate from validation until this returns (see RwGate). With an
   * idempotency key the write happens at most once per key (see idempotency.ts).
   */
  async commit(writes: PendingWrite[], opts: { idempotency?: IdempotencyRequest } = {}): Promise<CommitResult> {
    const tenant = writes[0]?.tenant ?? '';
    const idem = opts.idempotency;
    await this.keys.checkPolicy(tenant, idem?.key);
    const records: BusRecord[] = [];
    let rows = 0;
    for (const w of writes) {
      for (const r of w.records) records.push(r);
      rows += w.rows;
    }
    const append = async (stamp: KeyStamp | null): Promise<Receipt> => {
      const n = records.length;
      // Write-level fields: the entry's place in a multi-entry write, and the key on the first
      // entry so the commit worker can finish the receipt after a crash.
      const stamped = records.map((r, i) =>
        r.kind !== 'rows'
          ? r
          : { ...r, payload: withWriteFields(r.payload, { ...(n > 1 ? { w: [i, n] as [number, number] } : {}), ...(i === 0 && stamp ? { idem: { ...stamp, rows } } : {}) }) },
      );
      let bytes = 0;
      for (const r of stamped) bytes += r.payload.length;
      const started = performance.now();
      const first = await this.committer.append(stamped);
      this.metrics.onWrite(tenant, rows, bytes, performance.now() - started);
      return makeReceipt(first, n, rows);
    };
    if (!idem) return append(null);
    const { receipt, replayed } = await this.keys.run(tenant, idem.key, idem.fingerprint, append);
    return { ...receipt, replayed };
  }

  /** Runs `fn` holding the tenant's exclusive gate: no write is between validation and append meanwhile. */
  ddl<T>(tenant: string, fn: () => Promise<T>): Promise<T> {
    return this.gate(tenant).withExclusive(fn);
  }

  /** Appends one DDL entry (caller holds the exclusive gate) and returns its seq. */
  async appendDdl(tenant: string, payloads: DdlPayload[]): Promise<number> {
    return this.committer.append(payloads.map((p) => ({ tenant, kind: 'ddl' as const, payload: encodePayload(p) })));
  }

  async createTable(
    tenant: string,
    def: { schema: string; name: string; columns: ColumnDef[]; primaryKey: string[] },
    ifNotExists: boolean,
    check: () => Promise<void> = async () => undefined,
  ): Promise<{ receipt: Receipt | null; existed: boolean }> {
    return this.ddl(tenant, async () => {
      if (await this.schemas.lookup(tenant, def.schema, def.name)) {
        if (ifNotExists) return { receipt: null, existed: true };
        throw new DuckMeshError(SqlState.duplicateTable, `relation "${def.name}" already exists`);
      }
      await check();
      const tableId = await this.catalog.reserveTable({ tenant, ...def });
      const first = await this.appendDdl(tenant, [{ op: 'createTable', tableId, ...def }]);
      await this.catalog.markTableCreated(tableId, first);
      this.schemas.invalidate(tenant);
      return { receipt: makeReceipt(first, 1, 0), existed: false };
    });
  }

  /** DROP TABLE; `objects` (e.g. dependent views of a CASCADE) are dropped in the same append. */
  async dropTable(tenant: string, table: TableDef, check: () => Promise<ObjectEvent[]> = async () => []): Promise<Receipt> {
    return this.ddl(tenant, async () => {
      const current = await this.schemas.lookup(tenant, table.schema, table.name);
      if (!current || current.tableId !== table.tableId) {
        throw new DuckMeshError(SqlState.undefinedTable, `table "${table.name}" does not exist`);
      }
      const events = await check();
      const payloads: DdlPayload[] = [];
      if (events.length > 0) payloads.push({ op: 'objects', events });
      payloads.push({ op: 'dropTable', tableId: table.tableId });
      const first = await this.appendDdl(tenant, payloads);
      if (events.length > 0) await this.catalog.recordObjects(tenant, first, events);
      const dropSeq = first + payloads.length - 1;
      await this.catalog.markTableDropped(table.tableId, dropSeq);
      this.schemas.invalidate(tenant);
      return makeReceipt(first, payloads.length, 0);
    });
  }

  /**
   * ALTER TABLE: appends the complete new version, then records it. Call inside `ddl()`, with
   * `current` looked up there (so no other schema change of this node slips in between).
   */
  async alterTable(tenant: string, current: TableDef, next: TableChange): Promise<Receipt> {
    const version = current.schemaVersion + 1;
    const first = await this.appendDdl(tenant, [{ op: 'alterTable', tableId: current.tableId, version, ...next }]);
    const stored = await this.catalog.recordTableVersion({ tableId: current.tableId, version, seq: first, ...next });
    this.schemas.invalidate(tenant);
    if (stored.seq !== first) {
      throw new DuckMeshError('40001', `concurrent schema change of "${current.name}": version ${version} was taken by another change`, {
        hint: 'Retry the ALTER TABLE.',
      });
    }
    return makeReceipt(first, 1, 0);
  }

  /** Views, comments, indexes: one DDL entry, recorded at its position. Call inside `ddl()`. */
  async recordObjects(tenant: string, events: ObjectEvent[]): Promise<Receipt> {
    const first = await this.appendDdl(tenant, [{ op: 'objects', events }]);
    await this.catalog.recordObjects(tenant, first, events);
    return makeReceipt(first, 1, 0);
  }
}

function base(table: TableDef): { tableId: number; schemaVersion: number } {
  return { tableId: table.tableId, schemaVersion: table.schemaVersion };
}
