/**
 * A token bucket per tenant for the HTTP ingest endpoint: `rowsPerSecond` sustained with a burst
 * of one second's worth. Over the limit the caller answers 429 with Retry-After.
 */
export class TenantRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly rowsPerSecond: number) {}

  /** Takes `rows` tokens; returns 0 when allowed, else the seconds to wait before retrying. */
  take(tenant: string, rows: number): number {
    if (this.rowsPerSecond <= 0) return 0;
    const now = Date.now();
    let b = this.buckets.get(tenant);
    if (!b) {
      b = { tokens: this.rowsPerSecond, at: now };
      this.buckets.set(tenant, b);
    }
    b.tokens = Math.min(this.rowsPerSecond, b.tokens + ((now - b.at) / 1000) * this.rowsPerSecond);
    b.at = now;
    if (rows <= b.tokens) {
      b.tokens -= rows;
      return 0;
    }
    return Math.max(1, Math.ceil((rows - b.tokens) / this.rowsPerSecond));
  }
}
