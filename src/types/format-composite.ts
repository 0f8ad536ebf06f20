/**
 * Quoting for Postgres' composite text forms: array_out ("{a,\"b c\",NULL}") and
 * record_out ("(1,\"a b\",)"). The element text is already the element type's output.
 */

/** array_out: quote when empty, "NULL" in any case, or containing {},"\ or whitespace; escape " and \ with \. */
export function quoteArrayElement(s: string): string {
  if (s.length === 0) return '""';
  let needs = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // { } , " \ and array_isspace: space \t \n \r \v \f
    if (c === 123 || c === 125 || c === 44 || c === 34 || c === 92 || c === 32 || (c >= 9 && c <= 13)) {
      needs = true;
      break;
    }
  }
  if (!needs && s.length === 4 && s.toUpperCase() === 'NULL') needs = true;
  if (!needs) return s;
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/** record_out: quote when empty or containing "\(), or whitespace; double " and \. NULL fields are empty. */
export function quoteRecordField(s: string): string {
  if (s.length === 0) return '""';
  let needs = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 || c === 92 || c === 40 || c === 41 || c === 44 || c === 32 || (c >= 9 && c <= 13)) {
      needs = true;
      break;
    }
  }
  if (!needs) return s;
  return `"${s.replace(/["\\]/g, '$&$&')}"`;
}
