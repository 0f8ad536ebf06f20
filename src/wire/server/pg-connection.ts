import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { DuckMeshError, SqlState } from '../../common/errors.js';
import type { ChunkRows, CopyInSink, CopyOutSource, ExecResult, RowSource, StaticRows } from '../../session/results.js';
import type { PreparedQuery, Session } from '../../session/session.js';
import { bindValue } from './bind-params.js';
import { BackendWriter, errorFieldsFrom } from '../codec/backend.js';
import { FrontendParser, parseStartupOptions, type FrontendMessage } from '../codec/frontend.js';
import type { Authenticator, PasswordMessage } from './auth.js';
import { RowEncoder } from './row-encoder.js';

export interface ConnectionHost {
  log: Logger;
  maxMessageBytes: number;
  authenticator: Authenticator;
  /** Creates the session once the client is authenticated; throws DuckMeshError (e.g. 3D000). */
  openSession(tenant: string, user: string): Promise<Session>;
  registerCancelKey(conn: PgConnection): { processId: number; secretKey: number };
  cancel(processId: number, secretKey: number): void;
  unregister(conn: PgConnection): void;
  /** TLS upgrade for SSLRequest; null when TLS is not configured (answer 'N'). */
  upgradeTls: ((socket: Socket) => Socket) | null;
}

type RowsState = {
  source: RowSource;
  encoder: RowEncoder;
  pending: StaticRows | ChunkRows | null;
  offset: number;
  end: number;
  sent: number;
};

interface Portal {
  prepared: PreparedQuery;
  params: (string | null)[];
  resultFormats: number[];
  /** Present once execution started (for suspension across Execute messages). */
  running: (RowsState & { tag: string }) | null;
  done: boolean;
}

const FLUSH_BYTES = 64 * 1024;
const EXTENDED = new Set(['Parse', 'Bind', 'Describe', 'Execute', 'Close', 'Flush']);

/**
 * One client connection: startup and authentication, then the simple and extended query
 * protocols on top of a Session. Messages are handled strictly in order; results stream with
 * socket backpressure.
 */
export class PgConnection {
  private socket: Socket;
  private readonly parser: FrontendParser;
  private readonly out = new BackendWriter();
  private session: Session | null = null;
  private phase: 'startup' | 'auth' | 'ready' | 'closed' = 'startup';
  private processing = false;
  /** After an error in the extended protocol, skip messages until Sync. */
  private skipUntilSync = false;
  /** Inside a Parse…Sync batch: errors skip to Sync instead of ending with ReadyForQuery. */
  private inExtendedBatch = false;
  /** The unnamed statement; named ones live in the session (shared with SQL PREPARE/DEALLOCATE). */
  private unnamed: PreparedQuery | null = null;
  private readonly portals = new Map<string, Portal>();
  private authStep: ((msg: PasswordMessage) => Promise<void>) | null = null;
  private startupParams: Record<string, string> = {};
  /** The connection runs over TLS (after SSLRequest). */
  private tls = false;
  /** Wakes a COPY FROM STDIN loop waiting for the next message. */
  private wakeReader: (() => void) | null = null;
  /** A CancelRequest arrived while COPY FROM STDIN was reading. */
  private copyCanceled = false;
  cancelKey: { processId: number; secretKey: number } | null = null;
  private readonly log: Logger;

  constructor(
    socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.socket = socket;
    this.log = host.log;
    this.parser = new FrontendParser({ maxMessageBytes: host.maxMessageBytes });
    this.attach(socket);
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.parser.push(chunk);
      } catch (err) {
        this.fatal(err);
        return;
      }
      // Do not buffer unbounded input while a long statement runs.
      if (this.parser.bufferedBytes > this.host.maxMessageBytes * 2) socket.pause();
      this.wake();
      void this.pump();
    });
    socket.on('error', (err) => this.log.debug({ err }, 'client socket error'));
    socket.on('close', () => {
      this.wake();
      void this.cleanup();
    });
  }

  private async pump(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.phase !== 'closed') {
        let msg: FrontendMessage | null;
        try {
          msg = this.parser.next();
        } catch (err) {
          if (!(err instanceof DuckMeshError) || err.severity === 'FATAL' || this.phase !== 'ready') {
            this.fatal(err);
            return;
          }
          // A well-framed message with bad content (e.g. invalid UTF-8): the connection stays usable.
          this.out.errorResponse(errorFieldsFrom(err));
          if (this.inExtendedBatch) this.skipUntilSync = true;
          else this.out.readyForQuery(this.session!.transactionStatus);
          continue;
        }
        if (!msg) break;
        this.inExtendedBatch = msg.type !== 'Sync' && msg.type !== 'Query' && (this.inExtendedBatch || EXTENDED.has(msg.type));
        await this.handle(msg);
      }
      await this.flushOut();
      if (this.socket.isPaused() && this.phase !== 'closed') this.socket.resume();
    } catch (err) {
      this.fatal(err);
    } finally {
      this.processing = false;
    }
  }

  private async handle(msg: FrontendMessage): Promise<void> {
    if (this.phase === 'startup') return this.handleStartup(msg);
    if (this.phase === 'auth') {
      if (msg.type !== 'Password' || !this.authStep) {
        throw new DuckMeshError(SqlState.protocolViolation, `expected password response, got ${msg.type}`, { severity: 'FATAL' });
      }
      return this.authStep(msg);
    }
    if (this.skipUntilSync && msg.type !== 'Sync') return;
    switch (msg.type) {
      case 'Query':
        return this.simpleQuery(msg.sql);
      case 'Parse':
        return this.extended(() => this.parse(msg.statement, msg.sql, msg.paramTypes));
      case 'Bind':
        return this.extended(async () => this.bind(msg));
      case 'Describe':
        return this.extended(async () => this.describe(msg.kind, msg.name));
      case 'Execute':
        return this.extended(() => this.execute(msg.portal, msg.maxRows));
      case 'Close':
        return this.extended(async () => {
          if (msg.kind === 'S') this.dropStatement(msg.name);
          else this.dropPortal(msg.name);
          this.out.closeComplete();
        });
      case 'Sync':
        this.skipUntilSync = false;
        this.dropPortal('');
        this.out.readyForQuery(this.session!.transactionStatus);
        await this.flushOut();
        return;
      case 'Flush':
        await this.flushOut();
        return;
      case 'Terminate':
        this.close();
        return;
      case 'CopyData':
      case 'CopyDone':
      case 'CopyFail':
        // Stray copy messages outside COPY are ignored, as Postgres does.
        return;
      case 'FunctionCall':
        this.sendError(new DuckMeshError(SqlState.featureNotSupported, 'the function call protocol is not supported'));
        this.out.readyForQuery(this.session!.transactionStatus);
        return;
      default:
        throw new DuckMeshError(SqlState.protocolViolation, `unexpected message ${msg.type}`, { severity: 'FATAL' });
    }
  }

  // ------------------------------------------------------------------ startup & auth

  private async handleStartup(msg: FrontendMessage): Promise<void> {
    switch (msg.type) {
      case 'SSLRequest':
        if (this.tls) throw new DuckMeshError(SqlState.protocolViolation, 'SSL request received on an encrypted connection', { severity: 'FATAL' });
        // Bytes sent before our answer cannot be part of the TLS handshake: a client (or an
        // attacker in the middle) injecting plaintext there is refused, as Postgres does.
        if (this.parser.bufferedBytes > 0) {
          throw new DuckMeshError(SqlState.protocolViolation, 'received unencrypted data after SSL request', { severity: 'FATAL' });
        }
        if (this.host.upgradeTls) {
          this.socket.write('S');
          this.socket.removeAllListeners('data');
          this.socket = this.host.upgradeTls(this.socket);
          this.tls = true;
          this.attach(this.socket);
        } else {
          this.socket.write('N');
        }
        return;
      case 'GSSENCRequest':
        this.socket.write('N');
        return;
      case 'CancelRequest':
        this.host.cancel(msg.processId, msg.secretKey);
        this.close();
        return;
      case 'Startup': {
        if (msg.protocolMajor !== 3) {
          throw new DuckMeshError(SqlState.protocolViolation, `unsupported frontend protocol ${msg.protocolMajor}.${msg.protocolMinor}`, {
            severity: 'FATAL',
          });
        }
        this.parser.startupDone();
        this.startupParams = msg.params;
        const user = msg.params['user'];
        if (!user) throw new DuckMeshError(SqlState.invalidAuthorization, 'no PostgreSQL user name specified in startup packet', { severity: 'FATAL' });
        const database = msg.params['database'] || user;
        this.phase = 'auth';
        const remote = this.socket.remoteAddress ?? '';
        await this.host.authenticator.start(
          { user, database, remoteAddress: remote, tls: this.tls },
          this.out,
          (step) => (this.authStep = step),
          async () => this.authenticated(user, database),
        );
        await this.flushOut();
        return;
      }
      default:
        throw new DuckMeshError(SqlState.protocolViolation, `unexpected message ${msg.type} during startup`, { severity: 'FATAL' });
    }
  }

  private async authenticated(user: string, database: string): Promise<void> {
    this.authStep = null;
    const session = await this.host.openSession(database, user);
    this.session = session;
    session.report = (name, value) => this.out.parameterStatus(name, value);
    const p = this.startupParams;
    const options: Record<string, string> = {};
    for (const [k, v] of Object.entries(p)) {
      if (k === 'user' || k === 'database' || k === 'replication') continue;
      if (k === 'options') Object.assign(options, parseStartupOptions(v));
      else options[k] = v;
    }
    for (const [k, v] of Object.entries(options)) {
      try {
        session.settings.set(k, v);
      } catch (err) {
        // Postgres rejects unknown startup settings with FATAL; a bad value too.
        throw new DuckMeshError((err as DuckMeshError).sqlstate ?? SqlState.undefinedObject, (err as Error).message, { severity: 'FATAL' });
      }
    }
    this.out.authenticationOk();
    for (const [name, value] of session.settings.reportedSettings()) this.out.parameterStatus(name, value);
    this.cancelKey = this.host.registerCancelKey(this);
    this.out.backendKeyData(this.cancelKey.processId, this.cancelKey.secretKey);
    this.out.readyForQuery('I');
    this.phase = 'ready';
  }

  // ------------------------------------------------------------------ simple query

  private async simpleQuery(sql: string): Promise<void> {
    const session = this.session!;
    try {
      const fast = session.fastInsert(sql);
      if (fast) {
        await this.sendResult(await session.execute(null, sql, [], fast), [], true);
      } else {
        const parts = session.parse(sql);
        if (parts.length === 0) this.out.emptyQueryResponse();
        for (const part of parts) {
          const result = await session.execute(part.parsed, part.text);
          await this.sendResult(result, [], true);
        }
      }
    } catch (err) {
      this.sendError(err);
    }
    this.out.readyForQuery(session.transactionStatus);
    await this.flushOut();
  }

  // ------------------------------------------------------------------ extended query

  private async extended(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.sendError(err);
      this.skipUntilSync = true;
    }
  }

  private async parse(name: string, sql: string, paramTypes: number[]): Promise<void> {
    if (name !== '' && this.statement(name)) {
      throw new DuckMeshError(SqlState.duplicatePreparedStatement, `prepared statement "${name}" already exists`);
    }
    const prepared = await this.session!.prepare(sql, paramTypes);
    if (name === '') {
      this.dropStatement('');
      this.unnamed = prepared;
    } else this.session!.sqlPrepared.add(name, prepared);
    this.out.parseComplete();
  }

  private bind(msg: Extract<FrontendMessage, { type: 'Bind' }>): void {
    const prepared = this.statement(msg.statement);
    if (!prepared) throw new DuckMeshError(SqlState.invalidSqlStatementName, `prepared statement "${msg.statement}" does not exist`);
    if (msg.portal !== '' && this.portals.has(msg.portal)) {
      throw new DuckMeshError(SqlState.invalidCursorName, `portal "${msg.portal}" already exists`);
    }
    const expected = prepared.paramOids.length;
    if (msg.params.length !== expected) {
      throw new DuckMeshError(
        SqlState.protocolViolation,
        `bind message supplies ${msg.params.length} parameters, but prepared statement "${msg.statement}" requires ${expected}`,
      );
    }
    const params = msg.params.map((buf, i) => {
      if (buf === null) return null;
      const format = (msg.paramFormats.length === 1 ? msg.paramFormats[0] : msg.paramFormats[i] ?? 0) as 0 | 1;
      return bindValue(prepared.stmt, prepared.paramOids[i] ?? 0, format, buf);
    });
    this.dropPortal(msg.portal);
    this.portals.set(msg.portal, { prepared, params, resultFormats: msg.resultFormats, running: null, done: false });
    this.out.bindComplete();
  }

  private describe(kind: 'S' | 'P', name: string): void {
    if (kind === 'S') {
      const p = this.statement(name);
      if (!p) throw new DuckMeshError(SqlState.invalidSqlStatementName, `prepared statement "${name}" does not exist`);
      this.out.parameterDescription(p.paramOids);
      if (p.fields) this.out.rowDescription(new RowEncoder(p.fields, []).description);
      else this.out.noData();
      return;
    }
    const portal = this.portals.get(name);
    if (!portal) {
      // psycopg describes a DECLAREd cursor as a portal: SQL cursors share the portal namespace.
      const cursorFields = this.session!.cursors.fieldsOf(name);
      if (!cursorFields) throw new DuckMeshError(SqlState.invalidCursorName, `portal "${name}" does not exist`);
      this.out.rowDescription(new RowEncoder(cursorFields, []).description);
      return;
    }
    const fields = portal.prepared.fields;
    if (fields) this.out.rowDescription(new RowEncoder(fields, portal.resultFormats).description);
    else this.out.noData();
  }

  private async execute(name: string, maxRows: number): Promise<void> {
    const portal = this.portals.get(name);
    if (!portal) throw new DuckMeshError(SqlState.invalidCursorName, `portal "${name}" does not exist`);
    if (portal.done) {
      // Re-executing a completed portal yields no more rows.
      this.out.commandComplete(portal.prepared.stmt?.kind === 'select' ? 'SELECT 0' : 'SELECT 0');
      return;
    }
    if (!portal.prepared.stmt) {
      this.out.emptyQueryResponse();
      portal.done = true;
      return;
    }
    if (!portal.running) {
      const result = await this.session!.executePrepared(portal.prepared, portal.params);
      if (result.kind !== 'rows') {
        await this.sendResult(result, portal.resultFormats, false);
        portal.done = true;
        return;
      }
      portal.running = { ...rowsState(result.source, new RowEncoder(result.fields, portal.resultFormats)), tag: result.tag };
    }
    // The tag counts the rows of this Execute, as Postgres does for a resumed portal.
    portal.running.sent = 0;
    const suspended = await this.streamRows(portal.running, maxRows);
    if (suspended) {
      this.out.portalSuspended();
      return;
    }
    this.out.commandComplete(completionTag(portal.running.tag, portal.running.sent));
    portal.running.source.close();
    portal.done = true;
  }

  // ------------------------------------------------------------------ results

  private async sendResult(result: ExecResult, resultFormats: number[], describe: boolean): Promise<void> {
    switch (result.kind) {
      case 'empty':
        this.out.emptyQueryResponse();
        return;
      case 'command':
        this.out.commandComplete(result.tag);
        return;
      case 'copyIn':
        return this.copyIn(result.sink);
      case 'copyOut':
        return this.copyOut(result.source);
    }
    const state = rowsState(result.source, new RowEncoder(result.fields, result.formats ?? resultFormats));
    try {
      if (describe) this.out.rowDescription(state.encoder.description);
      await this.streamRows(state, 0);
    } finally {
      result.source.close();
    }
    this.out.commandComplete(completionTag(result.tag, state.sent));
  }

  /** Streams rows until done (false) or until `maxRows` were sent (true = suspended). */
  private async streamRows(state: RowsState, maxRows: number): Promise<boolean> {
    let budget = maxRows > 0 ? maxRows : Infinity;
    for (;;) {
      if (!state.pending && !(await this.nextBatch(state))) return false;
      const pending = state.pending!;
      const to = Math.min(state.end, state.offset + (budget === Infinity ? state.end : budget));
      const n =
        pending.kind === 'chunk'
          ? state.encoder.writeChunk(this.out, pending.chunk, state.offset, to)
          : state.encoder.writeStatic(this.out, pending.rows, state.offset, to);
      state.offset = to;
      state.sent += n;
      budget -= n;
      if (state.offset >= state.end) state.pending = null;
      if (this.out.length >= FLUSH_BYTES) await this.flushOut();
      // Like Postgres, a spent row budget suspends the portal without looking ahead: the
      // next Execute then completes with zero rows.
      if (budget <= 0) return true;
    }
  }

  private async nextBatch(state: RowsState): Promise<boolean> {
    const batch = await state.source.next();
    state.pending = batch;
    if (!batch) return false;
    state.offset = batch.kind === 'chunk' ? (batch.from ?? 0) : 0;
    state.end = batch.kind === 'chunk' ? (batch.to ?? batch.chunk.rowCount) : batch.rows.length;
    if (state.offset >= state.end) state.pending = null;
    return true;
  }

  // ------------------------------------------------------------------ COPY

  /**
   * COPY FROM STDIN: reads CopyData/CopyDone/CopyFail straight from the parser (the message pump
   * is busy awaiting this statement). A bad row ends the COPY with an error at once; the client's
   * remaining CopyData is then ignored by the main loop, as Postgres does.
   */
  private async copyIn(sink: CopyInSink): Promise<void> {
    this.out.copyInResponse(sink.format, new Array<number>(sink.columnCount).fill(sink.format));
    await this.flushOut();
    this.copyCanceled = false;
    try {
      for (;;) {
        const msg = await this.nextMessage();
        if (!msg) throw new DuckMeshError(SqlState.connectionFailure, 'connection lost during COPY FROM STDIN');
        switch (msg.type) {
          case 'CopyData':
            sink.write(msg.data);
            break;
          case 'CopyDone':
            this.out.commandComplete(await sink.finish());
            return;
          case 'CopyFail':
            throw new DuckMeshError(SqlState.queryCanceled, `COPY from stdin failed: ${msg.message}`);
          case 'Flush':
          case 'Sync':
            // Allowed and ignored during COPY IN (libpq may send them).
            break;
          case 'Terminate':
            this.close();
            throw new DuckMeshError(SqlState.connectionFailure, 'connection closed during COPY FROM STDIN');
          default:
            throw new DuckMeshError(SqlState.protocolViolation, `unexpected message type ${msg.type} during COPY from stdin`);
        }
      }
    } catch (err) {
      sink.abort();
      throw err;
    }
  }

  /** Waits for the next complete frontend message; null once the connection is gone. */
  private async nextMessage(): Promise<FrontendMessage | null> {
    for (;;) {
      if (this.phase === 'closed') return null;
      if (this.copyCanceled) throw new DuckMeshError(SqlState.queryCanceled, 'canceling statement due to user request');
      const msg = this.parser.next();
      if (msg) return msg;
      if (this.socket.isPaused()) this.socket.resume();
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
  }

  private wake(): void {
    const w = this.wakeReader;
    this.wakeReader = null;
    w?.();
  }

  private async copyOut(source: CopyOutSource): Promise<void> {
    try {
      this.out.copyOutResponse(source.format, new Array<number>(source.columnCount).fill(source.format));
      for (;;) {
        const rows = await source.next();
        if (!rows) break;
        for (const r of rows) this.out.copyData(r);
        if (this.out.length >= FLUSH_BYTES) await this.flushOut();
      }
      this.out.copyDone();
      this.out.commandComplete(`COPY ${source.rows}`);
    } finally {
      source.close();
    }
  }

  private sendError(err: unknown): void {
    if (!(err instanceof DuckMeshError)) this.log.error({ err }, 'internal error while serving a statement');
    const fields = errorFieldsFrom(err);
    if (fields.severity === 'FATAL') throw err;
    // CONTEXT (e.g. the COPY line of a bad value) travels in the `where` field.
    const where = (err as { where?: unknown } | null)?.where;
    if (typeof where === 'string') fields.where = where;
    this.out.errorResponse(fields);
  }

  // ------------------------------------------------------------------ plumbing

  private async flushOut(): Promise<void> {
    if (this.out.length === 0 || this.phase === 'closed') return;
    const buf = this.out.flush();
    if (!this.socket.write(buf)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.on('drain', done);
        this.socket.on('close', done);
      });
    }
  }

  private fatal(err: unknown): void {
    if (this.phase === 'closed') return;
    const fields = errorFieldsFrom(err);
    fields.severity = 'FATAL';
    try {
      this.out.errorResponse(fields);
      this.socket.write(this.out.flush());
    } catch {
      // Socket already gone.
    }
    this.log.info({ code: fields.code, message: fields.message }, 'closing connection after fatal error');
    this.close();
  }

  private statement(name: string): PreparedQuery | undefined {
    return name === '' ? (this.unnamed ?? undefined) : this.session!.sqlPrepared.lookup(name);
  }

  private dropStatement(name: string): void {
    if (name !== '') {
      this.session!.sqlPrepared.remove(name);
      return;
    }
    const p = this.unnamed;
    if (!p) return;
    p.duck?.prepared.destroySync();
    p.duck = null;
    this.unnamed = null;
  }

  private dropPortal(name: string): void {
    const p = this.portals.get(name);
    if (!p) return;
    p.running?.source.close();
    this.portals.delete(name);
  }

  /** CancelRequest for this connection (also ends a COPY FROM STDIN in progress: nothing is written). */
  cancelRunning(): void {
    this.session?.interrupt('user');
    this.copyCanceled = true;
    this.wake();
  }

  close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.socket.end();
    void this.cleanup();
  }

  private cleaned = false;
  private async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    this.phase = 'closed';
    this.host.unregister(this);
    for (const name of [...this.portals.keys()]) this.dropPortal(name);
    // Named statements go with the session (Session.close).
    this.dropStatement('');
    await this.session?.close();
  }
}

function rowsState(source: RowSource, encoder: RowEncoder): RowsState {
  return { source, encoder, pending: null, offset: 0, end: 0, sent: 0 };
}

/** SHOW's tag carries no row count in Postgres; SELECT/FETCH/EXECUTE-of-SELECT do. */
function completionTag(tag: string, rows: number): string {
  return tag === 'SHOW' ? 'SHOW' : `${tag} ${rows}`;
}
