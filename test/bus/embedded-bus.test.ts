import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe } from 'vitest';
import { SqliteBus } from '../../src/bus/embedded/sqlite-bus.js';
import { busContract } from './contract.js';

describe('embedded (SQLite) bus contract', () => {
  busContract(async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'dm-bus-')), 'bus.db');
    return { bus: new SqliteBus(file), reopen: async () => new SqliteBus(file) };
  });
});
