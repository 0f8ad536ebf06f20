import { existsSync, statSync } from 'node:fs';
import type { Catalog } from '../catalog/types.js';
import type { DataLayout } from './layout.js';
import { fileChecksum } from './parquet-writer.js';

export interface IntegrityProblem {
  kind: 'missing_file' | 'size_mismatch' | 'checksum_mismatch';
  path: string;
  detail: string;
}

/**
 * Checks that every file a snapshot references exists and matches its recorded size and checksum
 * (DESIGN §7). `deep` also re-reads every file for its checksum.
 */
export async function checkFiles(catalog: Catalog, layout: DataLayout, opts: { deep: boolean }): Promise<IntegrityProblem[]> {
  const problems: IntegrityProblem[] = [];
  for (const f of await catalog.allFiles()) {
    const abs = layout.absolute(f.path);
    if (!existsSync(abs)) {
      problems.push({ kind: 'missing_file', path: f.path, detail: `referenced since snapshot ${f.addedSnapshot}` });
      continue;
    }
    const size = statSync(abs).size;
    if (size !== f.byteSize) {
      problems.push({ kind: 'size_mismatch', path: f.path, detail: `catalog ${f.byteSize} bytes, disk ${size} bytes` });
      continue;
    }
    if (opts.deep) {
      const sum = fileChecksum(abs);
      if (sum !== f.checksum) problems.push({ kind: 'checksum_mismatch', path: f.path, detail: `catalog ${f.checksum}, disk ${sum}` });
    }
  }
  return problems;
}
