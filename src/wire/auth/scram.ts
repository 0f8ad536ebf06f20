/**
 * Server side of SCRAM-SHA-256 (RFC 5802 / RFC 7677) as Postgres speaks it inside
 * AuthenticationSASL messages:
 *  - The username in the SCRAM message is ignored (the startup packet's user counts); libpq
 *    sends an empty one, node-postgres sends "*".
 *  - No authorization identity (a=...), no mandatory extensions (m=...).
 *  - Channel binding: gs2 flags "n" and "y" are accepted. "p=tls-server-end-point" works when the
 *    session is given the binding data (hash of the server's TLS certificate); then the server
 *    also advertises SCRAM-SHA-256-PLUS, and "y" is refused as a downgrade attempt.
 *  - Unknown user (verifier null): the exchange runs against a fake verifier whose salt is derived
 *    from the user name, and fails only at the end, so probes cannot tell whether a user exists.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { DuckMeshError, SqlState } from '../../common/errors.js';
import { saslprep } from './saslprep.js';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';
export const SCRAM_DEFAULT_ITERATIONS = 4096;
/** Postgres' SCRAM_DEFAULT_SALT_LEN. */
const SALT_BYTES = 16;
/** Postgres' SCRAM_RAW_NONCE_LEN. */
const NONCE_BYTES = 18;
const KEY_BYTES = 32;

export interface ScramVerifier {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

export interface ScramSessionOptions {
  /**
   * tls-server-end-point channel-binding data: the hash of the server certificate (RFC 5929).
   * Pass it only on TLS connections; it enables SCRAM-SHA-256-PLUS.
   */
  channelBinding?: Buffer;
  /** For unknown users: the login name, so the fake salt is stable across attempts. */
  username?: string;
  /**
   * Secret mixed into fake salts. Defaults to a per-process random value; pass a persisted
   * cluster secret so fake salts also survive restarts (as Postgres' mock_auth_nonce does).
   */
  mockSecret?: Buffer;
  /** Iteration count to announce for unknown users; should match what real verifiers use. */
  mockIterations?: number;
  /**
   * Server half of the nonce. Only for replaying published test vectors: in production it must be
   * left unset so it is random per exchange (a predictable nonce enables replay attacks).
   */
  serverNonce?: string;
}

export interface ScramFinalResult {
  ok: boolean;
  /** server-final-message ("v=<ServerSignature>") to send in AuthenticationSASLFinal when ok. */
  serverFinal?: Buffer;
}

const PROCESS_MOCK_SECRET = randomBytes(32);

/** Mechanism list for AuthenticationSASL, preferred first. */
export function scramMechanisms(channelBindingAvailable: boolean): string[] {
  return channelBindingAvailable ? [SCRAM_SHA_256_PLUS, SCRAM_SHA_256] : [SCRAM_SHA_256];
}

export function createScramVerifier(
  password: string,
  iterations = SCRAM_DEFAULT_ITERATIONS,
  salt: Buffer = randomBytes(SALT_BYTES),
): ScramVerifier {
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`invalid SCRAM iteration count ${iterations}`);
  const salted = saltedPassword(password, salt, iterations);
  return {
    iterations,
    salt: Buffer.from(salt),
    storedKey: sha256(hmac(salted, 'Client Key')),
    serverKey: hmac(salted, 'Server Key'),
  };
}

/** Postgres' pg_authid.rolpassword form: SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>. */
export function formatVerifier(v: ScramVerifier): string {
  return `SCRAM-SHA-256$${v.iterations}:${v.salt.toString('base64')}$${v.storedKey.toString('base64')}:${v.serverKey.toString('base64')}`;
}

/** Parses the rolpassword form; null if the string is not a well-formed SCRAM-SHA-256 verifier. */
export function parseVerifier(s: string): ScramVerifier | null {
  const m = /^SCRAM-SHA-256\$([0-9]{1,10}):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(s);
  if (!m) return null;
  const iterations = Number(m[1]);
  const salt = strictBase64(m[2]!);
  const storedKey = strictBase64(m[3]!);
  const serverKey = strictBase64(m[4]!);
  if (iterations < 1 || iterations > 0x7fffffff || !salt || salt.length === 0) return null;
  if (!storedKey || storedKey.length !== KEY_BYTES || !serverKey || serverKey.length !== KEY_BYTES) return null;
  return { iterations, salt, storedKey, serverKey };
}

export function isScramVerifier(s: string): boolean {
  return parseVerifier(s) !== null;
}

/** Cleartext password against a stored verifier (for password auth with SCRAM-stored secrets). */
export function verifyScramPlainPassword(v: ScramVerifier, password: string): boolean {
  const serverKey = hmac(saltedPassword(password, v.salt, v.iterations), 'Server Key');
  return timingSafeEqual(serverKey, v.serverKey);
}

type State = 'initial' | 'first-done' | 'finished';

/** One SCRAM exchange on one connection: client-first → server-first → client-final → server-final. */
export class ScramServerSession {
  private readonly verifier: ScramVerifier;
  private readonly mock: boolean;
  private readonly channelBinding: Buffer | undefined;
  private state: State = 'initial';
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private readonly fixedServerNonce: string | undefined;

  constructor(verifier: ScramVerifier | null, opts: ScramSessionOptions = {}) {
    this.channelBinding = opts.channelBinding;
    this.fixedServerNonce = opts.serverNonce;
    if (verifier) {
      this.verifier = verifier;
      this.mock = false;
    } else {
      // Same shape as a real verifier; the salt is stable per user name so repeated probes
      // look like an existing account. The keys are random: no proof can match them.
      const secret = opts.mockSecret ?? PROCESS_MOCK_SECRET;
      const salt = createHmac('sha256', secret).update(opts.username ?? '').digest().subarray(0, SALT_BYTES);
      this.verifier = {
        iterations: opts.mockIterations ?? SCRAM_DEFAULT_ITERATIONS,
        salt,
        storedKey: randomBytes(KEY_BYTES),
        serverKey: randomBytes(KEY_BYTES),
      };
      this.mock = true;
    }
  }

  /** Handles the SASLInitialResponse payload; returns the server-first-message for SASLContinue. */
  handleClientFirst(initial: Buffer, mechanism: string = SCRAM_SHA_256): Buffer {
    if (this.state !== 'initial') throw fail(SqlState.protocolViolation, 'SCRAM client-first-message received out of order');
    this.state = 'finished'; // any exception below ends the exchange
    if (mechanism !== SCRAM_SHA_256 && !(mechanism === SCRAM_SHA_256_PLUS && this.channelBinding)) {
      throw fail(SqlState.protocolViolation, 'client selected an invalid SASL authentication mechanism');
    }
    const msg = asciiMessage(initial);
    let i = 0;
    // gs2-cbind-flag
    const flag = msg[i];
    if (flag === 'n' || flag === 'y') {
      if (msg[i + 1] !== ',') throw malformed(`Comma expected, but found character "${msg[i + 1] ?? ''}".`);
      if (mechanism === SCRAM_SHA_256_PLUS) {
        throw malformed('The client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel binding data.');
      }
      if (flag === 'y' && this.channelBinding) {
        throw fail(SqlState.protocolViolation, 'SCRAM channel binding negotiation error', {
          detail: 'The client supports SCRAM channel binding but thinks the server does not. However, this server does support channel binding.',
        });
      }
      i += 2;
    } else if (flag === 'p') {
      if (msg[i + 1] !== '=') throw malformed('Expected "=" after channel-binding flag "p".');
      const comma = msg.indexOf(',', i);
      if (comma < 0) throw malformed('Unexpected end of input.');
      const cbName = msg.slice(i + 2, comma);
      if (mechanism !== SCRAM_SHA_256_PLUS) {
        throw malformed('The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.');
      }
      if (cbName !== 'tls-server-end-point') {
        throw fail(SqlState.protocolViolation, `unsupported SCRAM channel-binding type "${cbName}"`);
      }
      i = comma + 1;
    } else {
      throw malformed(`Unexpected channel-binding flag "${flag ?? ''}".`);
    }
    // authzid
    if (msg[i] === 'a') throw fail(SqlState.featureNotSupported, 'client uses authorization identity, but it is not supported');
    if (msg[i] !== ',') throw malformed(`Unexpected attribute "${msg[i] ?? ''}" in client-first-message.`);
    i++;
    this.gs2Header = msg.slice(0, i);
    this.clientFirstBare = msg.slice(i);

    const attrs = this.clientFirstBare.split(',');
    if (attrs[0]?.startsWith('m=')) throw fail(SqlState.featureNotSupported, 'client requires an unsupported SCRAM extension');
    if (!attrs[0]?.startsWith('n=')) throw malformed('Expected attribute "n".');
    if (!attrs[1]?.startsWith('r=')) throw malformed('Expected attribute "r".');
    const clientNonce = attrs[1].slice(2);
    if (clientNonce.length === 0 || !/^[\x21-\x2b\x2d-\x7e]+$/.test(clientNonce)) {
      throw malformed('Invalid characters in client nonce.');
    }
    for (const ext of attrs.slice(2)) {
      if (!/^[A-Za-z]=/.test(ext)) throw malformed('Malformed extension attribute.');
    }

    this.nonce = clientNonce + (this.fixedServerNonce ?? randomBytes(NONCE_BYTES).toString('base64'));
    const v = this.verifier;
    this.serverFirst = `r=${this.nonce},s=${v.salt.toString('base64')},i=${v.iterations}`;
    this.state = 'first-done';
    return Buffer.from(this.serverFirst, 'ascii');
  }

  /** Handles the SASLResponse payload. ok=false means "password authentication failed" (28P01). */
  handleClientFinal(message: Buffer): ScramFinalResult {
    if (this.state !== 'first-done') throw fail(SqlState.protocolViolation, 'SCRAM client-final-message received out of order');
    this.state = 'finished';
    const msg = asciiMessage(message);
    const proofAt = msg.lastIndexOf(',p=');
    if (!msg.startsWith('c=') || proofAt < 0) throw malformed('Expected attributes "c", "r" and "p".');
    const withoutProof = msg.slice(0, proofAt);
    const attrs = withoutProof.split(',');

    // Channel binding: the client echoes its gs2 header (plus binding data for "p").
    const cb = strictBase64(attrs[0]!.slice(2));
    let expected = Buffer.from(this.gs2Header, 'ascii');
    if (this.gs2Header.startsWith('p=')) expected = Buffer.concat([expected, this.channelBinding ?? Buffer.alloc(0)]);
    if (!cb || !cb.equals(expected)) {
      throw fail(SqlState.protocolViolation, 'SCRAM channel binding check failed');
    }
    if (!attrs[1]?.startsWith('r=')) throw malformed('Expected attribute "r".');
    if (attrs[1].slice(2) !== this.nonce) {
      throw fail(SqlState.protocolViolation, 'invalid SCRAM response', { detail: 'Nonce does not match.' });
    }
    for (const ext of attrs.slice(2)) {
      if (!/^[A-Za-z]=/.test(ext)) throw malformed('Malformed extension attribute.');
    }
    const proofText = msg.slice(proofAt + 3);
    const proof = strictBase64(proofText);
    if (!proof || proof.length !== KEY_BYTES) throw malformed('Malformed proof in client-final-message.');

    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const v = this.verifier;
    // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); valid iff H(ClientKey) = StoredKey.
    const clientSignature = hmac(v.storedKey, authMessage);
    for (let k = 0; k < KEY_BYTES; k++) clientSignature[k] ^= proof[k]!;
    const ok = timingSafeEqual(sha256(clientSignature), v.storedKey) && !this.mock;
    if (!ok) return { ok: false };
    const serverSignature = hmac(v.serverKey, authMessage);
    return { ok: true, serverFinal: Buffer.from(`v=${serverSignature.toString('base64')}`, 'ascii') };
  }
}

function saltedPassword(password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(saslprep(password), 'utf8'), salt, iterations, KEY_BYTES, 'sha256');
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Base64 that round-trips exactly (Node's decoder silently skips junk). */
function strictBase64(s: string): Buffer | null {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  return Buffer.from(s, 'base64');
}

/** SCRAM messages are printable ASCII apart from the (ignored) UTF-8 user name. */
function asciiMessage(data: Buffer): string {
  if (data.length === 0) throw malformed('The message is empty.');
  if (data.includes(0)) throw malformed('The message contains a NUL byte.');
  return data.toString('utf8');
}

function malformed(detail: string): DuckMeshError {
  return fail(SqlState.protocolViolation, 'malformed SCRAM message', { detail });
}

/** Authentication happens before the session exists: every failure ends the connection. */
function fail(sqlstate: string, message: string, extra: { detail?: string } = {}): DuckMeshError {
  return new DuckMeshError(sqlstate, message, { ...extra, severity: 'FATAL' });
}
