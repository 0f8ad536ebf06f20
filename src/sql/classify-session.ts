/**
 * Session and protocol-level statements: SET/RESET/SHOW, transaction control, SQL-level
 * PREPARE/EXECUTE/DEALLOCATE, DISCARD and LISTEN/NOTIFY. Drivers send these on every connect,
 * so their shapes follow what Postgres itself would record (e.g. GUC value flattening).
 */
import { constText, deparseNode, typeRefOf, unsupported } from './ast.js';
import { decodeCell } from './cells.js';
import { commandTag } from './command-tag.js';
import type {
  AstNode,
  DeallocateStatement,
  DiscardStatement,
  ExecuteStatement,
  ListenStatement,
  ParsedStatement,
  PrepareStatement,
  SetTransactionStatement,
  ShowStatement,
  Statement,
  TransactionStatement,
  TypeRef,
} from './statements.js';
import { codeTokens, findTopLevel, matchingParen } from './tokens.js';

/** GUCs whose list elements Postgres re-quotes as identifiers when flattening (GUC_LIST_QUOTE). */
const LIST_QUOTE_GUCS = new Set([
  'search_path',
  'temp_tablespaces',
  'session_preload_libraries',
  'local_preload_libraries',
  'shared_preload_libraries',
]);

export function classifyVariableSet(p: ParsedStatement, s: AstNode): Statement {
  const name = typeof s.name === 'string' ? s.name.toLowerCase() : '';
  const local = s.is_local === true;
  switch (s.kind) {
    case 'VAR_SET_VALUE':
      return { kind: 'set', name, value: flattenSetArgs(name, s.args ?? []), local };
    case 'VAR_SET_DEFAULT':
      return { kind: 'set', name, value: null, local };
    case 'VAR_RESET':
      return { kind: 'reset', name };
    case 'VAR_RESET_ALL':
      return { kind: 'reset', name: 'all' };
    case 'VAR_SET_MULTI':
      return setTransaction(p, s);
    default:
      // VAR_SET_CURRENT (SET x FROM CURRENT) only makes sense inside function definitions.
      return { kind: 'unsupported', tag: commandTag({ VariableSetStmt: s }) };
  }
}

/** Postgres' flatten_set_variable_args: numbers as written, strings unquoted, joined by ', '. */
function flattenSetArgs(name: string, args: AstNode[]): string {
  const quote = LIST_QUOTE_GUCS.has(name);
  const parts = args.map((a: AstNode) => {
    const c = a.A_Const;
    if (c) {
      const v = constText(c) ?? '';
      return quote && c.sval ? quoteIdentifier(v) : v;
    }
    // SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE: keep the literal; the session layer parses it.
    const castArg = a.TypeCast?.arg?.A_Const;
    if (castArg) return constText(castArg) ?? '';
    return deparseNode(a);
  });
  return parts.join(', ');
}

/** quote_identifier(): leave plain lowercase non-reserved identifiers bare, double-quote the rest. */
function quoteIdentifier(ident: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(ident) && !isNonUnreservedKeyword(ident)) return ident;
  return '"' + ident.replace(/"/g, '""') + '"';
}

function isNonUnreservedKeyword(ident: string): boolean {
  try {
    const t = codeTokens(ident);
    return t.length === 1 && t[0]!.keywordKind > 1;
  } catch {
    return false;
  }
}

function setTransaction(p: ParsedStatement, s: AstNode): SetTransactionStatement {
  return { kind: 'setTransaction', text: p.text, session: s.name === 'SESSION CHARACTERISTICS', ...transactionOptions(s.args) };
}

/** transaction_isolation / transaction_read_only / transaction_deferrable DefElems. */
function transactionOptions(options: AstNode[] | undefined): { isolation?: string; readOnly?: boolean; deferrable?: boolean } {
  const out: { isolation?: string; readOnly?: boolean; deferrable?: boolean } = {};
  for (const o of options ?? []) {
    const d = o.DefElem;
    if (!d) continue;
    const v = d.arg?.A_Const ? constText(d.arg.A_Const) : null;
    if (d.defname === 'transaction_isolation' && v !== null) out.isolation = v.toLowerCase();
    else if (d.defname === 'transaction_read_only') out.readOnly = v === '1' || v === 'true';
    else if (d.defname === 'transaction_deferrable') out.deferrable = v === '1' || v === 'true';
  }
  return out;
}

export function classifyShow(s: AstNode): ShowStatement {
  return { kind: 'show', name: String(s.name ?? '').toLowerCase() };
}

const TRANSACTION_ACTIONS: Record<string, TransactionStatement['action']> = {
  TRANS_STMT_BEGIN: 'begin',
  TRANS_STMT_START: 'begin',
  TRANS_STMT_COMMIT: 'commit',
  TRANS_STMT_ROLLBACK: 'rollback',
  TRANS_STMT_SAVEPOINT: 'savepoint',
  TRANS_STMT_RELEASE: 'release',
  TRANS_STMT_ROLLBACK_TO: 'rollbackTo',
};

export function classifyTransaction(s: AstNode): TransactionStatement | Statement {
  const action = TRANSACTION_ACTIONS[s.kind];
  // Two-phase commit (PREPARE TRANSACTION, COMMIT PREPARED, ...) has no meaning for an ingest bus.
  if (!action) return { kind: 'unsupported', tag: commandTag({ TransactionStmt: s }) };
  const out: TransactionStatement = { kind: 'transaction', action, ...transactionOptions(s.options) };
  if (s.savepoint_name) out.name = s.savepoint_name;
  if (s.chain) out.chain = true;
  return out;
}

export function classifyPrepare(p: ParsedStatement, s: AstNode): PrepareStatement {
  const paramTypes: TypeRef[] = (s.argtypes ?? []).map((t: AstNode) => {
    const ref = typeRefOf(t.TypeName);
    if (!ref) throw unsupported('PREPARE parameter types must be plain type names');
    return ref;
  });
  return { kind: 'prepare', name: s.name, paramTypes, statement: innerStatement(p, s.query) };
}

/** The text after PREPARE name [(types)] AS, located with the scanner (deparsed if that fails). */
function innerStatement(p: ParsedStatement, query: AstNode): ParsedStatement {
  try {
    const tokens = codeTokens(p.text);
    let i = 2; // PREPARE <name>
    if (tokens[i]?.text === '(') i = matchingParen(tokens, i) + 1;
    const as = findTopLevel(tokens, 'as', i);
    if (as === i && tokens[as + 1]) {
      const start = tokens[as + 1]!.start;
      return { ast: query, text: p.text.slice(start), location: p.location + start, source: p.source };
    }
  } catch {
    // fall through to deparse
  }
  return { ast: query, text: deparseNode(query), location: p.location, source: p.source };
}

export function classifyExecute(s: AstNode): ExecuteStatement {
  return { kind: 'execute', name: s.name, params: (s.params ?? []).map(decodeCell) };
}

export function classifyDeallocate(s: AstNode): DeallocateStatement {
  return { kind: 'deallocate', name: s.isall ? null : (s.name ?? null) };
}

const DISCARD_TARGETS: Record<string, DiscardStatement['target']> = {
  DISCARD_ALL: 'all',
  DISCARD_PLANS: 'plans',
  DISCARD_SEQUENCES: 'sequences',
  DISCARD_TEMP: 'temp',
};

export function classifyDiscard(s: AstNode): DiscardStatement {
  return { kind: 'discard', target: DISCARD_TARGETS[s.target] ?? 'all' };
}

export function classifyListen(type: string, s: AstNode): ListenStatement {
  switch (type) {
    case 'ListenStmt':
      return { kind: 'listen', channel: s.conditionname };
    case 'UnlistenStmt':
      return { kind: 'unlisten', channel: s.conditionname ?? null };
    default:
      return { kind: 'notify', channel: s.conditionname, payload: s.payload ?? null };
  }
}
