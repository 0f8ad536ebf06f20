/**
 * SQL that applies an UPDATE, a DELETE … WHERE or an INSERT … ON CONFLICT at its bus position:
 * the commit worker evaluates it against the table's state just before that position (`state`,
 * see table-state.ts) and appends the resulting row versions / delete markers to the stage. Users'
 * expressions arrive guarded and bound at ingest; here they are only placed.
 *
 * Every statement writes `_dm_seq = seq`, so a write that fails half way is undone by deleting its
 * sequence range from the stage.
 */
import { quoteIdent } from '../common/sql-text.js';
import type { ColumnDef, TableDef } from '../catalog/types.js';
import type { SetExpr } from '../ingest/payload.js';
import { RID_ORD, RID_SEQ } from './table-state.js';

export const MATCH = '__dm_match';
const HIDDEN_INSERT = '_dm_seq, _dm_ord, _dm_del, _dm_rseq, _dm_rord';

export interface ApplyPlan {
  /** Statements to run in order. */
  statements: string[];
  /** Checked after the first statement (which fills MATCH): NOT NULL columns that may have become NULL. */
  notNullChecks: string[];
  /** Whether the result contains updated versions or markers that need deduplication by row identity. */
  mutations: boolean;
}

function setValue(col: ColumnDef, set: readonly SetExpr[]): string | null {
  const s = set.find((x) => x.column === col.name);
  return s ? `CAST((${s.sql}) AS ${col.type})` : null;
}

function colList(t: TableDef): string {
  return t.columns.map((c) => quoteIdent(c.name)).join(', ');
}

function notNullTargets(t: TableDef, set: readonly SetExpr[]): string[] {
  return t.columns.filter((c) => c.notNull && set.some((s) => s.column === c.name)).map((c) => c.name);
}

export function updatePlan(t: TableDef, state: string, stage: string, seq: number, p: { set: SetExpr[]; where: string | null; alias: string }): ApplyPlan {
  const a = quoteIdent(p.alias);
  const values = t.columns.map((c) => `${setValue(c, p.set) ?? `${a}.${quoteIdent(c.name)}`} AS ${quoteIdent(c.name)}`);
  const oldKeys = t.primaryKey.map((k, i) => `${a}.${quoteIdent(k)} AS __dm_old_${i}`);
  const match =
    `CREATE OR REPLACE TEMP TABLE ${MATCH} AS SELECT ${[...values, ...oldKeys, `${a}.${RID_SEQ}`, `${a}.${RID_ORD}`].join(', ')}, ` +
    `(row_number() OVER () - 1)::INTEGER AS __dm_n FROM (${state}) AS ${a}${p.where ? ` WHERE (${p.where})` : ''}`;
  const statements = [match];
  const cols = colList(t);
  if (t.primaryKey.length > 0) {
    const keyChanged = p.set.some((s) => t.primaryKey.includes(s.column));
    let offset = '';
    if (keyChanged) {
      // The old key goes first (a marker), then the row under its new key: if the key did not
      // change after all, the version (higher _dm_ord) wins over the marker.
      const keys = t.primaryKey.map(quoteIdent).join(', ');
      const old = t.primaryKey.map((_, i) => `__dm_old_${i}`).join(', ');
      statements.push(`INSERT INTO ${stage} (${keys}, ${HIDDEN_INSERT}) SELECT ${old}, ${seq}, __dm_n, true, NULL, NULL FROM ${MATCH}`);
      offset = ` + (SELECT count(*) FROM ${MATCH})::INTEGER`;
    }
    statements.push(`INSERT INTO ${stage} (${cols}, ${HIDDEN_INSERT}) SELECT ${cols}, ${seq}, __dm_n${offset}, NULL, NULL, NULL FROM ${MATCH}`);
    return { statements, notNullChecks: notNullTargets(t, p.set), mutations: false };
  }
  statements.push(`INSERT INTO ${stage} (${cols}, ${HIDDEN_INSERT}) SELECT ${cols}, ${seq}, __dm_n, NULL, ${RID_SEQ}, ${RID_ORD} FROM ${MATCH}`);
  return { statements, notNullChecks: notNullTargets(t, p.set), mutations: true };
}

export function deletePlan(t: TableDef, state: string, stage: string, seq: number, p: { where: string | null; alias: string }): ApplyPlan {
  const a = quoteIdent(p.alias);
  const ids = t.primaryKey.length > 0 ? t.primaryKey.map((k) => `${a}.${quoteIdent(k)}`) : [`${a}.${RID_SEQ}`, `${a}.${RID_ORD}`];
  const match =
    `CREATE OR REPLACE TEMP TABLE ${MATCH} AS SELECT ${ids.join(', ')}, (row_number() OVER () - 1)::INTEGER AS __dm_n ` +
    `FROM (${state}) AS ${a}${p.where ? ` WHERE (${p.where})` : ''}`;
  if (t.primaryKey.length > 0) {
    const keys = t.primaryKey.map(quoteIdent).join(', ');
    return {
      statements: [match, `INSERT INTO ${stage} (${keys}, ${HIDDEN_INSERT}) SELECT ${keys}, ${seq}, __dm_n, true, NULL, NULL FROM ${MATCH}`],
      notNullChecks: [],
      mutations: false,
    };
  }
  return {
    statements: [match, `INSERT INTO ${stage} (${HIDDEN_INSERT}) SELECT ${seq}, __dm_n, true, ${RID_SEQ}, ${RID_ORD} FROM ${MATCH}`],
    notNullChecks: [],
    mutations: true,
  };
}

/**
 * INSERT … ON CONFLICT: `input` holds the proposed rows (its `_dm_ord` = row position). The
 * proposed row is visible to SET/WHERE as `excluded` (a struct, so `excluded.col` works and plain
 * column names mean the existing row, as in Postgres).
 */
export function upsertPlan(
  t: TableDef,
  state: string,
  stage: string,
  input: string,
  seq: number,
  p: { action: 'nothing' | 'update'; set: SetExpr[]; where: string | null; alias: string },
): ApplyPlan {
  const a = quoteIdent(p.alias);
  const keys = t.primaryKey.map(quoteIdent);
  const struct = `struct_pack(${t.columns.map((c) => `${quoteIdent(c.name)} := ${quoteIdent(c.name)}`).join(', ')})`;
  // DO NOTHING keeps the first of several proposals for one key (Postgres: later ones conflict with it).
  const dedup = p.action === 'nothing' ? ` QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY _dm_ord) = 1` : '';
  const proposed = `(SELECT ${struct} AS excluded, _dm_ord AS __dm_pord FROM ${input}${dedup}) AS __dm_p`;
  const existing = `(SELECT *, true AS __dm_hit FROM (${state})) AS ${a}`;
  const on = keys.map((k) => `${a}.${k} = __dm_p.excluded.${k}`).join(' AND ');
  const values = t.columns.map((c) => {
    const proposedValue = `__dm_p.excluded.${quoteIdent(c.name)}`;
    if (p.action === 'nothing') return `${proposedValue} AS ${quoteIdent(c.name)}`;
    const updated = setValue(c, p.set) ?? `${a}.${quoteIdent(c.name)}`;
    return `CASE WHEN ${a}.__dm_hit IS NULL THEN ${proposedValue} ELSE ${updated} END AS ${quoteIdent(c.name)}`;
  });
  let where = `${a}.__dm_hit IS NULL`;
  if (p.action === 'update') where = p.where ? `${where} OR (${p.where})` : 'true';
  const match = `CREATE OR REPLACE TEMP TABLE ${MATCH} AS SELECT ${values.join(', ')}, __dm_p.__dm_pord AS __dm_n FROM ${proposed} LEFT JOIN ${existing} ON ${on} WHERE ${where}`;
  const cols = colList(t);
  return {
    statements: [match, `INSERT INTO ${stage} (${cols}, ${HIDDEN_INSERT}) SELECT ${cols}, ${seq}, __dm_n, NULL, NULL, NULL FROM ${MATCH}`],
    // Proposed rows may leave NOT NULL columns out (partial upserts): check every such column.
    notNullChecks: t.columns.filter((c) => c.notNull).map((c) => c.name),
    mutations: false,
  };
}
