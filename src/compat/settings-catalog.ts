/**
 * Metadata for pg_settings / pg_show_all_settings(): which settings exist and how Postgres
 * describes them. Values are not stored here: the rewriter asks the session for each one (so
 * pg_settings agrees with SHOW and current_setting) and falls back to `boot` for settings the
 * session does not track. The lead can extend PG_SETTINGS_CATALOG; order is display order.
 */

export interface SettingInfo {
  /** As Postgres spells it in pg_settings (mixed case for DateStyle, IntervalStyle, TimeZone). */
  name: string;
  boot: string;
  unit: string | null;
  category: string;
  shortDesc: string;
  context: 'internal' | 'postmaster' | 'sighup' | 'superuser' | 'user' | 'backend' | 'superuser-backend';
  vartype: 'bool' | 'enum' | 'integer' | 'real' | 'string';
  enumvals?: string[];
  min?: string;
  max?: string;
}

const LOCALE = 'Client Connection Defaults / Locale and Formatting';
const STATEMENT = 'Client Connection Defaults / Statement Behavior';
const PRESET = 'Preset Options';

function s(
  name: string, boot: string, vartype: SettingInfo['vartype'], context: SettingInfo['context'], category: string,
  shortDesc: string, extra: Partial<SettingInfo> = {},
): SettingInfo {
  return { name, boot, unit: null, category, shortDesc, context, vartype, ...extra };
}

export const PG_SETTINGS_CATALOG: SettingInfo[] = [
  s('application_name', '', 'string', 'user', 'Reporting and Logging / What to Log', 'Sets the application name to be reported in statistics and logs.'),
  s('block_size', '8192', 'integer', 'internal', PRESET, 'Shows the size of a disk block.', { min: '8192', max: '8192' }),
  s('bytea_output', 'hex', 'enum', 'user', STATEMENT, 'Sets the output format for bytea.', { enumvals: ['escape', 'hex'] }),
  s('client_encoding', 'UTF8', 'string', 'user', LOCALE, "Sets the client's character set encoding."),
  s('client_min_messages', 'notice', 'enum', 'user', 'Client Connection Defaults / Statement Behavior', 'Sets the message levels that are sent to the client.', {
    enumvals: ['debug5', 'debug4', 'debug3', 'debug2', 'debug1', 'log', 'notice', 'warning', 'error'],
  }),
  s('DateStyle', 'ISO, MDY', 'string', 'user', LOCALE, 'Sets the display format for date and time values.'),
  s('default_tablespace', '', 'string', 'user', STATEMENT, 'Sets the default tablespace to create tables and indexes in.'),
  s('default_text_search_config', 'pg_catalog.simple', 'string', 'user', LOCALE, 'Sets default text search configuration.'),
  s('default_transaction_isolation', 'read committed', 'enum', 'user', STATEMENT, 'Sets the transaction isolation level of each new transaction.', {
    enumvals: ['serializable', 'repeatable read', 'read committed', 'read uncommitted'],
  }),
  s('default_transaction_read_only', 'off', 'bool', 'user', STATEMENT, 'Sets the default read-only status of new transactions.'),
  s('extra_float_digits', '1', 'integer', 'user', LOCALE, 'Sets the number of digits displayed for floating-point values.', { min: '-15', max: '3' }),
  s('idle_in_transaction_session_timeout', '0', 'integer', 'user', STATEMENT, 'Sets the maximum allowed idle time between queries, when in a transaction.', { unit: 'ms', min: '0', max: '2147483647' }),
  s('integer_datetimes', 'on', 'bool', 'internal', PRESET, 'Shows whether datetimes are integer based.'),
  s('IntervalStyle', 'postgres', 'enum', 'user', LOCALE, 'Sets the display format for interval values.', {
    enumvals: ['postgres', 'postgres_verbose', 'sql_standard', 'iso_8601'],
  }),
  s('is_superuser', 'off', 'bool', 'internal', PRESET, 'Shows whether the current user is a superuser.'),
  s('jit', 'off', 'bool', 'user', 'Query Tuning / Other Planner Options', 'Allow JIT compilation.'),
  s('lc_collate', 'C', 'string', 'internal', PRESET, 'Shows the collation order locale.'),
  s('lc_ctype', 'C', 'string', 'internal', PRESET, 'Shows the character classification and case conversion locale.'),
  s('lc_messages', 'C', 'string', 'superuser', LOCALE, 'Sets the language in which messages are displayed.'),
  s('lc_monetary', 'C', 'string', 'user', LOCALE, 'Sets the locale for formatting monetary amounts.'),
  s('lc_numeric', 'C', 'string', 'user', LOCALE, 'Sets the locale for formatting numbers.'),
  s('lc_time', 'C', 'string', 'user', LOCALE, 'Sets the locale for formatting date and time values.'),
  s('lock_timeout', '0', 'integer', 'user', STATEMENT, 'Sets the maximum allowed duration of any wait for a lock.', { unit: 'ms', min: '0', max: '2147483647' }),
  s('max_connections', '100', 'integer', 'postmaster', 'Connections and Authentication / Connection Settings', 'Sets the maximum number of concurrent connections.', { min: '1', max: '262143' }),
  s('max_identifier_length', '63', 'integer', 'internal', PRESET, 'Shows the maximum identifier length.', { min: '63', max: '63' }),
  s('max_index_keys', '32', 'integer', 'internal', PRESET, 'Shows the maximum number of index keys.', { min: '32', max: '32' }),
  s('port', '5432', 'integer', 'postmaster', 'Connections and Authentication / Connection Settings', 'Sets the TCP port the server listens on.', { min: '1', max: '65535' }),
  s('row_security', 'on', 'bool', 'user', STATEMENT, 'Enable row security.'),
  s('search_path', '"$user", public', 'string', 'user', STATEMENT, 'Sets the schema search order for names that are not schema-qualified.'),
  s('server_encoding', 'UTF8', 'string', 'internal', PRESET, 'Shows the server (database) character set encoding.'),
  s('server_version', '16.4', 'string', 'internal', PRESET, 'Shows the server version.'),
  s('server_version_num', '160004', 'integer', 'internal', PRESET, 'Shows the server version as an integer.', { min: '160004', max: '160004' }),
  s('ssl', 'off', 'bool', 'sighup', 'Connections and Authentication / SSL', 'Enables SSL connections.'),
  s('standard_conforming_strings', 'on', 'bool', 'user', 'Version and Platform Compatibility / Previous PostgreSQL Versions', "Causes '...' strings to treat backslashes literally."),
  s('statement_timeout', '0', 'integer', 'user', STATEMENT, 'Sets the maximum allowed duration of any statement.', { unit: 'ms', min: '0', max: '2147483647' }),
  s('synchronous_commit', 'on', 'enum', 'user', 'Write-Ahead Log / Settings', "Sets the current transaction's synchronization level.", {
    enumvals: ['local', 'remote_write', 'remote_apply', 'on', 'off'],
  }),
  s('TimeZone', 'UTC', 'string', 'user', LOCALE, 'Sets the time zone for displaying and interpreting time stamps.'),
  s('timezone_abbreviations', 'Default', 'string', 'user', LOCALE, 'Selects a file of time zone abbreviations.'),
  s('transaction_isolation', 'read committed', 'enum', 'user', STATEMENT, "Sets the current transaction's isolation level.", {
    enumvals: ['serializable', 'repeatable read', 'read committed', 'read uncommitted'],
  }),
  s('transaction_read_only', 'off', 'bool', 'user', STATEMENT, "Sets the current transaction's read-only status."),
  s('work_mem', '4096', 'integer', 'user', 'Resource Usage / Memory', 'Sets the maximum memory to be used for query workspaces.', { unit: 'kB', min: '64', max: '2147483647' }),
];
