/**
 * Postgres array literal text ('{r,p,f}', '{"a b",NULL}') → element strings. DuckDB cannot cast
 * this syntax, so the rewriter turns such literals into list constructors.
 */

/** Elements of a one-dimensional array literal (null for NULL), or undefined if not one. */
export function parseArrayLiteral(text: string): (string | null)[] | undefined {
  const s = text.trim();
  if (!s.startsWith('{') || !s.endsWith('}')) return undefined;
  const body = s.slice(1, -1);
  const out: (string | null)[] = [];
  if (body.trim() === '') return out;
  let i = 0;
  while (i <= body.length) {
    while (body[i] === ' ') i++;
    let value = '';
    let quoted = false;
    if (body[i] === '"') {
      quoted = true;
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        value += body[i++] ?? '';
      }
      if (body[i] !== '"') return undefined;
      i++;
    } else {
      while (i < body.length && body[i] !== ',') {
        if (body[i] === '{' || body[i] === '}') return undefined; // nested arrays are not expected here
        if (body[i] === '\\') i++;
        value += body[i++] ?? '';
      }
      value = value.trim();
    }
    out.push(!quoted && value.toUpperCase() === 'NULL' ? null : value);
    while (body[i] === ' ') i++;
    if (i >= body.length) break;
    if (body[i] !== ',') return undefined;
    i++;
  }
  return out;
}
