import { DuckMeshError, SqlState } from '../common/errors.js';
import type { LeaseFence } from './types.js';

/** The lease row as a backend reads it inside the publishing transaction. */
export interface LeaseRowState {
  holder: string;
  epoch: number;
  /** Whether the grant is unexpired now, by the backend's clock. */
  live: boolean;
}

/**
 * Throws DM007 unless `row` proves that `fence` is the lease's current, unexpired grant. Shared by
 * the backends so that every one rejects the same cases with the same message.
 */
export function checkFence(fence: LeaseFence, row: LeaseRowState | undefined): void {
  let why: string | null = null;
  if (!row) why = 'the lease has never been granted';
  else if (row.epoch !== fence.epoch) why = `the lease is at epoch ${row.epoch} (held by ${JSON.stringify(row.holder)})`;
  else if (row.holder !== fence.holder) why = `the lease is held by ${JSON.stringify(row.holder)}`;
  else if (!row.live) why = 'the lease has expired or was released';
  if (why === null) return;
  throw new DuckMeshError(
    SqlState.staleLeader,
    `snapshot publication rejected: ${JSON.stringify(fence.holder)} is no longer the leader of lease ${JSON.stringify(fence.lease)} at epoch ${fence.epoch}: ${why}`,
    { hint: 'Another process has taken over (or the lease lapsed); this publisher must stop and re-acquire the lease.' },
  );
}

export function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`lease ttlMs must be a positive integer, got ${ttlMs}`);
}
