import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { openBus } from '../node/backends.js';
import type { DataLayout } from '../storage/layout.js';

export interface BusProblem {
  kind: 'bus_missing' | 'bus_behind_watermark' | 'bus_missing_entries' | 'bus_gap';
  detail: string;
}

export interface BusReport {
  backend: string;
  /** Highest sequence ever appended (0 when none). */
  head: number | null;
  /** Entries still stored (null when the backend cannot count them cheaply). */
  entries: number | null;
  /** Stored entries above the watermark: acknowledged, not yet in a snapshot. */
  pending: number | null;
  problems: BusProblem[];
}

/**
 * Checks that the bus accounts for the catalog's watermark W (DESIGN §4, §8):
 * - the bus head is at least W (else new appends would reuse sequence numbers the catalog holds);
 * - every entry above W — acknowledged but not yet applied — is present: W+1 … head, no gap;
 * - the entries kept at or below W (not yet pruned) are a contiguous run ending at W.
 *
 * The catalog must have been read BEFORE this runs: the bus only grows at the top, and pruning only
 * removes entries applied longer ago than the bus retention window, so a later look at the bus still
 * holds everything above an earlier watermark.
 */
export async function checkBus(config: Pick<Config, 'bus' | 'catalog' | 'nodeId'>, layout: DataLayout, watermark: number): Promise<BusReport> {
  if (config.bus === 'embedded') return checkEmbeddedBus(layout.busFile, watermark);
  const bus = await openBus(config, layout);
  try {
    const problems: BusProblem[] = [];
    const head = await bus.head();
    if (head < watermark) problems.push(behind(head, watermark));
    else if (head > watermark) {
      const [first] = await bus.read(watermark, { maxEntries: 1, maxBytes: 1 });
      if (!first || first.seq !== watermark + 1) {
        problems.push({
          kind: 'bus_missing_entries',
          detail: `entries ${watermark + 1}…${head} are acknowledged but not applied, and entry ${watermark + 1} is not on the bus (next found: ${first?.seq ?? 'none'})`,
        });
      }
    }
    return { backend: bus.backend, head, entries: null, pending: head - watermark, problems };
  } finally {
    await bus.close();
  }
}

/** The embedded bus, opened read-only (works beside a running server: WAL). */
export function checkEmbeddedBus(file: string, watermark: number): BusReport {
  if (!existsSync(file)) {
    const problems: BusProblem[] =
      watermark > 0 ? [{ kind: 'bus_missing', detail: `no bus at ${file}, but the catalog has applied entries up to ${watermark}` }] : [];
    return { backend: 'embedded', head: null, entries: null, pending: null, problems };
  }
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.exec('BEGIN');
    const s = readBusStats(db, watermark);
    db.exec('COMMIT');
    const problems: BusProblem[] = [];
    if (s.head < watermark) problems.push(behind(s.head, watermark));
    const expectedAbove = Math.max(0, s.head - watermark);
    if (s.head >= watermark && s.countAbove !== expectedAbove) {
      problems.push({
        kind: 'bus_missing_entries',
        detail: `entries ${watermark + 1}…${s.head} are acknowledged but not applied, yet only ${s.countAbove} of ${expectedAbove} are on the bus` +
          (s.gaps.length > 0 ? ` (missing after ${s.gaps.map((g) => `${g.after}→${g.next ?? 'end'}`).join(', ')})` : ''),
      });
    }
    if (s.countBelow > 0 && (s.maxBelow !== watermark || s.countBelow !== watermark - s.minBelow! + 1)) {
      const gaps = s.gaps.filter((g) => g.after < watermark);
      problems.push({
        kind: 'bus_gap',
        detail: `the applied entries still kept (${s.countBelow} between ${s.minBelow} and ${s.maxBelow}) are not a contiguous run ending at the watermark ${watermark}` +
          (gaps.length > 0 ? ` (missing after ${gaps.map((g) => `${g.after}→${g.next ?? 'end'}`).join(', ')})` : ''),
      });
    }
    return { backend: 'embedded', head: s.head, entries: s.count, pending: s.countAbove, problems };
  } finally {
    db.close();
  }
}

export interface BusStats {
  head: number;
  count: number;
  countBelow: number;
  minBelow: number | null;
  maxBelow: number | null;
  countAbove: number;
  gaps: { after: number; next: number | null }[];
}

/** Highest sequence ever appended to an embedded bus database (two index lookups). */
export function readBusHead(db: Database.Database): number {
  const max = db.prepare('SELECT max(seq) AS hi FROM bus_entries').get() as { hi: number | null };
  const meta = db.prepare("SELECT value FROM bus_meta WHERE key = 'head'").get() as { value: number } | undefined;
  return Math.max(max.hi ?? 0, meta?.value ?? 0);
}

/** Sequence statistics of an embedded bus database (`bus_entries`, `bus_meta`). */
export function readBusStats(db: Database.Database, watermark: number): BusStats {
  const all = db.prepare('SELECT count(*) AS n, max(seq) AS hi FROM bus_entries').get() as { n: number; hi: number | null };
  const meta = db.prepare("SELECT value FROM bus_meta WHERE key = 'head'").get() as { value: number } | undefined;
  const head = Math.max(all.hi ?? 0, meta?.value ?? 0);
  const below = db.prepare('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM bus_entries WHERE seq <= ?').get(watermark) as {
    n: number;
    lo: number | null;
    hi: number | null;
  };
  const above = db.prepare('SELECT count(*) AS n FROM bus_entries WHERE seq > ?').get(watermark) as { n: number };
  const gaps = db
    .prepare(
      `SELECT b.seq AS after, (SELECT min(seq) FROM bus_entries c WHERE c.seq > b.seq) AS next FROM bus_entries b
       WHERE b.seq < ? AND NOT EXISTS (SELECT 1 FROM bus_entries d WHERE d.seq = b.seq + 1) ORDER BY b.seq LIMIT 5`,
    )
    .all(head) as { after: number; next: number | null }[];
  return { head, count: all.n, countBelow: below.n, minBelow: below.lo, maxBelow: below.hi, countAbove: above.n, gaps };
}

function behind(head: number, watermark: number): BusProblem {
  return {
    kind: 'bus_behind_watermark',
    detail: `the bus head ${head} is below the catalog watermark ${watermark}: new writes would reuse sequence numbers already applied`,
  };
}
