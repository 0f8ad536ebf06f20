/** Quotes an identifier for DuckDB/Postgres SQL we generate ourselves. */
export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** Quotes a string literal for SQL we generate ourselves (never for user input passthrough). */
export function quoteLiteral(value: string): string {
  return "'" + value.replace(/'/g, "''") + "'";
}
