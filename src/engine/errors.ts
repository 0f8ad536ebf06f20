import { DuckMeshError, SqlState } from '../common/errors.js';

/**
 * Maps DuckDB's error messages ("Catalog Error: …", "Binder Error: …") to Postgres SQLSTATEs and
 * Postgres-like wording, so clients can branch on codes as they would against Postgres.
 */
export function mapDuckDbError(err: unknown, cancelReason?: 'user' | 'timeout' | null): DuckMeshError {
  if (err instanceof DuckMeshError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  // node-api prefixes some errors ("Failed to extract statements: Parser Error: …").
  const msg = raw.split('\n')[0]!.trim().replace(/^Failed to [a-z ]+: /, '');
  if (/^INTERRUPT Error/i.test(msg) || /Interrupted/.test(msg)) {
    return new DuckMeshError(
      SqlState.queryCanceled,
      cancelReason === 'timeout' ? 'canceling statement due to statement timeout' : 'canceling statement due to user request',
    );
  }
  const m = /^([A-Za-z ]+?) Error: (.*)$/s.exec(msg);
  const kind = m?.[1] ?? '';
  const text = (m?.[2] ?? msg).trim();
  const position = extractPosition(raw);
  const mk = (code: string, message: string) => new DuckMeshError(code, message, { position, cause: err });

  let t: RegExpExecArray | null;
  switch (kind) {
    case 'Catalog':
      if ((t = /^Table with name (\S+?) does not exist/.exec(text))) return mk(SqlState.undefinedTable, `relation "${t[1]}" does not exist`);
      if ((t = /^(?:Scalar |Aggregate |Table )?Function with name (\S+?) does not exist/.exec(text)))
        return mk(SqlState.undefinedFunction, `function ${t[1]} does not exist`);
      if ((t = /^Schema with name (\S+?) does not exist/.exec(text))) return mk(SqlState.invalidSchemaName, `schema "${t[1]}" does not exist`);
      if (/^Type with name/.test(text)) return mk(SqlState.undefinedObject, text);
      return mk(SqlState.undefinedObject, text);
    case 'Binder':
      if ((t = /Referenced column "?([^"\s]+)"? not found/.exec(text))) return mk(SqlState.undefinedColumn, `column "${t[1]}" does not exist`);
      if (/No function matches/.test(text)) return mk(SqlState.undefinedFunction, text);
      if (/must appear in the GROUP BY clause/.test(text)) return mk('42803', text);
      if (/Cannot compare|cannot be cast|Cannot mix/.test(text)) return mk(SqlState.datatypeMismatch, text);
      return mk('42000', text);
    case 'Parser':
      return mk(SqlState.syntaxError, text);
    case 'Conversion':
      return mk(SqlState.invalidTextRepresentation, text);
    case 'Out of Range':
      return mk(SqlState.numericValueOutOfRange, text);
    case 'Permission':
      return mk(SqlState.insufficientPrivilege, text);
    case 'Out of Memory':
      return mk(SqlState.outOfMemory, text);
    case 'Invalid Input':
      if (/Division by zero/i.test(text)) return mk('22012', 'division by zero');
      // Raised by the compat layer's ::regclass / role lookups, with Postgres' wording.
      if (/^relation ".*" does not exist$/.test(text)) return mk(SqlState.undefinedTable, text);
      if (/^(role|type|schema|function) ".*" does not exist$/.test(text)) return mk(SqlState.undefinedObject, text);
      return mk('22023', text);
    case 'Not implemented':
      return mk(SqlState.featureNotSupported, text);
    case 'IO':
      return mk(SqlState.ioError, text);
    case 'Constraint':
      return mk('23000', text);
    default:
      return mk(SqlState.internalError, msg);
  }
}

function extractPosition(raw: string): number | undefined {
  // DuckDB renders "LINE 1: …" with a caret line; we do not map it back to offsets reliably.
  void raw;
  return undefined;
}
