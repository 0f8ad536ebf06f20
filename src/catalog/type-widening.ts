/**
 * Which column type changes keep every stored value representable ("widening"): those are the
 * changes files written under an older schema can be read through with a plain CAST. Types are
 * DuckDB type SQL as the catalog stores them (`INTEGER`, `DECIMAL(18,3)`, `VARCHAR(20)`).
 */

const SIGNED = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT'];
const UNSIGNED = ['UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT'];
/** Decimal digits an integer type needs (for integer → DECIMAL(p, s): p - s must be at least this). */
const DIGITS: Record<string, number> = {
  TINYINT: 3, SMALLINT: 5, INTEGER: 10, BIGINT: 19, HUGEINT: 39,
  UTINYINT: 3, USMALLINT: 5, UINTEGER: 10, UBIGINT: 20, UHUGEINT: 39,
};
/** Integer types a DOUBLE holds exactly (53-bit mantissa); FLOAT holds up to 16-bit integers. */
const EXACT_IN_DOUBLE = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'FLOAT']);
const EXACT_IN_FLOAT = new Set(['TINYINT', 'SMALLINT', 'UTINYINT', 'USMALLINT']);

interface Parsed {
  base: string;
  args: number[];
}

function parse(sql: string): Parsed {
  const s = sql.trim().toUpperCase().replace(/\s+/g, ' ');
  const m = /^([A-Z_ ]+?)\s*(?:\(([\d,\s]*)\))?$/.exec(s);
  if (!m) return { base: s, args: [] };
  return { base: m[1]!, args: m[2] ? m[2].split(',').map((x) => Number(x.trim())) : [] };
}

/** True when every value of type `from` converts to `to` without loss. */
export function isWidening(from: string, to: string): boolean {
  const a = parse(from);
  const b = parse(to);
  if (a.base === b.base && a.args.join() === b.args.join()) return true;
  if (from.trim().endsWith(']') || to.trim().endsWith(']')) return false;
  const ints = (list: string[]) => list.indexOf(a.base) >= 0 && list.indexOf(b.base) > list.indexOf(a.base);
  if (ints(SIGNED) || ints(UNSIGNED)) return true;
  // Unsigned to a strictly larger signed type (UINTEGER → BIGINT).
  const ua = UNSIGNED.indexOf(a.base);
  if (ua >= 0 && SIGNED.indexOf(b.base) > ua) return true;
  if (b.base === 'DOUBLE' && EXACT_IN_DOUBLE.has(a.base)) return true;
  if (b.base === 'FLOAT' && EXACT_IN_FLOAT.has(a.base)) return true;
  if (b.base === 'DECIMAL') {
    const [p, s = 0] = b.args.length > 0 ? b.args : [18, 3];
    if (DIGITS[a.base] !== undefined) return p! - s >= DIGITS[a.base]!;
    if (a.base === 'DECIMAL') {
      const [p0, s0 = 0] = a.args.length > 0 ? a.args : [18, 3];
      return s >= s0 && p! - s >= p0! - s0;
    }
  }
  if (b.base === 'VARCHAR' && (a.base === 'VARCHAR' || a.base === 'CHAR')) {
    if (b.args.length === 0) return a.base === 'VARCHAR';
    return a.args.length > 0 && b.args[0]! >= a.args[0]! && a.base === 'VARCHAR';
  }
  if (b.base === 'CHAR' && a.base === 'CHAR') return a.args.length > 0 && b.args.length > 0 && b.args[0]! >= a.args[0]!;
  if (a.base === 'DATE' && b.base === 'TIMESTAMP') return true;
  return false;
}
