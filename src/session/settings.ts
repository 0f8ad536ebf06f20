import { DuckMeshError, SqlState } from '../common/errors.js';

/** Postgres major version we report; drivers pick query variants by it. */
export const SERVER_VERSION = '16.4';
export const SERVER_VERSION_NUM = '160004';

interface SettingSpec {
  /** Default text value. */
  value: string;
  /** Sent as ParameterStatus at startup and whenever it changes (GUC_REPORT in Postgres). */
  report?: boolean;
  readOnly?: boolean;
  /** Normalizes/validates a new value; throws DuckMeshError for bad ones. */
  check?: (v: string) => string;
  description: string;
}

const bool = (name: string) => (v: string): string => {
  const s = v.trim().toLowerCase();
  if (['on', 'true', 'yes', '1', 't', 'y'].includes(s)) return 'on';
  if (['off', 'false', 'no', '0', 'f', 'n'].includes(s)) return 'off';
  throw new DuckMeshError(SqlState.invalidParameterValue, `parameter "${name}" requires a Boolean value`);
};

const durationMs = (name: string) => (v: string): string => {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/i.exec(v);
  if (!m) throw new DuckMeshError(SqlState.invalidParameterValue, `invalid value for parameter "${name}": "${v}"`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'ms').toLowerCase();
  const factor = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'ms']!;
  const ms = Math.round(n * factor);
  if (ms < 0) throw new DuckMeshError(SqlState.invalidParameterValue, `${ms} ms is outside the valid range for parameter "${name}"`);
  return String(ms);
};

const nonNegativeInt = (name: string) => (v: string): string => {
  const s = v.trim();
  if (!/^\d+$/.test(s)) throw new DuckMeshError(SqlState.invalidParameterValue, `invalid value for parameter "${name}": "${v}"`);
  return String(Number(s));
};

/** Every setting a session knows. Names are lowercase (Postgres GUC names are case-insensitive). */
export const SETTINGS: Record<string, SettingSpec> = {
  // --- DuckMesh ---
  'duckmesh.min_visibility_token': { value: '', description: 'Queries wait until this visibility token is visible.' },
  'duckmesh.wait_for_visibility': { value: 'off', check: bool('duckmesh.wait_for_visibility'), description: 'Acknowledge writes only once visible.' },
  'duckmesh.result_cache': {
    value: 'on',
    check: bool('duckmesh.result_cache'),
    description: 'Deterministic SELECTs may be answered from the per-snapshot result cache.',
  },
  'duckmesh.read_your_writes': { value: 'on', check: bool('duckmesh.read_your_writes'), description: "Reads wait for this session's own last write." },
  'duckmesh.visibility_timeout': { value: '10000', check: durationMs('duckmesh.visibility_timeout'), description: 'Maximum wait for a visibility token (ms).' },
  'duckmesh.snapshot_id': { value: '', description: 'Time travel: run queries on this snapshot id.' },
  'duckmesh.as_of': { value: '', description: 'Time travel: run queries on the newest snapshot at or before this timestamp.' },
  'duckmesh.idempotency_key': { value: '', description: 'Idempotency key consumed by the next write.' },
  'duckmesh.last_visibility_token': { value: '', readOnly: true, description: "Token of this session's last write." },
  'duckmesh.last_snapshot_id': { value: '', readOnly: true, description: 'Snapshot id the last query ran on.' },
  // --- Postgres ---
  server_version: { value: SERVER_VERSION, report: true, readOnly: true, description: 'Server version.' },
  server_version_num: { value: SERVER_VERSION_NUM, readOnly: true, description: 'Server version as an integer.' },
  server_encoding: { value: 'UTF8', report: true, readOnly: true, description: 'Server encoding.' },
  client_encoding: {
    value: 'UTF8',
    report: true,
    check: (v) => {
      const s = v.trim().toUpperCase().replace(/-/g, '');
      if (s === 'UTF8' || s === 'UNICODE') return 'UTF8';
      throw new DuckMeshError(SqlState.featureNotSupported, `client_encoding "${v}" is not supported; only UTF8 is`);
    },
    description: 'Client encoding (UTF8 only).',
  },
  datestyle: { value: 'ISO, MDY', report: true, description: 'Date output style.' },
  intervalstyle: { value: 'postgres', report: true, description: 'Interval output style.' },
  timezone: { value: 'UTC', report: true, description: 'Time zone for timestamptz display (DuckMesh shows UTC).' },
  integer_datetimes: { value: 'on', report: true, readOnly: true, description: 'Datetimes are integer-based.' },
  standard_conforming_strings: { value: 'on', report: true, description: 'Backslashes are literal in ordinary strings.' },
  application_name: { value: '', report: true, description: 'Client application name.' },
  is_superuser: { value: 'off', report: true, readOnly: true, description: 'Whether the user is a superuser.' },
  session_authorization: { value: '', report: true, readOnly: true, description: 'Session user.' },
  search_path: { value: '"$user", public', description: 'Schema search order.' },
  statement_timeout: { value: '0', check: durationMs('statement_timeout'), description: 'Abort statements running longer than this (ms, 0 = off).' },
  idle_in_transaction_session_timeout: { value: '0', check: durationMs('idle_in_transaction_session_timeout'), description: 'Accepted for compatibility.' },
  lock_timeout: { value: '0', check: durationMs('lock_timeout'), description: 'Accepted for compatibility.' },
  extra_float_digits: { value: '1', description: 'Accepted for compatibility; floats are always shortest-exact.' },
  transaction_isolation: { value: 'read committed', readOnly: true, description: 'Isolation level.' },
  default_transaction_isolation: { value: 'read committed', description: 'Accepted for compatibility.' },
  transaction_read_only: { value: 'off', readOnly: true, description: 'Whether the current transaction is read-only.' },
  default_transaction_read_only: { value: 'off', check: bool('default_transaction_read_only'), description: 'Accepted for compatibility.' },
  max_identifier_length: { value: '63', readOnly: true, description: 'Maximum identifier length.' },
  lc_collate: { value: 'C', readOnly: true, description: 'Collation.' },
  lc_ctype: { value: 'C', readOnly: true, description: 'Character classification.' },
  lc_messages: { value: 'C', description: 'Message language.' },
  lc_monetary: { value: 'C', description: 'Monetary formatting.' },
  lc_numeric: { value: 'C', description: 'Numeric formatting.' },
  lc_time: { value: 'C', description: 'Time formatting.' },
  bytea_output: { value: 'hex', description: 'bytea output format.' },
  client_min_messages: { value: 'notice', description: 'Minimum message level sent to the client.' },
  row_security: { value: 'on', description: 'Accepted for compatibility.' },
  synchronous_commit: { value: 'on', description: 'Accepted for compatibility; writes are always durable.' },
  work_mem: { value: '4MB', description: 'Accepted for compatibility.' },
  jit: { value: 'off', description: 'Accepted for compatibility.' },
  max_index_keys: { value: '32', readOnly: true, description: 'Maximum index keys.' },
  block_size: { value: '8192', readOnly: true, description: 'Block size.' },
  geqo: { value: 'on', description: 'Accepted for compatibility.' },
};

/** Canonical names of settings Postgres spells with capitals in ParameterStatus / SHOW headers. */
const DISPLAY_NAME: Record<string, string> = {
  datestyle: 'DateStyle',
  intervalstyle: 'IntervalStyle',
  timezone: 'TimeZone',
};

export function displayName(name: string): string {
  return DISPLAY_NAME[name] ?? name;
}

/**
 * A session's settings: defaults, overridden by startup options, then SET. SET LOCAL values are
 * undone at transaction end.
 */
export class SessionSettings {
  private readonly values = new Map<string, string>();
  private readonly custom = new Map<string, string>();
  private localUndo: Map<string, string | undefined> | null = null;

  get(name: string): string {
    const n = name.toLowerCase();
    const v = this.values.get(n);
    if (v !== undefined) return v;
    const spec = SETTINGS[n];
    if (spec) return spec.value;
    const c = this.custom.get(n);
    if (c !== undefined) return c;
    throw unknownSetting(n);
  }

  /** Returns the normalized value, or throws. `internal` bypasses read-only (server-maintained values). */
  set(name: string, value: string | null, opts: { local?: boolean; internal?: boolean } = {}): string {
    const n = name.toLowerCase();
    const spec = SETTINGS[n];
    if (!spec) {
      // Postgres accepts any two-part "placeholder" name (extension.setting); ours must be known.
      if (!n.includes('.') || n.startsWith('duckmesh.')) throw unknownSetting(n);
      this.remember(n, opts.local);
      if (value === null) this.custom.delete(n);
      else this.custom.set(n, value);
      return value ?? '';
    }
    if (spec.readOnly && !opts.internal) {
      throw new DuckMeshError(SqlState.cantChangeRuntimeParam, `parameter "${n}" cannot be changed`);
    }
    const normalized = value === null ? spec.value : spec.check ? spec.check(value) : value;
    this.remember(n, opts.local);
    this.values.set(n, normalized);
    return normalized;
  }

  isReported(name: string): boolean {
    return SETTINGS[name.toLowerCase()]?.report === true;
  }

  reportedSettings(): [string, string][] {
    return Object.entries(SETTINGS)
      .filter(([, s]) => s.report)
      .map(([n]) => [displayName(n), this.get(n)]);
  }

  /** All known settings with their current values (SHOW ALL). */
  all(): { name: string; value: string; description: string }[] {
    const rows = Object.entries(SETTINGS).map(([n, s]) => ({ name: n, value: this.get(n), description: s.description }));
    for (const [n, v] of this.custom) rows.push({ name: n, value: v, description: 'custom setting' });
    return rows.sort((a, b) => a.name.localeCompare(b.name));
  }

  resetAll(): void {
    const keep = new Map<string, string>();
    for (const [n, v] of this.values) if (SETTINGS[n]?.readOnly) keep.set(n, v);
    this.values.clear();
    for (const [n, v] of keep) this.values.set(n, v);
    this.custom.clear();
  }

  beginTransaction(): void {
    this.localUndo = new Map();
  }

  /** Ends the transaction scope of SET LOCAL values (they are undone on commit and rollback alike). */
  endTransaction(): void {
    if (this.localUndo) {
      for (const [n, prev] of this.localUndo) {
        if (prev === undefined) {
          this.values.delete(n);
          this.custom.delete(n);
        } else if (SETTINGS[n]) this.values.set(n, prev);
        else this.custom.set(n, prev);
      }
    }
    this.localUndo = null;
  }

  private remember(n: string, local: boolean | undefined): void {
    if (!local || !this.localUndo || this.localUndo.has(n)) return;
    this.localUndo.set(n, SETTINGS[n] ? this.values.get(n) : this.custom.get(n));
  }
}

function unknownSetting(n: string): DuckMeshError {
  return new DuckMeshError(SqlState.undefinedObject, `unrecognized configuration parameter "${n}"`);
}
