/**
 * A user-facing error carrying a PostgreSQL SQLSTATE. Every layer throws this (or a subclass)
 * for anything a client should see; the wire layer turns it into an ErrorResponse.
 */
export class DuckMeshError extends Error {
  readonly sqlstate: string;
  readonly detail?: string;
  readonly hint?: string;
  /** 1-based character position in the statement text, as Postgres reports it. */
  readonly position?: number;
  readonly severity: 'ERROR' | 'FATAL';

  constructor(
    sqlstate: string,
    message: string,
    extra: { detail?: string; hint?: string; position?: number; severity?: 'ERROR' | 'FATAL'; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'DuckMeshError';
    this.sqlstate = sqlstate;
    this.detail = extra.detail;
    this.hint = extra.hint;
    this.position = extra.position;
    this.severity = extra.severity ?? 'ERROR';
  }
}

/** SQLSTATE codes used across DuckMesh. Postgres codes where one fits; DuckMesh's own in class "DM". */
export const SqlState = {
  successfulCompletion: '00000',
  featureNotSupported: '0A000',
  invalidTextRepresentation: '22P02',
  numericValueOutOfRange: '22003',
  invalidDatetimeFormat: '22007',
  datetimeFieldOverflow: '22008',
  stringDataRightTruncation: '22001',
  notNullViolation: '23502',
  uniqueViolation: '23505',
  syntaxError: '42601',
  undefinedColumn: '42703',
  undefinedTable: '42P01',
  undefinedObject: '42704',
  undefinedFunction: '42883',
  duplicateTable: '42P07',
  duplicateColumn: '42701',
  datatypeMismatch: '42804',
  invalidSchemaName: '3F000',
  insufficientPrivilege: '42501',
  invalidParameterValue: '22023',
  undefinedParameter: '42704',
  cantChangeRuntimeParam: '55P02',
  tooManyColumns: '54011',
  programLimitExceeded: '54000',
  protocolViolation: '08P01',
  invalidAuthorization: '28000',
  invalidPassword: '28P01',
  invalidCatalogName: '3D000',
  queryCanceled: '57014',
  adminShutdown: '57P01',
  inFailedTransaction: '25P02',
  activeSqlTransaction: '25001',
  noActiveSqlTransaction: '25P01',
  readOnlySqlTransaction: '25006',
  invalidCursorName: '34000',
  invalidSqlStatementName: '26000',
  duplicatePreparedStatement: '42P05',
  internalError: 'XX000',
  ioError: '58030',
  diskFull: '53100',
  outOfMemory: '53200',
  connectionFailure: '08006',
  /** DuckMesh: the requested visibility token did not become visible within the timeout. */
  visibilityTimeout: 'DM001',
  /** DuckMesh: the visibility token is malformed or from the future of this cluster. */
  invalidVisibilityToken: 'DM002',
  /** DuckMesh: the snapshot requested for time travel is expired or does not exist yet. */
  snapshotUnavailable: 'DM003',
  /** DuckMesh: an idempotency key was reused with a different payload. */
  idempotencyKeyConflict: 'DM004',
  /** DuckMesh: the ingest bus is unavailable. */
  busUnavailable: 'DM005',
  /** DuckMesh: the catalog (its database) is unavailable; nothing was changed by the failed call. */
  catalogUnavailable: 'DM006',
  /**
   * DuckMesh: a snapshot publication was fenced off because the publisher no longer holds the
   * commit-worker lease (it expired, or another process took it over with a newer epoch).
   */
  staleLeader: 'DM007',
  /**
   * DuckMesh: the connection to the bus or catalog was lost after the write was sent: it may or may
   * not have been applied. Retry only with the same idempotency key.
   */
  writeOutcomeUnknown: 'DM008',
} as const;
