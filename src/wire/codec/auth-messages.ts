/**
 * Decoders for the payload of a 'p' message. The frame alone does not say what it is: depending
 * on the authentication request the server sent, it is a PasswordMessage (cleartext or md5),
 * a SASLInitialResponse or a SASLResponse. The connection's auth state picks the decoder.
 */
import { DuckMeshError, SqlState } from '../../common/errors.js';
import { decodeUtf8Strict } from './utf8.js';

/** PasswordMessage: one C string filling the whole payload (cleartext password or "md5..." hash). */
export function parsePasswordMessage(data: Buffer): string {
  const nul = data.indexOf(0);
  if (nul !== data.length - 1) {
    throw new DuckMeshError(SqlState.protocolViolation, 'invalid password packet size', { severity: 'FATAL' });
  }
  return decodeUtf8Strict(data, 0, nul);
}

/** SASLInitialResponse: mechanism C string, int32 length (-1 = no initial response), bytes. */
export function parseSASLInitialResponse(data: Buffer): { mechanism: string; initial: Buffer } {
  const nul = data.indexOf(0);
  if (nul <= 0 || nul + 5 > data.length) throw malformed('malformed SASLInitialResponse message');
  const mechanism = data.toString('latin1', 0, nul);
  const len = data.readInt32BE(nul + 1);
  const start = nul + 5;
  if (len === -1) {
    if (start !== data.length) throw malformed('invalid message format');
    return { mechanism, initial: Buffer.alloc(0) };
  }
  if (len < 0 || start + len !== data.length) throw malformed('malformed SASLInitialResponse message');
  return { mechanism, initial: data.subarray(start, start + len) };
}

function malformed(message: string): DuckMeshError {
  return new DuckMeshError(SqlState.protocolViolation, message, { severity: 'FATAL' });
}
