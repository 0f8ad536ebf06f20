import type { Catalog, TableDef } from '../catalog/types.js';

/**
 * Live table definitions per tenant, for validating writes without a catalog round trip.
 * DDL through this process invalidates the tenant's entry.
 */
export class SchemaCache {
  private readonly byTenant = new Map<string, Promise<Map<string, TableDef>>>();

  constructor(private readonly catalog: Catalog) {}

  /**
   * A miss reloads once: with a shared catalog another process may have created the table
   * (its own DDL invalidates locally; other nodes' DDL is only seen this way).
   */
  async lookup(tenant: string, schema: string, name: string): Promise<TableDef | undefined> {
    const hit = (await this.tables(tenant)).get(key(schema, name));
    if (hit) return hit;
    this.invalidate(tenant);
    return (await this.tables(tenant)).get(key(schema, name));
  }

  async tables(tenant: string): Promise<Map<string, TableDef>> {
    let p = this.byTenant.get(tenant);
    if (!p) {
      p = this.catalog.liveTables(tenant).then((list) => new Map(list.map((t) => [key(t.schema, t.name), t])));
      this.byTenant.set(tenant, p);
      p.catch(() => this.byTenant.delete(tenant));
    }
    return p;
  }

  invalidate(tenant: string): void {
    this.byTenant.delete(tenant);
  }
}

function key(schema: string, name: string): string {
  return schema + '\u0000' + name;
}
