import { expect, it } from 'vitest';
import { GroupCommitter } from '../../src/bus/group-commit.js';
import type { BusEntry, BusRecord, IngestBus } from '../../src/bus/types.js';

export interface BusUnderTest {
  bus: IngestBus;
  /** Opens the bus again on the same storage, after `bus` was closed (a restart). */
  reopen: () => Promise<IngestBus>;
  /**
   * Opens another instance on the same storage while `bus` stays open, with its own connections —
   * what a second DuckMesh process sees. Absent for backends owned by one process (embedded).
   */
  second?: () => Promise<IngestBus>;
}

/**
 * The IngestBus contract (DESIGN §4). Every backend runs these cases; `reopen` closes the bus and
 * opens it again on the same storage (restart).
 */
export function busContract(make: () => Promise<BusUnderTest>): void {
  const rec = (i: number): BusRecord => ({ tenant: 't', kind: 'rows', payload: JSON.stringify({ i }) });

  it('assigns contiguous, strictly increasing sequences in append order', async () => {
    const { bus } = await make();
    const a = await bus.append([rec(1), rec(2), rec(3)]);
    const b = await bus.append([rec(4)]);
    expect(b).toBe(a + 3);
    expect(await bus.head()).toBe(b);
    const all = await bus.read(0, { maxEntries: 100, maxBytes: 1 << 20 });
    expect(all.map((e) => e.seq)).toEqual([a, a + 1, a + 2, b]);
    expect(all.map((e) => JSON.parse(e.payload).i)).toEqual([1, 2, 3, 4]);
    await bus.close();
  });

  it('reads from any position and honours entry and byte limits', async () => {
    const { bus } = await make();
    const first = await bus.append(Array.from({ length: 50 }, (_, i) => rec(i)));
    const page = await bus.read(first + 9, { maxEntries: 5, maxBytes: 1 << 20 });
    expect(page.map((e) => e.seq)).toEqual([first + 10, first + 11, first + 12, first + 13, first + 14]);
    const small = await bus.read(first - 1, { maxEntries: 100, maxBytes: 1 });
    expect(small.length).toBe(1);
    expect(await bus.read(first + 49, { maxEntries: 10, maxBytes: 1 << 20 })).toEqual([]);
    await bus.close();
  });

  it('resumes after a restart without reusing sequences', async () => {
    const { bus, reopen } = await make();
    await bus.append([rec(1), rec(2)]);
    const head = await bus.head();
    await bus.prune(head);
    await bus.close();
    const again = await reopen();
    expect(await again.head()).toBe(head);
    const next = await again.append([rec(3)]);
    expect(next).toBe(head + 1);
    await again.close();
  });

  it('group commit: concurrent appenders get disjoint contiguous ranges and none is lost', async () => {
    const { bus } = await make();
    const gc = new GroupCommitter(bus, { maxBatchRecords: 64 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => gc.append(Array.from({ length: (i % 3) + 1 }, (_, j) => rec(i * 10 + j))).then((seq) => ({ i, seq, n: (i % 3) + 1 }))),
    );
    const seen = new Set<number>();
    for (const r of results) for (let k = 0; k < r.n; k++) {
      expect(seen.has(r.seq + k)).toBe(false);
      seen.add(r.seq + k);
    }
    const entries = await bus.read(0, { maxEntries: 10_000, maxBytes: 1 << 30 });
    expect(entries.length).toBe(seen.size);
    for (const r of results) {
      const got = entries.filter((e) => e.seq >= r.seq && e.seq < r.seq + r.n).map((e) => JSON.parse(e.payload).i);
      expect(got).toEqual(Array.from({ length: r.n }, (_, j) => r.i * 10 + j));
    }
    await bus.close();
  });

  it('notifies listeners after a durable append', async () => {
    const { bus } = await make();
    const heads: number[] = [];
    const off = bus.onAppend((h) => heads.push(h));
    const s = await bus.append([rec(1), rec(2)]);
    off();
    await bus.append([rec(3)]);
    expect(heads).toEqual([s + 1]);
    await bus.close();
  });

  it('no gap appears later: concurrent appenders in two processes, a reader never misses an entry', async () => {
    const { bus, second } = await make();
    const other = second ? await second() : bus;
    const reader = second ? await second() : bus;
    const instances = [bus, other];
    const acked: { first: number; n: number; w: number; c: number }[] = [];
    const stopAt = Date.now() + 2000;
    const appender = async (w: number) => {
      const inst = instances[w % 2]!;
      for (let c = 0; Date.now() < stopAt; c++) {
        const n = 1 + ((w + c) % 4);
        const first = await inst.append(Array.from({ length: n }, (_, j) => ({ tenant: `t${w}`, kind: 'rows' as const, payload: JSON.stringify({ w, c, j }) })));
        acked.push({ first, n, w, c });
      }
    };
    const seen = new Map<number, BusEntry>();
    let last = 0;
    let appending = true;
    const readOnce = async () => {
      const page = await reader.read(last, { maxEntries: 500, maxBytes: 1 << 24 });
      for (const e of page) {
        // A sequence at or below one already passed would be a gap that filled in behind the reader.
        expect(e.seq).toBeGreaterThan(last);
        expect(seen.has(e.seq)).toBe(false);
        seen.set(e.seq, e);
        last = e.seq;
      }
      return page.length;
    };
    const readLoop = async () => {
      while (appending) {
        if ((await readOnce()) === 0) await new Promise((r) => setTimeout(r, 2));
      }
    };
    const reading = readLoop();
    await Promise.all(Array.from({ length: 8 }, (_, w) => appender(w)));
    appending = false;
    await reading;
    while ((await readOnce()) > 0);

    const expected = new Map<number, string>();
    for (const a of acked) {
      for (let j = 0; j < a.n; j++) {
        expect(expected.has(a.first + j)).toBe(false);
        expected.set(a.first + j, JSON.stringify({ w: a.w, c: a.c, j }));
      }
    }
    expect(acked.length).toBeGreaterThan(8);
    expect([...seen.keys()].sort((x, y) => x - y)).toEqual([...expected.keys()].sort((x, y) => x - y));
    for (const [seq, payload] of expected) expect(seen.get(seq)!.payload).toBe(payload);
    if (second) {
      await other.close();
      await reader.close();
    }
    await bus.close();
  });

  it('stores a 5,000-record append and a ~1 MB record intact', async () => {
    const { bus } = await make();
    const big = Array.from({ length: 5000 }, (_, i) => rec(i));
    const first = await bus.append(big);
    const back: BusEntry[] = [];
    for (let after = first - 1; back.length < 5000; ) {
      const page = await bus.read(after, { maxEntries: 10_000, maxBytes: 1 << 26 });
      expect(page.length).toBeGreaterThan(0);
      back.push(...page);
      after = page[page.length - 1]!.seq;
    }
    expect(back.map((e) => e.seq)).toEqual(big.map((_, i) => first + i));
    expect(back.every((e, i) => JSON.parse(e.payload).i === i && e.tenant === 't')).toBe(true);

    const payload = JSON.stringify({ blob: 'é'.repeat(10) + 'x'.repeat(1_000_000 - 40) });
    const seq = await bus.append([{ tenant: 'big', kind: 'rows', payload }]);
    expect(seq).toBe(first + 5000);
    const [e] = await bus.read(seq - 1, { maxEntries: 10, maxBytes: 1 });
    expect(e!.seq).toBe(seq);
    expect(e!.payload).toBe(payload);
    expect(e!.tenant).toBe('big');
    await bus.close();
  });

  it('another process learns of appends through onAppend within 1 s', async (ctx) => {
    const { bus, second } = await make();
    if (!second) {
      await bus.close();
      ctx.skip();
      return;
    }
    const other = await second();
    const heard = new Promise<number>((resolve) => other.onAppend((h) => resolve(h)));
    const started = Date.now();
    const first = await bus.append([rec(1), rec(2)]);
    const head = await Promise.race([heard, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no onAppend within 1 s')), 1000))]);
    expect(head).toBeGreaterThanOrEqual(first + 1);
    expect(Date.now() - started).toBeLessThan(1000);
    await other.close();
    await bus.close();
  });

  it('reports appendedAt as epoch milliseconds', async () => {
    const { bus } = await make();
    const before = Date.now();
    const s = await bus.append([rec(1)]);
    const [e] = await bus.read(s - 1, { maxEntries: 1, maxBytes: 1 << 20 });
    expect(e!.appendedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(e!.appendedAt).toBeLessThanOrEqual(Date.now() + 1000);
    await bus.close();
  });
}
