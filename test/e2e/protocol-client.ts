/**
 * A minimal raw protocol client for the protocol tests: frames are sent with pg-protocol's
 * serializer (node-postgres' own) and read back as raw frames, so tests see exactly what the
 * server sent (binary fields, CopyData boundaries, PortalSuspended...).
 */
import net from 'node:net';
import { serialize } from 'pg-protocol';
import { dataRowFields, errorFields, type RawFrame } from '../wire/helpers.js';

export { serialize, dataRowFields, errorFields };
export type { RawFrame };

export class RawClient {
  private buf = Buffer.alloc(0);
  private frames: RawFrame[] = [];
  private waiter: (() => void) | null = null;
  closed = false;
  readonly params = new Map<string, string>();
  private backendKey: { processId: number; secretKey: number } | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 5) {
        const len = this.buf.readInt32BE(1);
        if (this.buf.length < 1 + len) break;
        const frame = { type: String.fromCharCode(this.buf[0]!), body: Buffer.from(this.buf.subarray(5, 1 + len)) };
        if (frame.type === 'K') this.backendKey = { processId: frame.body.readInt32BE(0), secretKey: frame.body.readInt32BE(4) };
        if (frame.type === 'S') {
          const [k, v] = frame.body.toString('utf8').split('\0');
          this.params.set(k!, v!);
        }
        this.frames.push(frame);
        this.buf = this.buf.subarray(1 + len);
      }
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, params: Record<string, string> = {}): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new RawClient(socket);
    c.send(serialize.startup({ user: 'tester', database: 'duckmesh', ...params }));
    await c.until('Z');
    return c;
  }

  private notify(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** BackendKeyData of this connection, for CancelRequest. */
  backendKeyData(): { processId: number; secretKey: number } {
    if (!this.backendKey) throw new Error('no BackendKeyData received');
    return this.backendKey;
  }

  send(...bufs: Buffer[]): void {
    this.socket.write(Buffer.concat(bufs));
  }

  /** Frames up to and including the first of type `type`. */
  async until(type: string, timeoutMs = 20_000): Promise<RawFrame[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => f.type === type);
      if (i >= 0) return this.frames.splice(0, i + 1);
      if (this.closed) throw new Error(`connection closed while waiting for '${type}'; got ${this.frames.map((f) => f.type).join('')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for '${type}'; got ${this.frames.map((f) => f.type).join('')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Simple query → frames up to ReadyForQuery. */
  async query(sql: string): Promise<RawFrame[]> {
    this.send(serialize.query(sql));
    return this.until('Z');
  }

  /** Simple query expected to succeed: text rows (null for NULL). */
  async rows(sql: string): Promise<(string | null)[][]> {
    const frames = await this.query(sql);
    const err = frames.find((f) => f.type === 'E');
    if (err) throw new Error(`query failed: ${JSON.stringify(errorFields(err.body))}`);
    return frames.filter((f) => f.type === 'D').map((f) => dataRowFields(f.body).map((b) => (b === null ? null : b.toString('utf8'))));
  }

  end(): void {
    if (!this.closed) this.socket.end(serialize.end());
  }
}

export function tagOf(frames: RawFrame[]): string[] {
  return frames.filter((f) => f.type === 'C').map((f) => f.body.toString('utf8').replace(/\0$/, ''));
}

export function errorOf(frames: RawFrame[]): Record<string, string> | null {
  const e = frames.find((f) => f.type === 'E');
  return e ? errorFields(e.body) : null;
}
