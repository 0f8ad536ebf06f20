import { DuckMeshError, SqlState } from '../common/errors.js';

/** An error with an HTTP status; the body always carries a SQLSTATE-style code too. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly headers: Record<string, string> = {},
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Maps DuckMesh errors onto HTTP statuses: bad input 400, auth 401/403, limits 413/429, timeouts 504. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof DuckMeshError) {
    const code = err.sqlstate;
    let status = 400;
    if (code === SqlState.idempotencyKeyConflict) status = 422;
    else if (code === SqlState.visibilityTimeout || code === SqlState.queryCanceled) status = 504;
    else if (code === SqlState.insufficientPrivilege) status = 403;
    else if (code === SqlState.programLimitExceeded) status = 413;
    else if (code === SqlState.busUnavailable || code === 'DM006') status = 503;
    else if (code.startsWith('XX') || code.startsWith('58') || code.startsWith('53')) status = 500;
    const extra: Record<string, unknown> = {};
    if (err.detail) extra['detail'] = err.detail;
    if (err.hint) extra['hint'] = err.hint;
    return new HttpError(status, err.message, code, {}, extra);
  }
  return new HttpError(500, 'internal error', SqlState.internalError);
}
