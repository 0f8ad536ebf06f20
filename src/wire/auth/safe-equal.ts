/**
 * Constant-time equality for secrets of possibly different lengths. timingSafeEqual requires
 * equal lengths, and an early length check would leak the length, so both sides are hashed
 * first: equal inputs give equal digests, and SHA-256 collisions are not a practical concern.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function safeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
