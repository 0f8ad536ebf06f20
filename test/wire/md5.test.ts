import { createHash } from 'node:crypto';
// node-postgres' client-side md5 response computation (CommonJS).
import pgCryptoUtils from 'pg/lib/crypto/utils.js';
import { describe, expect, it } from 'vitest';
import { isMd5Hash, md5PasswordHash, verifyCleartextPassword, verifyMd5Response } from '../../src/wire/auth/md5.js';
import { safeEqual } from '../../src/wire/auth/safe-equal.js';
import { createScramVerifier, formatVerifier } from '../../src/wire/auth/scram.js';

const pgUtils = pgCryptoUtils;

describe('md5 password scheme', () => {
  it('stored hash is "md5" + md5(password || user)', () => {
    const h = md5PasswordHash('alice', 'secret');
    expect(h).toBe('md5' + createHash('md5').update('secretalice').digest('hex'));
    expect(h).toHaveLength(35);
    expect(isMd5Hash(h)).toBe(true);
    expect(isMd5Hash('md5xyz')).toBe(false);
    expect(isMd5Hash(h.toUpperCase())).toBe(false);
  });

  it('accepts the response node-postgres computes, from a stored hash or a plaintext', async () => {
    const salt = Buffer.from([0x01, 0xfe, 0x00, 0x7f]);
    const response = await pgUtils.postgresMd5PasswordHash('alice', 'sécret', salt);
    expect(verifyMd5Response(md5PasswordHash('alice', 'sécret'), 'alice', salt, response)).toBe(true);
    expect(verifyMd5Response('sécret', 'alice', salt, response)).toBe(true);
  });

  it('rejects wrong password, wrong user, wrong salt', async () => {
    const salt = Buffer.from([9, 8, 7, 6]);
    const response = await pgUtils.postgresMd5PasswordHash('alice', 'secret', salt);
    const stored = md5PasswordHash('alice', 'secret');
    expect(verifyMd5Response(md5PasswordHash('alice', 'other'), 'alice', salt, response)).toBe(false);
    expect(verifyMd5Response(md5PasswordHash('bob', 'secret'), 'bob', salt, response)).toBe(false);
    expect(verifyMd5Response(stored, 'alice', Buffer.from([9, 8, 7, 5]), response)).toBe(false);
    expect(verifyMd5Response(stored, 'alice', salt, '')).toBe(false);
    expect(verifyMd5Response(stored, 'alice', salt, response + 'x')).toBe(false);
  });

  it('a SCRAM verifier cannot answer an md5 challenge', async () => {
    const salt = Buffer.from([1, 2, 3, 4]);
    const stored = formatVerifier(createScramVerifier('secret'));
    const response = await pgUtils.postgresMd5PasswordHash('alice', 'secret', salt);
    expect(verifyMd5Response(stored, 'alice', salt, response)).toBe(false);
  });

  it('requires a 4-byte salt', () => {
    expect(() => verifyMd5Response('x', 'u', Buffer.alloc(8), 'md5')).toThrow(RangeError);
  });
});

describe('cleartext password checks', () => {
  it('against plaintext, md5 and SCRAM stored secrets', () => {
    const scram = formatVerifier(createScramVerifier('pw1'));
    expect(verifyCleartextPassword('pw1', 'u', 'pw1')).toBe(true);
    expect(verifyCleartextPassword('pw1', 'u', 'pw2')).toBe(false);
    expect(verifyCleartextPassword(md5PasswordHash('u', 'pw1'), 'u', 'pw1')).toBe(true);
    expect(verifyCleartextPassword(md5PasswordHash('u', 'pw1'), 'other', 'pw1')).toBe(false);
    expect(verifyCleartextPassword(scram, 'u', 'pw1')).toBe(true);
    expect(verifyCleartextPassword(scram, 'u', 'pw2')).toBe(false);
    expect(verifyCleartextPassword('', 'u', '')).toBe(true);
    expect(verifyCleartextPassword('abc', 'u', 'abcd')).toBe(false);
  });

  it('safeEqual handles different lengths and byte arrays', () => {
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'ab')).toBe(false);
    expect(safeEqual(Buffer.from([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(safeEqual(Buffer.from([1, 2]), Buffer.from([1, 3]))).toBe(false);
  });
});
