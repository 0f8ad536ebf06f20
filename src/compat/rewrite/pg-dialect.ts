/**
 * Postgres functions with no same-named DuckDB equivalent that clients send next to catalog
 * queries (JSON builders, to_char, format, encode): mapped onto DuckDB functions with the same
 * result. Only reached for statements that go through the compat rewrite.
 */
import { SHIM_CATALOG, SHIM_SCHEMA } from '../names.js';
import { aConst, binaryOp, funcCall, textConst as stringConst, typeCast, type AstNode } from './ast.js';

/** Same arguments, DuckDB name. */
const RENAMED: Readonly<Record<string, string>> = {
  json_build_object: 'json_object',
  jsonb_build_object: 'json_object',
  json_build_array: 'json_array',
  jsonb_build_array: 'json_array',
  json_object_agg: 'json_group_object',
  jsonb_object_agg: 'json_group_object',
  json_agg: 'json_group_array',
  jsonb_agg: 'json_group_array',
  jsonb_array_length: 'json_array_length',
  jsonb_pretty: 'json_pretty',
  jsonb_extract_path: 'json_extract',
  jsonb_extract_path_text: 'json_extract_string',
  json_extract_path: 'json_extract',
  json_extract_path_text: 'json_extract_string',
  to_jsonb: 'to_json',
  row_to_json: 'to_json',
};

/** JSON set-returning functions and how their single result column is named in Postgres. */
export const JSON_ELEMENT_FUNCTIONS: Readonly<Record<string, { text: boolean }>> = {
  json_array_elements: { text: false },
  jsonb_array_elements: { text: false },
  json_array_elements_text: { text: true },
  jsonb_array_elements_text: { text: true },
};

export function isDialectFunction(name: string): boolean {
  return name in RENAMED || name in JSON_ELEMENT_FUNCTIONS || DIALECT_SPECIAL.has(name);
}

const DIALECT_SPECIAL = new Set(['to_char', 'format', 'encode', 'decode', 'sha224', 'sha256', 'sha384', 'sha512', 'jsonb_typeof', 'json_typeof']);

/** `unnest(CAST(CAST(x AS json) AS json[]))`: the elements of a JSON array as rows. */
function jsonElements(arg: AstNode, text: boolean): AstNode {
  return funcCall(['unnest'], [typeCast(typeCast(arg, ['json']), [text ? 'varchar' : 'json'], 1)]);
}

/** Postgres to_char template patterns → strftime; longest first so 'HH24' wins over 'HH'. */
const TO_CHAR_PATTERNS: [string, string][] = [
  ['YYYY', '%Y'], ['HH24', '%H'], ['HH12', '%I'], ['Month', '%B'], ['MONTH', '%B'], ['Mon', '%b'], ['MON', '%b'],
  ['Day', '%A'], ['DAY', '%A'], ['Dy', '%a'], ['DY', '%a'], ['YY', '%y'], ['MM', '%m'], ['DD', '%d'], ['HH', '%I'],
  ['MI', '%M'], ['SS', '%S'], ['MS', '%g'], ['US', '%f'], ['AM', '%p'], ['PM', '%p'], ['TZ', '%Z'], ['DDD', '%j'],
];

function toCharFormat(pg: string): string | undefined {
  let out = '';
  for (let i = 0; i < pg.length;) {
    if (pg[i] === '"') {
      const end = pg.indexOf('"', i + 1);
      if (end < 0) return undefined;
      out += pg.slice(i + 1, end).replace(/%/g, '%%');
      i = end + 1;
      continue;
    }
    const hit = TO_CHAR_PATTERNS.find(([p]) => pg.startsWith(p, i));
    if (hit) {
      out += hit[1];
      i += hit[0].length;
    } else {
      out += pg[i] === '%' ? '%%' : pg[i];
      i++;
    }
  }
  return out;
}

/**
 * format(fmt, args…) with a constant format → concatenation: %s (NULL prints as empty),
 * %I (quote_ident), %L (quote_nullable), %% and positional %n$… as in Postgres.
 */
function formatCall(fmt: string, args: AstNode[]): AstNode | undefined {
  const pieces: AstNode[] = [];
  let literal = '';
  let next = 0;
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] !== '%') {
      literal += fmt[i];
      continue;
    }
    const m = /^%(?:(\d+)\$)?([sIL%])/.exec(fmt.slice(i));
    if (m === null) return undefined;
    i += m[0].length - 1;
    if (m[2] === '%') {
      literal += '%';
      continue;
    }
    const index = m[1] !== undefined ? Number(m[1]) - 1 : next;
    next = index + 1;
    const arg = args[index];
    if (arg === undefined) return undefined;
    if (literal !== '') pieces.push(aConst(literal));
    literal = '';
    if (m[2] === 's') pieces.push({ CoalesceExpr: { args: [typeCast(arg, ['varchar']), aConst('')] } });
    else if (m[2] === 'I') pieces.push(funcCall([SHIM_CATALOG, SHIM_SCHEMA, 'quote_ident'], [arg]));
    else pieces.push(funcCall([SHIM_CATALOG, SHIM_SCHEMA, 'quote_nullable'], [arg]));
  }
  if (literal !== '' || pieces.length === 0) pieces.push(aConst(literal));
  return pieces.reduce((acc, p) => binaryOp('||', acc, p));
}

/**
 * The DuckDB expression for Postgres-dialect call `name(args)` (args already rewritten), or
 * undefined when this module does not handle it.
 */
export function dialectCall(name: string, args: AstNode[], rawArgs: AstNode[]): AstNode | undefined {
  const renamed = RENAMED[name];
  if (renamed !== undefined) return funcCall([renamed], args);
  const elements = JSON_ELEMENT_FUNCTIONS[name];
  if (elements !== undefined && args.length === 1) return jsonElements(args[0], elements.text);
  switch (name) {
    case 'jsonb_typeof':
    case 'json_typeof':
      return funcCall(['lower'], [funcCall(['json_type'], args)]);
    case 'to_char': {
      const fmt = stringConst(rawArgs[1]);
      const translated = fmt === undefined ? undefined : toCharFormat(fmt);
      return translated === undefined ? undefined : funcCall(['strftime'], [args[0], aConst(translated)]);
    }
    case 'format': {
      const fmt = stringConst(rawArgs[0]);
      return fmt === undefined ? undefined : formatCall(fmt, args.slice(1));
    }
    case 'encode': {
      const how = stringConst(rawArgs[1])?.toLowerCase();
      if (how === 'hex') return funcCall(['lower'], [funcCall(['hex'], [args[0]])]);
      if (how === 'base64') return funcCall(['base64'], [args[0]]);
      return undefined;
    }
    case 'decode': {
      const how = stringConst(rawArgs[1])?.toLowerCase();
      if (how === 'hex') return funcCall(['unhex'], [args[0]]);
      if (how === 'base64') return funcCall(['from_base64'], [args[0]]);
      return undefined;
    }
    case 'sha256':
      // Postgres returns bytea; DuckDB returns the hex text of the digest.
      return funcCall(['unhex'], [funcCall(['sha256'], args)]);
    default:
      return undefined;
  }
}
