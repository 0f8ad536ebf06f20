import { DuckMeshError, SqlState } from '../common/errors.js';

/**
 * Visibility tokens are opaque to clients but simple inside: a version tag and the bus sequence,
 * fixed-width hex so that string order equals sequence order ("a later token covers every
 * earlier one" holds for plain string comparison too).
 */
const PREFIX = 'dm1.';
const WIDTH = 16;

export function encodeToken(seq: number): string {
  return PREFIX + seq.toString(16).padStart(WIDTH, '0');
}

export function decodeToken(token: string): number {
  const t = token.trim();
  if (!t.startsWith(PREFIX) || t.length !== PREFIX.length + WIDTH || !/^[0-9a-f]+$/.test(t.slice(PREFIX.length))) {
    throw new DuckMeshError(SqlState.invalidVisibilityToken, `invalid visibility token: "${token}"`, {
      hint: 'Use a token returned by DuckMesh (SHOW duckmesh.last_visibility_token).',
    });
  }
  const seq = Number.parseInt(t.slice(PREFIX.length), 16);
  if (!Number.isSafeInteger(seq)) {
    throw new DuckMeshError(SqlState.invalidVisibilityToken, `invalid visibility token: "${token}"`);
  }
  return seq;
}
