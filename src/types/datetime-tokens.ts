/**
 * Splits date/time/interval input into fields the way Postgres' ParseDateTime does, so the
 * decoders see the same field boundaries: "2024-01-05T13:04:05+02" becomes
 * date "2024-01-05", string "t", time "13:04:05", tz "+02".
 */

export type FieldKind =
  /** digits with '-' or '/' (or '.' with three parts), or a word followed by such punctuation */
  | 'date'
  /** digits, possibly with one '.' fraction */
  | 'number'
  /** digits containing ':' */
  | 'time'
  /** sign followed by digits (a UTC offset, or a signed number/time in intervals) */
  | 'tz'
  /** letters (lower-cased), possibly with a leading sign ("-infinity") */
  | 'string';

export interface Field {
  kind: FieldKind;
  text: string;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlpha = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
/** C ispunct() for ASCII. */
const isPunct = (c: number): boolean => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);

/**
 * Words that are date/time keywords rather than the start of a zone name such as "utc+3".
 * Only consulted when a word is directly followed by a digit or '+'.
 */
export type KeywordTest = (word: string) => boolean;

/** Returns null when the input contains characters Postgres rejects outright (bad format). */
export function tokenize(input: string, isKeyword: KeywordTest): Field[] | null {
  const s = input.toLowerCase();
  const n = s.length;
  const out: Field[] = [];
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (isDigit(c)) {
      let j = i;
      while (j < n && isDigit(s.charCodeAt(j))) j++;
      const next = s[j];
      let kind: FieldKind = 'number';
      if (next === ':') {
        kind = 'time';
        while (j < n && (isDigit(s.charCodeAt(j)) || s[j] === ':' || s[j] === '.')) j++;
      } else if (next === '-' || next === '/' || next === '.') {
        const delim = next;
        j++;
        if (j < n && isDigit(s.charCodeAt(j))) {
          kind = delim === '.' ? 'number' : 'date';
          while (j < n && isDigit(s.charCodeAt(j))) j++;
          if (s[j] === delim) {
            kind = 'date';
            j++;
            while (j < n && (isDigit(s.charCodeAt(j)) || s[j] === delim)) j++;
          }
        } else {
          kind = 'date';
          while (j < n && (isDigit(s.charCodeAt(j)) || isAlpha(s.charCodeAt(j)) || s[j] === delim)) j++;
        }
      }
      out.push({ kind, text: s.slice(i, j) });
      i = j;
      continue;
    }
    if (c === 46 /* . */ && i + 1 < n && isDigit(s.charCodeAt(i + 1))) {
      let j = i + 1;
      while (j < n && isDigit(s.charCodeAt(j))) j++;
      out.push({ kind: 'number', text: s.slice(i, j) });
      i = j;
      continue;
    }
    if (isAlpha(c)) {
      let j = i;
      while (j < n && isAlpha(s.charCodeAt(j))) j++;
      const word = s.slice(i, j);
      const next = s[j];
      let isDate = next === '-' || next === '/' || next === '.';
      if (!isDate && j < n && (next === '+' || isDigit(s.charCodeAt(j)))) isDate = !isKeyword(word);
      if (isDate) {
        while (j < n) {
          const d = s.charCodeAt(j);
          if (!(isDigit(d) || isAlpha(d) || d === 43 || d === 45 || d === 47 || d === 95 || d === 46 || d === 58)) break;
          j++;
        }
        out.push({ kind: 'date', text: s.slice(i, j) });
      } else {
        out.push({ kind: 'string', text: word });
      }
      i = j;
      continue;
    }
    if (c === 43 /* + */ || c === 45 /* - */) {
      let j = i + 1;
      while (j < n && isSpace(s.charCodeAt(j))) j++;
      if (j < n && isDigit(s.charCodeAt(j))) {
        let k = j;
        while (k < n && (isDigit(s.charCodeAt(k)) || s[k] === ':' || s[k] === '.' || s[k] === '-')) k++;
        out.push({ kind: 'tz', text: s[i] + s.slice(j, k) });
        i = k;
        continue;
      }
      if (j < n && isAlpha(s.charCodeAt(j))) {
        let k = j;
        while (k < n && isAlpha(s.charCodeAt(k))) k++;
        out.push({ kind: 'string', text: s[i] + s.slice(j, k) });
        i = k;
        continue;
      }
      return null;
    }
    if (isPunct(c)) {
      // Postgres skips stray punctuation (e.g. the comma in "January 5, 2024").
      i++;
      continue;
    }
    return null;
  }
  return out;
}
