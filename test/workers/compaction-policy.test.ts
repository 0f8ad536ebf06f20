import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ColumnDef } from '../../src/catalog/types.js';
import { ceilingTrigger, fileTier, markerFloor, planTable, type CompactionPolicy, type PolicyFile } from '../../src/storage/compaction-policy.js';
import { compactionSql, readsExactlyAs, timeColumnOf } from '../../src/workers/compaction-rewrite.js';

const KB = 1024;
const policy: CompactionPolicy = { targetFileBytes: 1024 * KB, maxFilesPerTable: 16, mergeFactor: 4 };

/** Files of `size` bytes, one per seq from `firstSeq`. */
function files(n: number, size: number, firstSeq = 1, group = 1, firstId = firstSeq): PolicyFile[] {
  return Array.from({ length: n }, (_, i) => ({ fileId: firstId + i, byteSize: size, minSeq: firstSeq + i, maxSeq: firstSeq + i, group }));
}

describe('compaction policy: size tiers', () => {
  it('puts files in tiers of width mergeFactor below half the target size', () => {
    // full = 512 KiB; tier 0 = [128, 512) KiB, tier 1 = [32, 128), tier 2 = [8, 32), …
    expect(fileTier(512 * KB, policy)).toBe(-1);
    expect(fileTier(2048 * KB, policy)).toBe(-1);
    expect(fileTier(511 * KB, policy)).toBe(0);
    expect(fileTier(128 * KB, policy)).toBe(0);
    expect(fileTier(127 * KB, policy)).toBe(1);
    expect(fileTier(32 * KB, policy)).toBe(1);
    expect(fileTier(31 * KB, policy)).toBe(2);
    expect(fileTier(1, policy)).toBe(9);
    expect(fileTier(0, { targetFileBytes: 1 << 30, mergeFactor: 2 })).toBe(12);
  });

  it('merges nothing below mergeFactor files per tier', () => {
    expect(planTable(files(3, 4 * KB), policy)).toEqual([]);
    // Four files, but in different tiers.
    const mixed = [...files(1, 4 * KB, 1), ...files(1, 40 * KB, 2), ...files(1, 200 * KB, 3), ...files(1, 600 * KB, 4)];
    expect(planTable(mixed, policy)).toEqual([]);
  });

  it('merges a full tier, oldest first, with smaller files left over from deeper tiers', () => {
    // Two small leftovers (tier 3) and four tier-1 files.
    const tiny = files(2, 2 * KB, 1);
    const mid = files(4, 40 * KB, 3);
    const big = files(2, 600 * KB, 7);
    const jobs = planTable([...big, ...mid, ...tiny], policy);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ reason: 'tier', tier: 1, group: 1, bytes: 4 * KB + 160 * KB, minSeq: 1, maxSeq: 6 });
    expect(jobs[0]!.inputs.map((f) => f.fileId)).toEqual([1, 2, 3, 4, 5, 6]);
    // The full files (seq 7, 8) stay outside: markers below seq 7 may go.
    expect(jobs[0]!.floor).toBe(7);
  });

  it('never builds a job above the target size: a tier is split into consecutive chunks', () => {
    const jobs = planTable(files(9, 300 * KB), policy); // tier 0; two fit under 1 MiB
    expect(jobs.map((j) => j.inputs.map((f) => f.fileId))).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    for (const j of jobs) expect(j.bytes).toBeLessThanOrEqual(policy.targetFileBytes);
  });

  it('markers: the floor is the lowest minSeq outside the job, at most the job maxSeq + 1', () => {
    expect(markerFloor([], 10)).toBe(11);
    expect(markerFloor([{ minSeq: 30 }, { minSeq: 12 }], 10)).toBe(11);
    expect(markerFloor([{ minSeq: 30 }, { minSeq: 5 }], 10)).toBe(5);
    // The tier job over the newest small files: an older full file keeps the floor low.
    const jobs = planTable([...files(1, 600 * KB, 1), ...files(4, 4 * KB, 2)], policy);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.floor).toBe(1);
    // Every file in the job: every marker can go.
    expect(planTable(files(4, 4 * KB, 2), policy)[0]!.floor).toBe(6);
  });

  it('merges only files of one group; frozen groups (older schema versions) are merged down completely', () => {
    const jobs = planTable([...files(3, 4 * KB, 1, 1), ...files(3, 4 * KB, 4, 2)], policy);
    expect(jobs).toEqual([]);
    const frozen = planTable([...files(3, 4 * KB, 1, 1), ...files(3, 4 * KB, 4, 2)], policy, new Set([1]));
    expect(frozen).toHaveLength(1);
    expect(frozen[0]).toMatchObject({ reason: 'frozen', group: 1 });
    expect(frozen[0]!.inputs.map((f) => f.fileId)).toEqual([1, 2, 3]);
    // Group 2's files start at seq 4: markers of group 1 below 4 may go.
    expect(frozen[0]!.floor).toBe(4);
  });

  it('settles an idle table: the small files of its current version left by the tiers are merged', () => {
    const table = [...files(3, 4 * KB, 1), ...files(2, 40 * KB, 4), ...files(1, 600 * KB, 6), ...files(2, 4 * KB, 7, 2)];
    expect(planTable(table, policy)).toEqual([]);
    const jobs = planTable(table, policy, new Set(), true);
    expect(jobs.map((j) => [j.reason, j.group, j.inputs.map((f) => f.fileId)])).toEqual([
      ['settle', 1, [1, 2, 3, 4, 5]],
      ['settle', 2, [7, 8]],
    ]);
    // The full file (seq 6) and the other group (7, 8) stay outside the first job.
    expect(jobs[0]!.floor).toBe(6);
  });

  it('the ceiling: when too many files would remain, the smallest are merged down to half the ceiling', () => {
    expect(ceilingTrigger(policy)).toBe(8);
    // 14 full files of varied sizes: no tier merge, but 14 > 8.
    const full = Array.from({ length: 14 }, (_, i) => ({ fileId: i + 1, byteSize: (600 + i * 10) * KB, minSeq: i + 1, maxSeq: i + 1, group: 1 }));
    const jobs = planTable(full, policy);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.reason).toBe('ceiling');
    // 14 - 8 (= half the ceiling) + 1 = 7 smallest files into one: 8 files remain.
    expect(jobs[0]!.inputs.map((f) => f.fileId)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(full.length - jobs[0]!.inputs.length + 1).toBe(8);
  });

  it('steady state: repeated passes over a stream of equal small files keep every table under the ceiling', () => {
    // Simulates a pass after every mergeFactor commits: the merge output replaces its inputs.
    let table: PolicyFile[] = [];
    let nextId = 1;
    let maxSeen = 0;
    for (let commit = 1; commit <= 2000; commit++) {
      table.push({ fileId: nextId++, byteSize: 3 * KB, minSeq: commit, maxSeq: commit, group: 1 });
      maxSeen = Math.max(maxSeen, table.length);
      if (commit % policy.mergeFactor !== 0) continue;
      for (const j of planTable(table, policy)) {
        const ids = new Set(j.inputs.map((f) => f.fileId));
        table = table.filter((f) => !ids.has(f.fileId));
        table.push({ fileId: nextId++, byteSize: j.bytes, minSeq: j.minSeq, maxSeq: j.maxSeq, group: 1 });
      }
    }
    expect(maxSeen).toBeLessThan(policy.maxFilesPerTable);
    expect(table.reduce((n, f) => n + f.byteSize, 0)).toBe(2000 * 3 * KB);
  });
});

describe('compaction rewrite SQL', () => {
  const col = (name: string, type: string, id: number, extra: Partial<ColumnDef> = {}): ColumnDef => ({ name, type, notNull: false, defaultValue: null, id, ...extra });

  it('sorts by the configured time column, else the first TIMESTAMP/TIMESTAMPTZ/DATE column, else bus order', () => {
    const cols = [col('id', 'INTEGER', 1), col('day', 'DATE', 2), col('at', 'TIMESTAMP WITH TIME ZONE', 3)];
    expect(timeColumnOf(cols, null)).toBe('day');
    expect(timeColumnOf(cols, 'at')).toBe('at');
    expect(timeColumnOf(cols, 'nope')).toBe('day');
    expect(timeColumnOf([col('id', 'INTEGER', 1), col('t', 'TIME', 2)], null)).toBeNull();
    expect(timeColumnOf([col('ts', 'TIMESTAMP_NS', 1)], null)).toBe('ts');
    expect(timeColumnOf([col('x', 'DATETIME', 1), col('tz', 'TIMESTAMPTZ', 2)], null)).toBe('tz');
  });

  it('reads exactly: renames, drops and reorders yes; added columns and type changes no', () => {
    const v1 = [col('a', 'INTEGER', 1), col('b', 'VARCHAR', 2), col('c', 'BIGINT', 3)];
    expect(readsExactlyAs(v1, v1)).toBe(true);
    expect(readsExactlyAs(v1, [col('c', 'BIGINT', 3), col('renamed', 'INTEGER', 1)])).toBe(true);
    expect(readsExactlyAs(v1, [...v1, col('d', 'INTEGER', 4)])).toBe(false);
    expect(readsExactlyAs(v1, [col('a', 'BIGINT', 1), col('b', 'VARCHAR', 2)])).toBe(false);
  });

  it('deduplicates only tables that need it and drops markers below the floor', () => {
    const cols = [col('id', 'INTEGER', 1), col('v', 'VARCHAR', 2)];
    const plain = compactionSql({ columns: cols, primaryKey: [], versions: [], files: [{ path: '/x/a.parquet', schemaVersion: 1, mutations: false }], floor: 9, timeColumn: null });
    expect(plain).not.toMatch(/QUALIFY/);
    expect(plain).toMatch(/ORDER BY _dm_seq, _dm_ord$/);
    const keyed = compactionSql({ columns: cols, primaryKey: ['id'], versions: [], files: [{ path: '/x/a.parquet', schemaVersion: 1, mutations: false }], floor: 9, timeColumn: 'v' });
    expect(keyed).toMatch(/PARTITION BY "id" ORDER BY _dm_seq DESC, _dm_ord DESC\) = 1 AND NOT \(coalesce\(_dm_del, false\) AND _dm_seq < 9\)/);
    expect(keyed).toMatch(/ORDER BY "v" NULLS LAST, _dm_seq, _dm_ord$/);
    const keyless = compactionSql({ columns: cols, primaryKey: [], versions: [], files: [{ path: '/x/a.parquet', schemaVersion: 1, mutations: true }], floor: 9, timeColumn: null });
    expect(keyless).toMatch(/PARTITION BY coalesce\(_dm_rseq, _dm_seq\), coalesce\(_dm_rord, _dm_ord\)/);
  });
});

describe('compaction configuration', () => {
  it('defaults: on, 128 MiB target, 8 per tier, ceiling 64; the ceiling must leave room for the tiers', () => {
    const c = loadConfig({ flags: {} }).compaction;
    expect(c).toEqual({ enabled: true, targetFileBytes: 128 * 1024 * 1024, maxFilesPerTable: 64, mergeFactor: 8, intervalMs: 60_000, maxBytesPerRun: 1024 ** 3, memoryLimit: '64MB' });
    const set = loadConfig({ flags: { 'compaction.enabled': 'off', 'compaction.mergeFactor': '4', 'compaction.maxFilesPerTable': '10', 'compaction.timeColumn': 'ts' } }).compaction;
    expect(set).toMatchObject({ enabled: false, mergeFactor: 4, maxFilesPerTable: 10, timeColumn: 'ts' });
    expect(() => loadConfig({ flags: { 'compaction.mergeFactor': 8, 'compaction.maxFilesPerTable': 16 } })).toThrow(/compaction\.maxFilesPerTable: must be at least 2 × mergeFactor \+ 2 \(18\)/);
    expect(() => loadConfig({ flags: { 'compaction.targetBytes': 5 } })).toThrow(/compaction/);
  });
});
