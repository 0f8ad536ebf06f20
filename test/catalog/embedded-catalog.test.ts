import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe } from 'vitest';
import { SqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.js';
import { catalogContract } from './contract.js';

describe('embedded (SQLite) catalog', () => {
  catalogContract(async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'dm-cat-')), 'catalog.db');
    return { catalog: new SqliteCatalog(file), second: async () => new SqliteCatalog(file) };
  });
});
