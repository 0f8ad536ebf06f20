/**
 * Postgres' legacy md5 password scheme and cleartext-password checks.
 *
 * Stored form: "md5" + hex(md5(password || user)). The client answers AuthenticationMD5Password
 * with "md5" + hex(md5(hex(md5(password || user)) || salt)), so the server only needs the stored
 * hash (or the plaintext, from which it computes the hash).
 */
import { createHash } from 'node:crypto';
import { safeEqual } from './safe-equal.js';
import { parseVerifier, verifyScramPlainPassword } from './scram.js';

export function md5PasswordHash(user: string, password: string): string {
  return 'md5' + createHash('md5').update(password, 'utf8').update(user, 'utf8').digest('hex');
}

export function isMd5Hash(s: string): boolean {
  return /^md5[0-9a-f]{32}$/.test(s);
}

/**
 * Checks the client's answer to AuthenticationMD5Password (4-byte salt).
 * `storedHashOrPassword` is an "md5..." hash or a plaintext password. A SCRAM verifier cannot
 * answer an md5 challenge (the md5 hash is not derivable from it), so that returns false — as in
 * Postgres, offer SCRAM to such users instead.
 */
export function verifyMd5Response(storedHashOrPassword: string, user: string, salt: Buffer, response: string): boolean {
  if (salt.length !== 4) throw new RangeError(`MD5 salt must be 4 bytes, got ${salt.length}`);
  if (parseVerifier(storedHashOrPassword)) return false;
  const hash = isMd5Hash(storedHashOrPassword) ? storedHashOrPassword : md5PasswordHash(user, storedHashOrPassword);
  const expected = 'md5' + createHash('md5').update(hash.slice(3), 'ascii').update(salt).digest('hex');
  return safeEqual(expected, response);
}

/**
 * Checks a password received in cleartext (AuthenticationCleartextPassword) against whatever is
 * stored: a SCRAM verifier, an md5 hash, or a plaintext password. All comparisons are constant-time.
 */
export function verifyCleartextPassword(stored: string, user: string, password: string): boolean {
  const scram = parseVerifier(stored);
  if (scram) return verifyScramPlainPassword(scram, password);
  if (isMd5Hash(stored)) return safeEqual(md5PasswordHash(user, password), stored);
  return safeEqual(stored, password);
}
