/**
 * SQL-level PREPARE name [(types)] AS stmt / EXECUTE name [(args)] / DEALLOCATE [ALL].
 * A prepared statement here is the same PreparedQuery the extended protocol uses, so EXECUTE
 * runs exactly what Bind/Execute would (typed parameter validation included). As in Postgres,
 * named protocol-level statements (Parse) live in the same namespace: psqlODBC, for one, drops
 * its Parse'd statements with `DEALLOCATE "name"`.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { DeallocateStatement, ExecuteStatement, PrepareStatement } from '../sql/statements.js';
import { resolveColumnType } from '../types/column-types.js';
import { decodeParam } from '../types/params.js';
import { textEncoderFor } from '../types/text-encode.js';
import type { ExecResult, FieldDesc } from './results.js';
import type { PreparedQuery, Session } from './session.js';

export class SqlPreparedStatements {
  private readonly statements = new Map<string, PreparedQuery>();

  constructor(private readonly session: Session) {}

  async prepare(stmt: PrepareStatement): Promise<ExecResult> {
    if (this.statements.has(stmt.name)) {
      throw new DuckMeshError(SqlState.duplicatePreparedStatement, `prepared statement "${stmt.name}" already exists`);
    }
    const oids = stmt.paramTypes.map((t) => resolveColumnType(t).pgOid);
    const prepared = await this.session.prepare(stmt.statement.text, oids);
    this.statements.set(stmt.name, prepared);
    return { kind: 'command', tag: 'PREPARE' };
  }

  /** A named statement, whether PREPAREd or Parse'd. */
  lookup(name: string): PreparedQuery | undefined {
    return this.statements.get(name);
  }

  /** Registers a Parse'd named statement (the caller checked that the name is free). */
  add(name: string, p: PreparedQuery): void {
    this.statements.set(name, p);
  }

  /** Close (protocol) of a named statement: silently nothing when it does not exist. */
  remove(name: string): void {
    this.drop(name);
  }

  async execute(stmt: ExecuteStatement, outer: (string | null)[]): Promise<ExecResult> {
    const p = this.get(stmt.name);
    const expected = p.paramOids.length;
    if (stmt.params.length !== expected) {
      throw new DuckMeshError(SqlState.syntaxError, `wrong number of parameters for prepared statement "${stmt.name}"`, {
        detail: `Expected ${expected} parameters but got ${stmt.params.length}.`,
      });
    }
    const texts = await this.argumentTexts(stmt, outer);
    const params = texts.map((t, i) => (t === null ? null : decodeParam(p.paramOids[i] ?? 0, 0, Buffer.from(t, 'utf8'))));
    return this.session.executePrepared(p, params);
  }

  /** Columns an EXECUTE returns (Describe of a prepared EXECUTE), or null. */
  fieldsOf(name: string): FieldDesc[] | null {
    return this.statements.get(name)?.fields ?? null;
  }

  deallocate(stmt: DeallocateStatement): ExecResult {
    if (stmt.name === null) {
      this.clear();
      return { kind: 'command', tag: 'DEALLOCATE ALL' };
    }
    this.get(stmt.name);
    this.drop(stmt.name);
    return { kind: 'command', tag: 'DEALLOCATE' };
  }

  clear(): void {
    for (const name of [...this.statements.keys()]) this.drop(name);
  }

  private drop(name: string): void {
    const p = this.statements.get(name);
    if (!p) return;
    // A portal still holding this statement re-prepares it (executePrepared) instead of using a destroyed one.
    p.duck?.prepared.destroySync();
    p.duck = null;
    this.statements.delete(name);
  }

  private get(name: string): PreparedQuery {
    const p = this.statements.get(name);
    if (!p) throw new DuckMeshError(SqlState.invalidSqlStatementName, `prepared statement "${name}" does not exist`);
    return p;
  }

  /** EXECUTE arguments as text: constants as written, $n from the outer Bind, expressions evaluated. */
  private async argumentTexts(stmt: ExecuteStatement, outer: (string | null)[]): Promise<(string | null)[]> {
    const out: (string | null)[] = new Array(stmt.params.length).fill(null);
    const exprs: { index: number; sql: string }[] = [];
    stmt.params.forEach((c, i) => {
      if (c.kind === 'const') out[i] = c.value;
      else if (c.kind === 'param') {
        if (c.index < 1 || c.index > outer.length) throw new DuckMeshError(SqlState.undefinedParameter, `there is no parameter $${c.index}`);
        out[i] = outer[c.index - 1]!;
      } else if (c.kind === 'expr') exprs.push({ index: i, sql: c.sql });
      else throw new DuckMeshError(SqlState.featureNotSupported, 'DEFAULT is not allowed as an EXECUTE argument');
    });
    if (exprs.length > 0) {
      const { types, rows } = await this.session.evaluate(`SELECT ${exprs.map((e) => `(${e.sql})`).join(', ')}`);
      exprs.forEach((e, k) => {
        const v = rows[0]![k];
        const t = types[k]!.type;
        out[e.index] = v === null || v === undefined ? null : t ? textEncoderFor(t)(v as never) : String(v);
      });
    }
    return out;
  }
}
