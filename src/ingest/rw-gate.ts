/**
 * A per-tenant readers/writer gate: writes hold it shared from validation until their bus append
 * returns; DDL holds it exclusively. So a write validated against a table can never land in the
 * bus after that table's DROP (it would otherwise be acknowledged and then silently discarded).
 */
export class RwGate {
  private shared = 0;
  private exclusive = false;
  private readonly queue: { exclusive: boolean; resolve: () => void }[] = [];

  async withShared<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(false);
    try {
      return await fn();
    } finally {
      this.shared--;
      this.drain();
    }
  }

  async withExclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(true);
    try {
      return await fn();
    } finally {
      this.exclusive = false;
      this.drain();
    }
  }

  private acquire(exclusive: boolean): Promise<void> {
    // Writers queue behind a waiting DDL so DDL cannot starve.
    if (this.queue.length === 0 && this.canEnter(exclusive)) {
      this.enter(exclusive);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push({ exclusive, resolve }));
  }

  private canEnter(exclusive: boolean): boolean {
    return exclusive ? !this.exclusive && this.shared === 0 : !this.exclusive;
  }

  private enter(exclusive: boolean): void {
    if (exclusive) this.exclusive = true;
    else this.shared++;
  }

  private drain(): void {
    while (this.queue.length > 0 && this.canEnter(this.queue[0]!.exclusive)) {
      const next = this.queue.shift()!;
      this.enter(next.exclusive);
      next.resolve();
    }
  }
}
