import { mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Where everything lives inside the data directory. One place, so that backup, the integrity
 * checker and the sandbox (allowed_directories) agree on paths.
 *
 *   <data>/LOCK                              pid of the owning process (embedded mode)
 *   <data>/bus/bus.db                        embedded ingest bus
 *   <data>/catalog/catalog.db                embedded catalog
 *   <data>/tenants/<tenant>/tables/<id>/…    Parquet data files (catalog paths are relative to <data>)
 *   <data>/tenants/<tenant>/tmp/             DuckDB spill directory for that tenant's queries
 *   <data>/staging/                          commit-worker scratch space
 */
export class DataLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get lockFile(): string {
    return path.join(this.root, 'LOCK');
  }
  get busFile(): string {
    return path.join(this.root, 'bus', 'bus.db');
  }
  get catalogFile(): string {
    return path.join(this.root, 'catalog', 'catalog.db');
  }
  tenantDir(tenant: string): string {
    return path.join(this.root, 'tenants', tenant);
  }
  tenantTablesDir(tenant: string): string {
    return path.join(this.tenantDir(tenant), 'tables');
  }
  tenantTempDir(tenant: string): string {
    return path.join(this.tenantDir(tenant), 'tmp');
  }
  /** Relative path (as stored in the catalog) of a new data file. */
  newDataFile(tenant: string, tableId: number, name: string): string {
    return path.join('tenants', tenant, 'tables', String(tableId), name);
  }
  absolute(relative: string): string {
    return path.join(this.root, relative);
  }

  ensureBase(): void {
    for (const dir of [this.root, path.dirname(this.busFile), path.dirname(this.catalogFile), path.join(this.root, 'tenants')]) {
      mkdirSync(dir, { recursive: true });
    }
  }

  ensureTenant(tenant: string): void {
    mkdirSync(this.tenantTablesDir(tenant), { recursive: true });
    mkdirSync(this.tenantTempDir(tenant), { recursive: true });
  }
}

/** Tenant names become directory names and DuckDB identifiers: keep them boring. */
export const TENANT_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
