/**
 * Postgres identifier rules in TypeScript: quoting as quote_ident() does (for the text the shim
 * generates, e.g. pg_get_indexdef) and splitting a possibly qualified, possibly quoted name as
 * regclass input does ('"Public".t' → ['Public', 't']).
 */
import { quotedKeywords } from './keywords.js';

const MUST_QUOTE_KEYWORDS = new Set(quotedKeywords());

export function pgQuoteIdent(name: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(name) && !MUST_QUOTE_KEYWORDS.has(name)) return name;
  return '"' + name.replace(/"/g, '""') + '"';
}

/** Splits 'a.b', '"A"."b c"' into normalised parts; undefined when the text is not a valid name. */
export function parseQualifiedName(text: string): string[] | undefined {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i <= s.length) {
    while (s[i] === ' ') i++;
    if (s[i] === '"') {
      let j = i + 1;
      let out = '';
      for (;;) {
        if (j >= s.length) return undefined;
        if (s[j] === '"') {
          if (s[j + 1] === '"') {
            out += '"';
            j += 2;
            continue;
          }
          break;
        }
        out += s[j++];
      }
      if (out === '') return undefined;
      parts.push(out);
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== '.' && s[j] !== ' ') j++;
      const word = s.slice(i, j);
      if (word === '') return undefined;
      parts.push(word.toLowerCase());
      i = j;
    }
    while (s[i] === ' ') i++;
    if (i >= s.length) break;
    if (s[i] !== '.') return undefined;
    i++;
  }
  return parts.length > 0 ? parts : undefined;
}
