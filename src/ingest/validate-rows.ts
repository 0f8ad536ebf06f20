import { DuckMeshError, SqlState } from '../common/errors.js';
import type { ColumnDef, TableDef } from '../catalog/types.js';
import { columnTypeFromSql, type ColumnType } from '../types/column-types.js';
import { jsonToText, validatorFor } from '../types/validate.js';

export type CellValue = { kind: 'value'; text: string | null } | { kind: 'default' };

/**
 * Per-table row validator: maps input columns onto the table, fills defaults, checks NOT NULL
 * and canonicalizes every value. Errors name the row (1-based) and column.
 */
export class RowValidator {
  private readonly validators: ((text: string) => string)[];
  private types: ColumnType[] | null = null;
  /** For each table column, the index in the input row, or -1 (use the default). */
  private readonly sourceIndex: number[];

  constructor(
    readonly table: TableDef,
    inputColumns: string[] | null,
  ) {
    this.validators = table.columns.map((c) => validatorFor(columnTypeFromSql(c.type)));
    if (inputColumns === null) {
      this.sourceIndex = table.columns.map((_, i) => i);
    } else {
      const seen = new Set<string>();
      for (const name of inputColumns) {
        if (!table.columns.some((c) => c.name === name)) {
          throw new DuckMeshError(SqlState.undefinedColumn, `column "${name}" of relation "${table.name}" does not exist`);
        }
        if (seen.has(name)) throw new DuckMeshError(SqlState.duplicateColumn, `column "${name}" specified more than once`);
        seen.add(name);
      }
      this.sourceIndex = table.columns.map((c) => inputColumns.indexOf(c.name));
    }
  }

  get inputWidth(): number {
    return this.sourceIndex.filter((i) => i >= 0).length;
  }

  /** Validates one input row (cells in input-column order); returns canonical values in table order. */
  row(cells: CellValue[], rowNumber: number): (string | null)[] {
    const width = this.inputWidth;
    if (cells.length > width) {
      throw new DuckMeshError(SqlState.syntaxError, 'INSERT has more expressions than target columns', {
        detail: `row ${rowNumber} has ${cells.length} values for ${width} columns`,
      });
    }
    const out = new Array<string | null>(this.table.columns.length);
    for (let i = 0; i < this.table.columns.length; i++) {
      const col = this.table.columns[i]!;
      const src = this.sourceIndex[i]!;
      const cell: CellValue = src >= 0 && src < cells.length ? cells[src]! : { kind: 'default' };
      let text: string | null;
      if (cell.kind === 'default') text = col.defaultValue;
      else if (cell.text === null) text = null;
      else text = this.convert(i, col, cell.text, rowNumber);
      if (text === null && col.notNull) {
        throw new DuckMeshError(
          SqlState.notNullViolation,
          `null value in column "${col.name}" of relation "${this.table.name}" violates not-null constraint`,
          { detail: `row ${rowNumber}, column "${col.name}"` },
        );
      }
      out[i] = text;
    }
    return out;
  }

  /**
   * Validates one JSON row object (HTTP): keys are column names, absent columns take their
   * default, JSON values follow jsonToText's rules. Returns canonical values in table order.
   * `partial` (upserts): an absent column may be NOT NULL without a default — an existing row
   * keeps its value; for a new key the commit worker refuses the write.
   */
  jsonRow(obj: Record<string, unknown>, rowNumber: number, partial = false): (string | null)[] {
    const types = (this.types ??= this.table.columns.map((c) => columnTypeFromSql(c.type)));
    for (const k of Object.keys(obj)) {
      if (!this.table.columns.some((c) => c.name === k)) {
        throw new DuckMeshError(SqlState.undefinedColumn, `column "${k}" of relation "${this.table.name}" does not exist`, {
          detail: `row ${rowNumber}, column "${k}"`,
        });
      }
    }
    const cells: CellValue[] = this.table.columns.map((c, j) => {
      if (!Object.hasOwn(obj, c.name)) return { kind: 'default' };
      try {
        return { kind: 'value', text: jsonToText(types[j]!, obj[c.name]) };
      } catch (err) {
        if (err instanceof DuckMeshError) throw new DuckMeshError(err.sqlstate, err.message, { detail: `row ${rowNumber}, column "${c.name}"` });
        throw err;
      }
    });
    // jsonToText already produced canonical text: only defaults and NOT NULL remain to check.
    return this.table.columns.map((c, j) => {
      const cell = cells[j]!;
      const text = cell.kind === 'default' ? c.defaultValue : cell.text;
      if (text === null && c.notNull && !(partial && cell.kind === 'default' && !this.table.primaryKey.includes(c.name))) {
        throw new DuckMeshError(
          SqlState.notNullViolation,
          `null value in column "${c.name}" of relation "${this.table.name}" violates not-null constraint`,
          { detail: `row ${rowNumber}, column "${c.name}"` },
        );
      }
      return text;
    });
  }

  private convert(i: number, col: ColumnDef, text: string, rowNumber: number): string {
    try {
      return this.validators[i]!(text);
    } catch (err) {
      if (err instanceof DuckMeshError) {
        throw new DuckMeshError(err.sqlstate, err.message, { detail: `row ${rowNumber}, column "${col.name}"` });
      }
      throw err;
    }
  }
}
