/**
 * COPY TO STDOUT: a table or a query, run through the session's ordinary SELECT path (sandbox
 * guard, catalog rewrite, snapshot choice, statement_timeout), encoded one row per CopyData
 * message as Postgres does, chunk by chunk so a large export never sits in memory.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { quoteIdent } from '../common/sql-text.js';
import type { CopyStatement } from '../sql/statements.js';
import { binaryEncoderFor } from '../types/binary-encode.js';
import { textEncoderFor } from '../types/text-encode.js';
import { BINARY_SIGNATURE } from './copy-binary.js';
import { csvQuoter } from './copy-csv.js';
import { columnFlags, type CopyOptions } from './copy-options.js';
import { textEscaper } from './copy-text.js';
import type { CopyOutSource, FieldDesc } from './results.js';
import type { Session } from './session.js';

const BINARY_HEADER = Buffer.concat([BINARY_SIGNATURE, Buffer.alloc(8)]);
const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

type RowFormatter = (values: (DuckDBValue | string | null)[]) => Buffer;

export async function startCopyOut(session: Session, stmt: CopyStatement, opts: CopyOptions): Promise<CopyOutSource> {
  const sql = stmt.query ?? tableQuery(stmt);
  const result = await session.runSelect(sql);
  const names = result.fields.map((f) => f.name);
  let format: RowFormatter;
  try {
    format = formatter(opts, result.fields, columnFlags(opts.forceQuote, names, 'FORCE_QUOTE', stmt.table ?? 'query'));
  } catch (err) {
    result.source.close();
    throw err;
  }
  let prefix: Buffer | null = null;
  if (opts.format === 'binary') prefix = BINARY_HEADER;
  else if (opts.header) prefix = format(names);
  let rows = 0;
  let finished = false;
  const source: CopyOutSource = {
    format: opts.format === 'binary' ? 1 : 0,
    columnCount: names.length,
    get rows() {
      return rows;
    },
    next: async () => {
      if (finished) return null;
      const batch = await result.source.next();
      const out: Buffer[] = [];
      if (!batch) {
        finished = true;
        result.source.close();
        // The binary header travels with the first row or, with no rows, with the trailer.
        if (opts.format === 'binary') out.push(prefix ? Buffer.concat([prefix, BINARY_TRAILER]) : BINARY_TRAILER);
        else if (prefix) out.push(prefix);
        prefix = null;
        return out.length > 0 ? out : null;
      }
      if (batch.kind === 'static') {
        for (const r of batch.rows) out.push(format(r));
      } else {
        const { chunk } = batch;
        const from = batch.from ?? 0;
        const to = batch.to ?? chunk.rowCount;
        const vectors = result.fields.map((_, c) => chunk.getColumnVector(c));
        for (let r = from; r < to; r++) out.push(format(vectors.map((v) => v.getItem(r) as DuckDBValue)));
      }
      rows += out.length;
      if (prefix && out.length > 0) {
        if (opts.format === 'binary') out[0] = Buffer.concat([prefix, out[0]!]);
        else out.unshift(prefix);
        prefix = null;
      }
      return out;
    },
    close: () => result.source.close(),
  };
  return source;
}

function tableQuery(stmt: CopyStatement): string {
  const cols = stmt.columns ? stmt.columns.map(quoteIdent).join(', ') : '*';
  const rel = stmt.schema ? `${quoteIdent(stmt.schema)}.${quoteIdent(stmt.table!)}` : quoteIdent(stmt.table!);
  return `SELECT ${cols} FROM ${rel}`;
}

function formatter(opts: CopyOptions, fields: FieldDesc[], forceQuote: boolean[]): RowFormatter {
  if (opts.format === 'binary') {
    const encoders = fields.map((f) => (f.type ? binaryEncoderFor(f.type) : null));
    return (values) => {
      const parts: Buffer[] = [Buffer.alloc(2)];
      parts[0]!.writeInt16BE(values.length, 0);
      values.forEach((v, c) => {
        const len = Buffer.alloc(4);
        if (v === null) {
          len.writeInt32BE(-1, 0);
          parts.push(len);
          return;
        }
        const enc = encoders[c];
        const data = enc && typeof v !== 'string' ? enc(v) : Buffer.from(String(v), 'utf8');
        len.writeInt32BE(data.length, 0);
        parts.push(len, data);
      });
      return Buffer.concat(parts);
    };
  }
  const text = fields.map((f) => (f.type ? textEncoderFor(f.type) : null));
  const toText = (v: DuckDBValue | string, c: number): string => {
    const enc = text[c];
    return enc && typeof v !== 'string' ? enc(v) : typeof v === 'string' ? v : String(v);
  };
  if (opts.format === 'csv') {
    const quote = csvQuoter(opts);
    return (values) =>
      Buffer.from(values.map((v, c) => (v === null ? opts.null : quote(toText(v, c), forceQuote[c] === true))).join(opts.delimiter) + '\n', 'utf8');
  }
  const escape = textEscaper(opts.delimiter);
  return (values) => Buffer.from(values.map((v, c) => (v === null ? opts.null : escape(toText(v, c)))).join(opts.delimiter) + '\n', 'utf8');
}
