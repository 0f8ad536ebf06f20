import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { DuckMeshError, SqlState } from '../../common/errors.js';
import type { ExecResult, RowSource, StaticRows, ChunkRows } from '../../session/results.js';
import type { PreparedQuery, Session } from '../../session/session.js';
import { decodeParam } from '../../types/params.js';
import { BackendWriter, errorFieldsFrom } from '../codec/backend.js';
import { FrontendParser, parseStartupOptions, type FrontendMessage } from '../codec/frontend.js';
import type { Authenticator } from './auth.js';
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
  upgradeTls: ((socket: Socket) => Promise<Socket>) | null;
}

interface Portal {
  prepared: PreparedQuery;
  params: (string | null)[];
  resultFormats: number[];
  /** Present once execution started (for suspension across Execute messages). */
  running: { source: RowSource; encoder: RowEncoder; pending: StaticRows | ChunkRows | null; offset: number; sent: number } | null;
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
  private readonly statements = new Map<string, PreparedQuery>();
  private readonly portals = new Map<string, Portal>();
  private authStep: ((msg: FrontendMessage) => Promise<void>) | null = null;
  private startupParams: Record<string, string> = {};
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
      void this.pump();
    });
    socket.on('error', (err) => this.log.debug({ err }, 'client socket error'));
    socket.on('close', () => void this.cleanup());
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
        if (this.host.upgradeTls) {
          this.socket.write('S');
          this.socket.removeAllListeners('data');
          this.socket = await this.host.upgradeTls(this.socket);
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
          { user, database, remoteAddress: remote },
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
      const parts = session.parse(sql);
      if (parts.length === 0) this.out.emptyQueryResponse();
      for (const part of parts) {
        const result = await session.execute(part.parsed, part.text);
        await this.sendResult(result, [], 0, null, true);
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
    if (name !== '' && this.statements.has(name)) {
      throw new DuckMeshError(SqlState.duplicatePreparedStatement, `prepared statement "${name}" already exists`);
    }
    const prepared = await this.session!.prepare(sql, paramTypes);
    if (name === '') this.dropStatement('');
    this.statements.set(name, prepared);
    this.out.parseComplete();
  }

  private bind(msg: Extract<FrontendMessage, { type: 'Bind' }>): void {
    const prepared = this.statements.get(msg.statement);
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
      return decodeParam(prepared.paramOids[i] ?? 0, format, buf);
    });
    this.dropPortal(msg.portal);
    this.portals.set(msg.portal, { prepared, params, resultFormats: msg.resultFormats, running: null, done: false });
    this.out.bindComplete();
  }

  private describe(kind: 'S' | 'P', name: string): void {
    if (kind === 'S') {
      const p = this.statements.get(name);
      if (!p) throw new DuckMeshError(SqlState.invalidSqlStatementName, `prepared statement "${name}" does not exist`);
      this.out.parameterDescription(p.paramOids);
      if (p.fields) this.out.rowDescription(new RowEncoder(p.fields, []).description);
      else this.out.noData();
      return;
    }
    const portal = this.portals.get(name);
    if (!portal) throw new DuckMeshError(SqlState.invalidCursorName, `portal "${name}" does not exist`);
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
        await this.sendResult(result, portal.resultFormats, 0, null, false);
        portal.done = true;
        return;
      }
      portal.running = {
        source: result.source,
        encoder: new RowEncoder(result.fields, portal.resultFormats),
        pending: null,
        offset: 0,
        sent: 0,
      };
    }
    const suspended = await this.streamRows(portal.running, maxRows);
    if (suspended) {
      this.out.portalSuspended();
      return;
    }
    this.out.commandComplete(`SELECT ${portal.running.sent}`);
    portal.running.source.close();
    portal.done = true;
  }

  // ------------------------------------------------------------------ results

  private async sendResult(
    result: ExecResult,
    resultFormats: number[],
    maxRows: number,
    _portal: Portal | null,
    describe: boolean,
  ): Promise<void> {
    if (result.kind === 'empty') {
      this.out.emptyQueryResponse();
      return;
    }
    if (result.kind === 'command') {
      this.out.commandComplete(result.tag);
      return;
    }
    const state = { source: result.source, encoder: new RowEncoder(result.fields, resultFormats), pending: null, offset: 0, sent: 0 };
    try {
      if (describe) this.out.rowDescription(state.encoder.description);
      await this.streamRows(state, maxRows);
    } finally {
      result.source.close();
    }
    this.out.commandComplete(`${result.tag === 'SHOW' ? 'SHOW' : 'SELECT'} ${state.sent}`);
  }

  /** Streams rows until done (false) or until `maxRows` were sent (true = suspended). */
  private async streamRows(
    state: { source: RowSource; encoder: RowEncoder; pending: StaticRows | ChunkRows | null; offset: number; sent: number },
    maxRows: number,
  ): Promise<boolean> {
    let budget = maxRows > 0 ? maxRows : Infinity;
    for (;;) {
      if (!state.pending) {
        state.pending = await state.source.next();
        state.offset = 0;
        if (!state.pending) return false;
      }
      const total = state.pending.kind === 'chunk' ? state.pending.chunk.rowCount : state.pending.rows.length;
      const to = Math.min(total, state.offset + (budget === Infinity ? total : budget));
      const n =
        state.pending.kind === 'chunk'
          ? state.encoder.writeChunk(this.out, state.pending.chunk, state.offset, to)
          : state.encoder.writeStatic(this.out, state.pending.rows, state.offset, to);
      state.offset = to;
      state.sent += n;
      budget -= n;
      if (state.offset >= total) state.pending = null;
      if (this.out.length >= FLUSH_BYTES) await this.flushOut();
      if (budget <= 0) return state.pending !== null || (await this.peekMore(state));
    }
  }

  /** After an exact row budget, find out whether more rows exist (to pick PortalSuspended vs done). */
  private async peekMore(state: { source: RowSource; pending: StaticRows | ChunkRows | null; offset: number }): Promise<boolean> {
    if (state.pending) return true;
    state.pending = await state.source.next();
    state.offset = 0;
    return state.pending !== null;
  }

  private sendError(err: unknown): void {
    if (!(err instanceof DuckMeshError)) this.log.error({ err }, 'internal error while serving a statement');
    const fields = errorFieldsFrom(err);
    if (fields.severity === 'FATAL') throw err;
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

  private dropStatement(name: string): void {
    const p = this.statements.get(name);
    if (!p) return;
    p.duck?.prepared.destroySync();
    this.statements.delete(name);
  }

  private dropPortal(name: string): void {
    const p = this.portals.get(name);
    if (!p) return;
    p.running?.source.close();
    this.portals.delete(name);
  }

  /** CancelRequest for this connection. */
  cancelRunning(): void {
    this.session?.interrupt('user');
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
    for (const name of [...this.statements.keys()]) this.dropStatement(name);
    await this.session?.close();
  }
}
