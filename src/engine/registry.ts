import type { Logger } from 'pino';
import type { Catalog } from '../catalog/types.js';
import type { DataLayout } from '../storage/layout.js';
import type { SandboxLimits } from './sandbox.js';
import type { ResultCacheLimits } from './result-cache.js';
import { TenantEngine } from './tenant-engine.js';

/** Lazily creates one sandboxed engine per tenant. */
export class EngineRegistry {
  private readonly engines = new Map<string, Promise<TenantEngine>>();

  constructor(
    private readonly catalog: Catalog,
    private readonly layout: DataLayout,
    private readonly limits: SandboxLimits,
    private readonly log: Logger,
    private readonly cacheLimits?: ResultCacheLimits,
  ) {}

  get(tenant: string): Promise<TenantEngine> {
    let e = this.engines.get(tenant);
    if (!e) {
      e = TenantEngine.create(tenant, this.catalog, this.layout, this.limits, this.log.child({ tenant }), this.cacheLimits);
      this.engines.set(tenant, e);
      e.catch(() => this.engines.delete(tenant));
    }
    return e;
  }

  async closeAll(): Promise<void> {
    for (const e of this.engines.values()) {
      try {
        (await e).close();
      } catch {
        // Creation failed; nothing to close.
      }
    }
    this.engines.clear();
  }
}
