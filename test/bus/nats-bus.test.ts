import { afterAll, expect, it } from 'vitest';
import { connect, headers } from '@nats-io/transport-node';
import { NatsBus } from '../../src/bus/nats/nats-bus.js';
import { DuckMeshError, SqlState } from '../../src/common/errors.js';
import { closedPort, deleteNatsStreams, describeService, freshNatsStream, NATS_URL, natsAvailable } from '../helpers/services.js';
import { busContract } from './contract.js';

const available = await natsAvailable();
const streams: string[] = [];

afterAll(async () => {
  if (available.ok) await deleteNatsStreams(streams);
});

function freshBus(extra: Partial<Parameters<typeof NatsBus.open>[0]> = {}): () => Promise<NatsBus> {
  const { stream, subject } = freshNatsStream();
  streams.push(stream);
  return () => NatsBus.open({ servers: NATS_URL, stream, subject, ...extra });
}

describeService('NATS JetStream bus contract', available, () => {
  busContract(async () => {
    const open = freshBus();
    return { bus: await open(), reopen: open, second: open };
  });

  it('fails fast with DM005 when the server cannot be reached', async () => {
    const port = await closedPort();
    const started = Date.now();
    const err = await NatsBus.open({ servers: `nats://127.0.0.1:${port}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuckMeshError);
    expect((err as DuckMeshError).sqlstate).toBe(SqlState.busUnavailable);
    expect((err as Error).message).toMatch(/NATS ingest bus/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('hides an unfinished append of a dead appender, seals it, and carries on', async () => {
    const { stream, subject } = freshNatsStream();
    streams.push(stream);
    const bus = await NatsBus.open({ servers: NATS_URL, stream, subject, abandonAfterMs: 300 });
    const first = await bus.append([{ tenant: 't', kind: 'rows', payload: '"before"' }]);
    // A process that died after storing 2 of its 3 records (same envelope, same chain).
    const nc = await connect({ servers: NATS_URL });
    for (let i = 0; i < 2; i++) {
      const h = headers();
      h.set('Nats-Msg-Id', `deadgroup.${i}`);
      h.set('Dm-Entry', `deadgroup ${i} 3`);
      h.set('Dm-Tenant', 't');
      h.set('Dm-Kind', 'rows');
      await nc.request(subject, `"dead ${i}"`, { headers: h, timeout: 2000 });
    }
    await nc.close();
    expect(await bus.read(first, { maxEntries: 10, maxBytes: 1 << 20 })).toEqual([]);
    const started = Date.now();
    const next = await bus.append([{ tenant: 't', kind: 'rows', payload: '"after"' }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // first+1, first+2: the dead group; first+3: the abort marker.
    expect(next).toBe(first + 4);
    const all = await bus.read(0, { maxEntries: 10, maxBytes: 1 << 20 });
    expect(all.map((e) => [e.seq, e.payload])).toEqual([
      [first, '"before"'],
      [next, '"after"'],
    ]);
    await bus.close();
  });

  it('shows a page that ends inside a complete group, never one inside an unfinished group', async () => {
    const open = freshBus();
    const bus = await open();
    const first = await bus.append(Array.from({ length: 10 }, (_, i) => ({ tenant: 't', kind: 'rows' as const, payload: String(i) })));
    const page = await bus.read(first - 1, { maxEntries: 4, maxBytes: 1 << 20 });
    expect(page.map((e) => e.payload)).toEqual(['0', '1', '2', '3']);
    const rest = await bus.read(page[3]!.seq, { maxEntries: 100, maxBytes: 1 << 20 });
    expect(rest.map((e) => e.payload)).toEqual(['4', '5', '6', '7', '8', '9']);
    await bus.close();
  });

  it('rejects a record larger than the server allows without storing anything', async () => {
    const open = freshBus();
    const bus = await open();
    const head = await bus.head();
    const err = await bus.append([{ tenant: 't', kind: 'rows', payload: 'x'.repeat(2 << 20) }]).catch((e: unknown) => e);
    expect((err as DuckMeshError).sqlstate).toBe(SqlState.programLimitExceeded);
    expect(await bus.head()).toBe(head);
    await bus.close();
  });
});
