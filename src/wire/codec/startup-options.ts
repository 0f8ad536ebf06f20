/**
 * The `options` startup parameter (libpq's PGOPTIONS / `options=` in a connection string) is a
 * server command line. Postgres splits it on whitespace with backslash escapes (pg_split_opts)
 * and then runs it through its getopt-based switch parser. We accept only the switches that set
 * configuration parameters — `-c name=value`, `-cname=value`, `--name=value` — because the
 * other postgres switches (-B, -D, ...) mean nothing to DuckMesh.
 */
import { DuckMeshError, SqlState } from '../../common/errors.js';

/** Returns parameter name → value; later settings win, as with repeated `-c`. */
export function parseStartupOptions(options: string): Record<string, string> {
  const args = splitStartupOptions(options);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-c') {
      const next = args[++i];
      if (next === undefined) throw invalidArgument(arg);
      setOption(out, next, '-c ');
    } else if (arg.startsWith('-c')) {
      setOption(out, arg.slice(2), '-c ');
    } else if (arg.startsWith('--') && arg.length > 2) {
      setOption(out, arg.slice(2), '--');
    } else {
      throw invalidArgument(arg);
    }
  }
  return out;
}

/**
 * Whitespace separates arguments; a backslash makes the next character literal (so `\ ` is a
 * space inside a value and `\\` a backslash). A trailing lone backslash is dropped, as in Postgres.
 */
export function splitStartupOptions(options: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = options.length;
  while (i < n) {
    while (i < n && isSpace(options.charCodeAt(i))) i++;
    if (i >= n) break;
    let token = '';
    let escaped = false;
    for (; i < n; i++) {
      const ch = options[i]!;
      if (!escaped && isSpace(ch.charCodeAt(0))) break;
      if (!escaped && ch === '\\') {
        escaped = true;
      } else {
        escaped = false;
        token += ch;
      }
    }
    out.push(token);
  }
  return out;
}

function setOption(out: Record<string, string>, assignment: string, prefix: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) {
    throw new DuckMeshError(SqlState.syntaxError, `${prefix}${assignment} requires a value`, { severity: 'FATAL' });
  }
  // Postgres' ParseLongOption turns dashes in the name into underscores (--work-mem=1MB).
  out[assignment.slice(0, eq).replace(/-/g, '_')] = assignment.slice(eq + 1);
}

function invalidArgument(arg: string): DuckMeshError {
  return new DuckMeshError(SqlState.syntaxError, `invalid command-line argument for server process: ${arg}`, {
    hint: 'Only "-c name=value" and "--name=value" are supported in the options startup parameter.',
    severity: 'FATAL',
  });
}

// C isspace() in the "C" locale: space, \t, \n, \v, \f, \r.
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}
