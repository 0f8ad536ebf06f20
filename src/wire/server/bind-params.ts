/**
 * Bind parameter values in the form their consumer reads. A SELECT binds them into DuckDB as
 * VARCHAR and casts, so it gets DuckDB-castable text (decodeParam). A write hands them to the
 * ingest validators, which take Postgres text input: text-format values pass through as sent,
 * and binary ones are spelled in Postgres' text syntax (bytea `\x…`, arrays `{…}`).
 */
import type { Statement } from '../../sql/statements.js';
import { binaryFieldText } from '../../session/copy-binary.js';
import { decodeParam } from '../../types/params.js';
import { decodeUtf8Strict } from '../codec/utf8.js';

export function bindValue(stmt: Statement | null, oid: number, format: 0 | 1, data: Buffer): string {
  if (!stmt || stmt.kind === 'select') return decodeParam(oid, format, data);
  if (format === 1) return oid === 0 ? decodeParam(0, 1, data) : binaryFieldText(oid, data);
  return decodeUtf8Strict(data, 0, data.length);
}
