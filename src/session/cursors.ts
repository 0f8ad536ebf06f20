/**
 * SQL cursors: DECLARE / FETCH / MOVE / CLOSE (psycopg named cursors, JDBC-less streaming).
 *
 * A cursor streams from a DuckDB connection of its own, pinned to the snapshot its DECLARE
 * chose: the session's connection runs other statements between FETCHes, and DuckDB invalidates
 * a streaming result when its connection starts another query. Cursors scan forward only (as a
 * NO SCROLL cursor does in Postgres). Without HOLD a cursor ends with its transaction.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import { deparseNode } from '../sql/ast.js';
import type { AstNode, RawStatement, SelectStatement } from '../sql/statements.js';
import { codeTokens, findTopLevel } from '../sql/tokens.js';
import { touchesCatalog } from '../sql/catalog-refs.js';
import type { ChunkRows, ExecResult, FieldDesc, RowSource, StaticRows } from './results.js';
import type { Session } from './session.js';

/** parsenodes.h CURSOR_OPT_* bits. */
const OPT_BINARY = 0x1;
const OPT_SCROLL = 0x2;
const OPT_HOLD = 0x20;
/** libpg-query spells FETCH ALL as INT_MAX. */
const FETCH_ALL = 2147483647;

interface Cursor {
  name: string;
  fields: FieldDesc[];
  binary: boolean;
  hold: boolean;
  source: RowSource;
  pending: StaticRows | ChunkRows | null;
  offset: number;
  exhausted: boolean;
}

function rowCount(b: StaticRows | ChunkRows): number {
  return b.kind === 'static' ? b.rows.length : (b.to ?? b.chunk.rowCount);
}

export class CursorManager {
  private readonly cursors = new Map<string, Cursor>();

  constructor(private readonly session: Session) {}

  has(name: string): boolean {
    return this.cursors.has(name);
  }

  async declare(stmt: RawStatement): Promise<ExecResult> {
    const s = stmt.ast.DeclareCursorStmt;
    const name: string = s.portalname;
    const options: number = s.options ?? 0;
    const hold = (options & OPT_HOLD) !== 0;
    if (!hold && !this.session.inTransaction) {
      throw new DuckMeshError(SqlState.noActiveSqlTransaction, 'DECLARE CURSOR can only be used in transaction blocks');
    }
    if (this.cursors.has(name)) throw new DuckMeshError('42P03', `cursor "${name}" already exists`);
    if ((options & OPT_SCROLL) !== 0) {
      throw new DuckMeshError(SqlState.featureNotSupported, 'SCROLL cursors are not supported by DuckMesh', {
        hint: 'Declare the cursor NO SCROLL (the default) and fetch forward.',
      });
    }
    const select = innerSelect(stmt.text, s.query);
    const result = await this.session.selectDetached(select);
    this.cursors.set(name, {
      name,
      fields: result.fields,
      binary: (options & OPT_BINARY) !== 0,
      hold,
      source: result.source,
      pending: null,
      offset: 0,
      exhausted: false,
    });
    return { kind: 'command', tag: 'DECLARE CURSOR' };
  }

  /** Result columns of a FETCH (for Describe of a prepared FETCH); null for MOVE. */
  fetchFields(stmt: RawStatement): FieldDesc[] | null {
    const s = stmt.ast.FetchStmt;
    if (s.ismove) return null;
    return this.get(s.portalname).fields;
  }

  /** Columns of a cursor by name, for Describe of a portal that is an SQL cursor. */
  fieldsOf(name: string): FieldDesc[] | null {
    return this.cursors.get(name)?.fields ?? null;
  }

  async fetch(stmt: RawStatement): Promise<ExecResult> {
    const s = stmt.ast.FetchStmt;
    const cursor = this.get(s.portalname);
    const count = forwardCount(s);
    if (s.ismove) {
      let moved = 0;
      for (;;) {
        const part = await this.take(cursor, count - moved);
        if (!part) break;
        moved += rowCount(part) - (part.kind === 'chunk' ? (part.from ?? 0) : 0);
      }
      return { kind: 'command', tag: `MOVE ${moved}` };
    }
    let left = count;
    const source: RowSource = {
      next: async () => {
        const part = await this.take(cursor, left);
        if (part) left -= rowCount(part) - (part.kind === 'chunk' ? (part.from ?? 0) : 0);
        return part;
      },
      close: () => undefined,
    };
    const result: ExecResult = { kind: 'rows', fields: cursor.fields, source, tag: 'FETCH' };
    if (cursor.binary) result.formats = [1];
    return result;
  }

  close(stmt: RawStatement): ExecResult {
    const name: string | undefined = stmt.ast.ClosePortalStmt.portalname;
    if (name === undefined) {
      this.closeAll();
      return { kind: 'command', tag: 'CLOSE CURSOR ALL' };
    }
    this.get(name);
    this.drop(name);
    return { kind: 'command', tag: 'CLOSE CURSOR' };
  }

  /** Transaction end: cursors without HOLD are gone (their snapshot pin is released). */
  endTransaction(): void {
    for (const c of [...this.cursors.values()]) if (!c.hold) this.drop(c.name);
  }

  closeAll(): void {
    for (const name of [...this.cursors.keys()]) this.drop(name);
  }

  private drop(name: string): void {
    const c = this.cursors.get(name);
    if (!c) return;
    this.cursors.delete(name);
    c.source.close();
  }

  private get(name: string): Cursor {
    const c = this.cursors.get(name);
    if (!c) throw new DuckMeshError(SqlState.invalidCursorName, `cursor "${name}" does not exist`);
    return c;
  }

  /** Up to `max` rows from the cursor as one batch (a slice of the current chunk), or null. */
  private async take(c: Cursor, max: number): Promise<StaticRows | ChunkRows | null> {
    if (max <= 0 || c.exhausted) return null;
    if (!c.pending) {
      c.pending = await c.source.next();
      if (!c.pending) {
        c.exhausted = true;
        return null;
      }
      c.offset = c.pending.kind === 'chunk' ? (c.pending.from ?? 0) : 0;
    }
    const total = rowCount(c.pending);
    const to = Math.min(total, c.offset + max);
    const part: StaticRows | ChunkRows =
      c.pending.kind === 'chunk'
        ? { kind: 'chunk', chunk: c.pending.chunk, from: c.offset, to }
        : { kind: 'static', rows: c.pending.rows.slice(c.offset, to) };
    c.offset = to;
    if (to >= total) c.pending = null;
    return part;
  }
}

/** FETCH/MOVE count for a forward-only cursor; backward and absolute moves are refused. */
function forwardCount(s: AstNode): number {
  const direction: string = s.direction ?? 'FETCH_FORWARD';
  const howMany: number = s.howMany ?? 0;
  if (direction === 'FETCH_FORWARD' || (direction === 'FETCH_RELATIVE' && howMany > 0)) {
    if (howMany === 0) {
      throw new DuckMeshError(SqlState.featureNotSupported, 'FETCH 0 (re-fetching the current row) is not supported by DuckMesh');
    }
    return howMany >= FETCH_ALL ? Number.MAX_SAFE_INTEGER : howMany;
  }
  throw new DuckMeshError('55000', 'cursor can only scan forward', { hint: 'DuckMesh cursors are NO SCROLL: fetch forward only.' });
}

/** The SELECT after `DECLARE … CURSOR … FOR`, sliced from the source text (deparsed otherwise). */
function innerSelect(text: string, query: AstNode): SelectStatement {
  let sql: string | null = null;
  try {
    const tokens = codeTokens(text);
    const cursor = findTopLevel(tokens, 'cursor', 0);
    const forAt = cursor >= 0 ? findTopLevel(tokens, 'for', cursor + 1) : -1;
    if (forAt >= 0 && tokens[forAt + 1]) sql = text.slice(tokens[forAt + 1]!.start);
  } catch {
    sql = null;
  }
  if (!query?.SelectStmt) throw new DuckMeshError(SqlState.featureNotSupported, 'DECLARE CURSOR supports SELECT queries only');
  return { kind: 'select', text: sql ?? deparseNode(query), touchesCatalog: touchesCatalog(query), ast: query };
}
