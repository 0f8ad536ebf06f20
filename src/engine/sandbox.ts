import { DuckDBInstance } from '@duckdb/node-api';
import { quoteLiteral } from '../common/sql-text.js';

export interface SandboxLimits {
  threads: number;
  memoryLimit: string;
  /** Spill cap; DuckDB's temp files live in the tenant's own tmp directory. */
  maxTempDirectorySize: string;
}

/**
 * Creates a locked-down DuckDB instance for one tenant. The engine's own settings are the first
 * wall (file access limited to the tenant's directory, no extensions, configuration locked);
 * the parse-tree guard in `sql/guard.ts` is the second.
 *
 * Order matters: `allowed_directories` cannot be passed at creation time and every setting must
 * be applied before `lock_configuration`.
 */
export async function createSandboxedInstance(
  tenantDir: string,
  tempDir: string,
  limits: SandboxLimits,
): Promise<DuckDBInstance> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(limits.threads),
    memory_limit: limits.memoryLimit,
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
  });
  const conn = await instance.connect();
  try {
    const dir = tenantDir.endsWith('/') ? tenantDir : tenantDir + '/';
    const settings = [
      `SET temp_directory = ${quoteLiteral(tempDir)}`,
      `SET max_temp_directory_size = ${quoteLiteral(limits.maxTempDirectorySize)}`,
      `SET allowed_directories = [${quoteLiteral(dir)}]`,
      `SET TimeZone = 'UTC'`,
      // Snapshot files are immutable: caching their footers saves a metadata read per query.
      `SET parquet_metadata_cache = true`,
      `SET enable_external_access = false`,
      `SET allow_unsigned_extensions = false`,
      `SET lock_configuration = true`,
    ];
    for (const s of settings) await conn.run(s);
  } finally {
    conn.closeSync();
  }
  return instance;
}
