/**
 * Scanner-based helpers for cutting sub-statements (PREPARE ... AS <stmt>, INSERT ... <select>,
 * COPY (<query>)) out of their parent's text. Statement nodes carry no location of their own,
 * so the scanner's token stream is the reliable way to find where they start.
 */
import { scanSync } from 'libpg-query';
import { OffsetMapper } from './offsets.js';

export interface Token {
  /** UTF-16 offsets into the scanned text. */
  start: number;
  end: number;
  text: string;
  /** Lowercased for keywords and plain identifiers, raw otherwise. */
  lower: string;
  /** 0 none, 1 unreserved, 2 column-name, 3 type/function-name, 4 reserved (Postgres' categories). */
  keywordKind: number;
  isComment: boolean;
}

/** Tokens of `text`, comments included. Throws if the scanner fails (callers fall back to deparse). */
export function scanTokens(text: string): Token[] {
  const mapper = new OffsetMapper(text);
  const out: Token[] = [];
  for (const t of scanSync(text).tokens) {
    const start = mapper.index(t.start);
    const end = mapper.index(t.end);
    const raw = text.slice(start, end);
    out.push({
      start,
      end,
      text: raw,
      lower: raw.toLowerCase(),
      keywordKind: t.keywordKind,
      isComment: t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT',
    });
  }
  return out;
}

/** Non-comment tokens only: what the grammar sees. */
export function codeTokens(text: string): Token[] {
  return scanTokens(text).filter((t) => !t.isComment);
}

/** Index of the token closing the parenthesis opened at `open`, or -1. */
export function matchingParen(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!.text;
    if (t === '(' || t === '[') depth++;
    else if (t === ')' || t === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** First token at parenthesis depth 0 (from `from`) whose lowercased text is `word`, or -1. */
export function findTopLevel(tokens: Token[], word: string, from = 0): number {
  let depth = 0;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (depth === 0 && t.lower === word) return i;
  }
  return -1;
}

/** `text` with trailing comments and whitespace removed (so callers can safely append SQL). */
export function stripTrailingComments(text: string): string {
  if (!text.includes('--') && !text.includes('/*')) return text;
  let tokens: Token[];
  try {
    tokens = scanTokens(text);
  } catch {
    return text;
  }
  let end = tokens.length;
  while (end > 0 && tokens[end - 1]!.isComment) end--;
  if (end === tokens.length) return text;
  return end === 0 ? '' : text.slice(0, tokens[end - 1]!.end);
}
