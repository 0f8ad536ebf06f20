/**
 * Entry point of COPY: only STDIN / STDOUT. Server-side files and programs are the host's,
 * which the sandbox never exposes (psql's \copy reads and writes the client's files instead).
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { CopyStatement } from '../sql/statements.js';
import { startCopyIn } from './copy-in.js';
import { copyOptions } from './copy-options.js';
import { startCopyOut } from './copy-out.js';
import type { ExecResult } from './results.js';
import type { Session } from './session.js';

export async function executeCopy(session: Session, stmt: CopyStatement): Promise<ExecResult> {
  const dir = stmt.isFrom ? 'FROM' : 'TO';
  if (stmt.isProgram || stmt.filename !== null) {
    throw new DuckMeshError(
      SqlState.insufficientPrivilege,
      `COPY ${dir} ${stmt.isProgram ? 'a program' : 'a file'} is not allowed: DuckMesh never reads or writes server files`,
      { hint: `Use COPY ... ${stmt.isFrom ? 'FROM STDIN' : 'TO STDOUT'}, or psql's \\copy.` },
    );
  }
  const opts = copyOptions(stmt);
  if (stmt.isFrom) {
    if (!session.ctx.roles.ingest) {
      throw new DuckMeshError(SqlState.readOnlySqlTransaction, 'this DuckMesh node does not accept writes (role "ingest" is not enabled)');
    }
    if (stmt.table === null) throw new DuckMeshError(SqlState.syntaxError, 'COPY FROM needs a table');
    return { kind: 'copyIn', sink: await startCopyIn(session, stmt, opts) };
  }
  if (!session.ctx.roles.query) {
    throw new DuckMeshError(SqlState.featureNotSupported, 'this DuckMesh node does not answer queries (role "query" is not enabled)');
  }
  return { kind: 'copyOut', source: await startCopyOut(session, stmt, opts) };
}
