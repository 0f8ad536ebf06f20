/**
 * The compaction policy: which data files of one table to merge, decided from file sizes and
 * sequence ranges only (no file is read). Pure; the worker (src/workers/compaction-worker.ts)
 * executes the plan. See docs/operations.md "Compaction" for the operator-facing description.
 *
 * Size tiers. With target size T and merge factor F, a file of at least T/2 bytes is *full* and is
 * left alone by the tiers. A smaller file is in tier k when T/2 / F^(k+1) <= size < T/2 / F^k
 * (tier 0: the biggest small files; the deeper the tier, the smaller the files). When a tier holds
 * F files or more, those files and every not yet merged file of deeper tiers are merged, oldest
 * first (by minSeq), in jobs of at most T input bytes. A merge of F files of tier k lands in about
 * tier k-1, so every ingested byte is rewritten about once per tier — log_F(T/2 / commit file size)
 * times — and a table holds fewer than F files per tier.
 *
 * Settling. A table that received no commit for a while (`idle`, the worker decides: a whole
 * pass interval) has its remaining small files of the current version merged too, in jobs of at
 * most T bytes: a table that went quiet is read from few files, not up to F - 1 per tier. Once per
 * quiet period, so it adds at most one rewrite of the small files per burst of ingest.
 *
 * Ceiling. If a table would still hold more than `maxFilesPerTable - 2F` files after the tier
 * merges (e.g. when full files pile up), its smallest files are merged — across tiers and past the
 * target size if need be — until it holds `maxFilesPerTable / 2`. With a pass after every F
 * commits, a table never exceeds the ceiling as long as a pass keeps up with F commits.
 *
 * Schema versions. Only files of one *group* are merged together. The worker puts a file in the
 * group of the table's current version when reading it through the current version changes no
 * stored value (same column types by id; renamed, reordered and dropped columns are fine), and
 * otherwise in the group of its own version (added columns, changed types): those are merged
 * among themselves and keep their version, so the read path projects them exactly as before. A
 * group of an older version receives no new files, so it is merged down completely once
 * (`frozen`): at most one file per target size remains.
 */

export interface CompactionPolicy {
  /** Size merges aim at; files of at least half of it are full. */
  targetFileBytes: number;
  /** Hard ceiling of files per table (what one query of the table opens). */
  maxFilesPerTable: number;
  /** Files per tier that trigger a merge (and the tier width). */
  mergeFactor: number;
}

/** What the policy knows of a file. */
export interface PolicyFile {
  fileId: number;
  byteSize: number;
  minSeq: number;
  maxSeq: number;
  /** Only files of the same group are merged together (see the module comment); < 0: never merged. */
  group: number;
}

export interface PlannedJob {
  reason: 'tier' | 'frozen' | 'settle' | 'ceiling' | 'full';
  /** The tier that triggered a tier merge; null otherwise. */
  tier: number | null;
  group: number;
  /** Oldest first (by minSeq). */
  inputs: PolicyFile[];
  bytes: number;
  minSeq: number;
  maxSeq: number;
  /**
   * Delete markers (and, in general, every decision that needs "no older version of this key exists
   * elsewhere") may be applied to rows with `_dm_seq < floor`: every file of the table outside the
   * job starts at or above it. min(minSeq of the other files, maxSeq of the job + 1).
   */
  floor: number;
}

/** Deepest tier distinguished (smaller files share it). */
export const MAX_TIER = 12;
/** Input files of one job at most (bounds the SQL and open files). */
export const MAX_FILES_PER_JOB = 1000;

/** -1 for a full file, else the tier (0 = biggest small files). */
export function fileTier(byteSize: number, policy: Pick<CompactionPolicy, 'targetFileBytes' | 'mergeFactor'>): number {
  const full = policy.targetFileBytes / 2;
  if (byteSize >= full) return -1;
  let tier = 0;
  let bound = full / policy.mergeFactor;
  while (byteSize < bound && tier < MAX_TIER) {
    tier++;
    bound /= policy.mergeFactor;
  }
  return tier;
}

/** Files per table above which the ceiling rule merges the smallest files. */
export function ceilingTrigger(policy: CompactionPolicy): number {
  return Math.max(Math.floor(policy.maxFilesPerTable / 2), policy.maxFilesPerTable - 2 * policy.mergeFactor);
}

/**
 * The merges one table needs now. `frozenGroups` are groups that receive no new files (older
 * schema versions); `idle`: the table received no commit for a while (settle it). The jobs are
 * disjoint.
 */
export function planTable(
  files: readonly PolicyFile[],
  policy: CompactionPolicy,
  frozenGroups: ReadonlySet<number> = new Set(),
  idle = false,
): PlannedJob[] {
  const assigned = new Set<number>();
  const jobs: PlannedJob[] = [];
  const groups = new Map<number, PolicyFile[]>();
  for (const f of files) {
    let list = groups.get(f.group);
    if (!list) groups.set(f.group, (list = []));
    list.push(f);
  }
  const bySeq = (a: PolicyFile, b: PolicyFile) => a.minSeq - b.minSeq || a.fileId - b.fileId;

  for (const [group, list] of groups) {
    if (group < 0) continue;
    const small = list.filter((f) => fileTier(f.byteSize, policy) >= 0);
    if (frozenGroups.has(group)) {
      // Nothing will be added to this group: merge all of it down once.
      for (const chunk of chunks(small.sort(bySeq), policy.targetFileBytes)) jobs.push(job('frozen', null, group, chunk, files, assigned));
      continue;
    }
    const tierOf = new Map(small.map((f) => [f.fileId, fileTier(f.byteSize, policy)]));
    for (let tier = MAX_TIER; tier >= 0; tier--) {
      const inTier = small.filter((f) => tierOf.get(f.fileId) === tier && !assigned.has(f.fileId));
      if (inTier.length < policy.mergeFactor) continue;
      const pool = small.filter((f) => tierOf.get(f.fileId)! >= tier && !assigned.has(f.fileId)).sort(bySeq);
      for (const chunk of chunks(pool, policy.targetFileBytes)) jobs.push(job('tier', tier, group, chunk, files, assigned));
    }
    if (idle) {
      const rest = small.filter((f) => !assigned.has(f.fileId)).sort(bySeq);
      for (const chunk of chunks(rest, policy.targetFileBytes)) jobs.push(job('settle', null, group, chunk, files, assigned));
    }
  }

  // The ceiling: merge the smallest remaining files of the biggest groups.
  let projected = files.length - jobs.reduce((n, j) => n + j.inputs.length - 1, 0);
  const trigger = ceilingTrigger(policy);
  if (projected > trigger) {
    const goal = Math.floor(policy.maxFilesPerTable / 2);
    const order = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
    for (const [group, list] of order) {
      if (projected <= trigger) break;
      if (group < 0) continue;
      const free = list.filter((f) => !assigned.has(f.fileId)).sort((a, b) => a.byteSize - b.byteSize || bySeq(a, b));
      const take = Math.min(free.length, projected - goal + 1, MAX_FILES_PER_JOB);
      if (take < 2) continue;
      const chunk = free.slice(0, take).sort(bySeq);
      jobs.push(job('ceiling', null, group, chunk, files, assigned));
      projected -= take - 1;
    }
  }
  return jobs;
}

/**
 * Everything at once (an operator's or a test's request, not the background policy): one job per
 * group with at least two files, whatever the sizes. Delete markers of the table's current group
 * all go when the table has only that group.
 */
export function planFullTable(files: readonly PolicyFile[]): PlannedJob[] {
  const groups = new Map<number, PolicyFile[]>();
  for (const f of files) {
    let list = groups.get(f.group);
    if (!list) groups.set(f.group, (list = []));
    list.push(f);
  }
  const assigned = new Set<number>();
  const jobs: PlannedJob[] = [];
  for (const [group, list] of groups) {
    if (group < 0 || list.length < 2) continue;
    jobs.push(job('full', null, group, [...list].sort((a, b) => a.minSeq - b.minSeq || a.fileId - b.fileId), files, assigned));
  }
  return jobs;
}

/** Consecutive runs of at least two files, each of at most `maxBytes` (and MAX_FILES_PER_JOB files). */
function chunks(sorted: readonly PolicyFile[], maxBytes: number): PolicyFile[][] {
  const out: PolicyFile[][] = [];
  let cur: PolicyFile[] = [];
  let bytes = 0;
  for (const f of sorted) {
    if (cur.length > 0 && (bytes + f.byteSize > maxBytes || cur.length >= MAX_FILES_PER_JOB)) {
      if (cur.length >= 2) out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(f);
    bytes += f.byteSize;
  }
  if (cur.length >= 2) out.push(cur);
  return out;
}

function job(reason: PlannedJob['reason'], tier: number | null, group: number, inputs: PolicyFile[], all: readonly PolicyFile[], assigned: Set<number>): PlannedJob {
  for (const f of inputs) assigned.add(f.fileId);
  const ids = new Set(inputs.map((f) => f.fileId));
  const minSeq = Math.min(...inputs.map((f) => f.minSeq));
  const maxSeq = Math.max(...inputs.map((f) => f.maxSeq));
  return {
    reason,
    tier,
    group,
    inputs,
    bytes: inputs.reduce((n, f) => n + f.byteSize, 0),
    minSeq,
    maxSeq,
    floor: markerFloor(all.filter((f) => !ids.has(f.fileId)), maxSeq),
  };
}

/** min(minSeq of `others`, maxSeq + 1): rows of the job below it have no older version elsewhere. */
export function markerFloor(others: readonly Pick<PolicyFile, 'minSeq'>[], maxSeq: number): number {
  let floor = maxSeq + 1;
  for (const f of others) floor = Math.min(floor, f.minSeq);
  return floor;
}
