/**
 * Results of read-only queries, cached per (snapshot, query, parameters, session settings that
 * change results). Snapshots are immutable, so a deterministic query's answer on snapshot N never
 * changes: a dashboard that many viewers refresh runs DuckDB once per snapshot instead of once per
 * viewer. Only small results are kept (whole DuckDB chunks, shared read-only between sessions),
 * under a per-tenant row budget with least-recently-used eviction.
 */
import type { DuckDBDataChunk } from '@duckdb/node-api';
import type { FieldDesc } from '../session/results.js';
import { stringList } from '../sql/ast.js';
import { parseSql } from '../sql/parser.js';
import { walkAst } from '../sql/walk.js';

export interface CachedResult {
  fields: FieldDesc[];
  chunks: DuckDBDataChunk[];
  rows: number;
}

export interface ResultCacheLimits {
  /** Total rows kept per tenant; 0 turns the cache off. */
  maxRows: number;
  /** Results larger than this are never kept. */
  maxRowsPerResult: number;
}

export interface ResultCacheStats {
  hits: number;
  misses: number;
  entries: number;
  rows: number;
}

export class ResultCache {
  /** Map iteration order is insertion order: re-inserting on a hit makes it an LRU. */
  private readonly entries = new Map<string, CachedResult>();
  private rows = 0;
  private hits = 0;
  private misses = 0;

  constructor(readonly limits: ResultCacheLimits) {}

  get enabled(): boolean {
    return this.limits.maxRows > 0 && this.limits.maxRowsPerResult > 0;
  }

  get(key: string): CachedResult | undefined {
    const hit = this.entries.get(key);
    if (!hit) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  put(key: string, result: CachedResult): void {
    if (!this.enabled || result.rows > this.limits.maxRowsPerResult || result.rows > this.limits.maxRows) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.rows -= old.rows;
    }
    this.entries.set(key, result);
    this.rows += result.rows;
    // Count every entry as at least one row, so empty results cannot pile up without bound.
    while (this.rows + this.entries.size > this.limits.maxRows + 1 && this.entries.size > 1) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, CachedResult];
      this.entries.delete(oldestKey);
      this.rows -= oldest.rows;
    }
  }

  /** Drops entries of snapshots below `snapshotId` (expired by retention). */
  dropBelow(snapshotId: number): void {
    for (const [key, r] of this.entries) {
      if (snapshotOfKey(key) < snapshotId) {
        this.entries.delete(key);
        this.rows -= r.rows;
      }
    }
  }

  stats(): ResultCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size, rows: this.rows };
  }
}

/** The cache key: the snapshot first (see `dropBelow`), then everything the result depends on. */
export function resultCacheKey(snapshotId: number, parts: readonly string[]): string {
  return `${snapshotId}\u0001${parts.join('\u0001')}`;
}

function snapshotOfKey(key: string): number {
  return Number(key.slice(0, key.indexOf('\u0001')));
}

/**
 * Functions whose result depends on something other than their arguments and the snapshot: the
 * clock, randomness, the session, sequences. A query calling one is never cached.
 */
const VOLATILE = new Set([
  'now',
  'random',
  'setseed',
  'gen_random_uuid',
  'uuid',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'statement_timestamp',
  'transaction_timestamp',
  'timeofday',
  'today',
  'current_date',
  'current_time',
  'current_timestamp',
  'current_localtime',
  'current_localtimestamp',
  'get_current_time',
  'get_current_timestamp',
  'localtime',
  'localtimestamp',
  'current_setting',
  'set_config',
  'current_query',
  'current_user',
  'current_role',
  'session_user',
  'user',
  'current_schema',
  'current_schemas',
  'current_database',
  'current_catalog',
  'pg_backend_pid',
  'inet_client_addr',
  'inet_server_addr',
  'txid_current',
  'nextval',
  'currval',
  'lastval',
  'pg_sleep',
  'sleep_ms',
  'version',
]);

/** True when a SELECT's parse tree calls nothing volatile (its answer depends only on the snapshot). */
export function isDeterministicQuery(ast: unknown): boolean {
  let deterministic = true;
  walkAst(ast, (type, body) => {
    if (!deterministic) return;
    if (type === 'SQLValueFunction') deterministic = false;
    else if (type === 'FuncCall') {
      const names = stringList(body.funcname);
      const bare = (names[names.length - 1] ?? '').toLowerCase();
      if (VOLATILE.has(bare)) deterministic = false;
    } else if (type === 'LockingClause' || type === 'IntoClause') deterministic = false;
  });
  return deterministic;
}


/** Relations whose content is not fixed by the snapshot (the `duckmesh` operational views). */
export function readsLiveState(ast: unknown): boolean {
  let live = false;
  walkAst(ast, (type, body) => {
    if (type === 'RangeVar' && typeof body.schemaname === 'string' && body.schemaname.toLowerCase() === 'duckmesh') live = true;
  });
  return live;
}

/** Views that call something volatile, directly or through other views: "schema.name", lowercase. */
export function volatileViewNames(views: readonly { schema: string; name: string; sql: string; dependsOn?: { schema: string; name: string }[] }[]): Set<string> {
  const volatile = new Set<string>();
  const key = (schema: string, name: string) => `${schema}.${name}`.toLowerCase();
  for (const v of views) {
    let deterministic = false;
    try {
      const parsed = parseSql(v.sql);
      deterministic = parsed.length === 1 && isDeterministicQuery(parsed[0]!.ast);
    } catch {
      deterministic = false;
    }
    if (!deterministic) volatile.add(key(v.schema, v.name));
  }
  // A view over a volatile view is volatile too: propagate until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of views) {
      const k = key(v.schema, v.name);
      if (!volatile.has(k) && (v.dependsOn ?? []).some((d) => volatile.has(key(d.schema, d.name)))) {
        volatile.add(k);
        changed = true;
      }
    }
  }
  return volatile;
}

/** Whether a query reads one of `views` (names as "schema.name"; unqualified names use `defaultSchema`). */
export function readsAnyOf(ast: unknown, views: ReadonlySet<string>, defaultSchema: string): boolean {
  if (views.size === 0) return false;
  let hit = false;
  walkAst(ast, (type, body) => {
    if (type !== 'RangeVar' || typeof body.relname !== 'string') return;
    const schema = typeof body.schemaname === 'string' ? body.schemaname : defaultSchema;
    if (views.has(`${schema}.${body.relname}`.toLowerCase())) hit = true;
  });
  return hit;
}

const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'every', 'string_agg', 'array_agg', 'stddev', 'variance', 'percentile_cont', 'percentile_disc', 'median', 'approx_count_distinct']);
const SMALL_LIMIT = 10_000;

/**
 * Whether a SELECT's result is bounded small by its shape: a LIMIT of at most 10,000 rows, or only
 * aggregates without GROUP BY (one row). Such results are computed in one engine call instead of
 * streamed (see Session.select).
 */
export function isSmallResult(ast: unknown): boolean {
  const node = ast as { SelectStmt?: Record<string, any> } | null;
  const s = node?.SelectStmt;
  if (!s || s.op && s.op !== 'SETOP_NONE') return false;
  const limit = s.limitCount?.A_Const?.ival;
  if (limit !== undefined && (limit.ival ?? 0) <= SMALL_LIMIT) return true;
  if (s.groupClause?.length || !s.targetList?.length) return false;
  return s.targetList.every((t: any) => {
    const v = t.ResTarget?.val;
    const call = v?.FuncCall ?? v?.TypeCast?.arg?.FuncCall;
    if (!call || call.over) return false;
    const names = stringList(call.funcname);
    return AGGREGATES.has((names[names.length - 1] ?? '').toLowerCase());
  });
}
