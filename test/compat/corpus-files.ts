/**
 * Reads the shared client-introspection corpus: statements with their `-- [N]` index and
 * `-- params:` example values, and the Postgres 15 outcome of each from pg15-results.tsv.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CORPUS_DIR = '/work/shared/corpus';

export interface CorpusStatement {
  /** e.g. 'psql.sql' or 'more/psql.sql'. */
  file: string;
  index: number;
  sql: string;
  params: (string | number)[];
  pg15: { ok: boolean; rows?: number; message: string } | undefined;
}

function parseParams(line: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /\$(\d+)\s*=\s*('(?:[^']|'')*'|-?\d+(?:\.\d+)?)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    const v = m[2]!;
    out[Number(m[1]) - 1] = v.startsWith("'") ? v.slice(1, -1).replace(/''/g, "'") : Number(v);
  }
  return out;
}

function parseFile(path: string, file: string): Omit<CorpusStatement, 'pg15'>[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: Omit<CorpusStatement, 'pg15'>[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^-- \[(\d+)\]\s*$/.exec(lines[i]!);
    if (m === null) continue;
    let j = i + 1;
    let params: (string | number)[] = [];
    while (j < lines.length && lines[j]!.startsWith('--')) {
      if (lines[j]!.startsWith('-- params:')) params = parseParams(lines[j]!);
      j++;
    }
    const body: string[] = [];
    while (j < lines.length) {
      const line = lines[j]!;
      body.push(line);
      j++;
      if (line.trimEnd().endsWith(';')) break;
    }
    out.push({ file, index: Number(m[1]), sql: body.join('\n'), params });
    i = j - 1;
  }
  return out;
}

function parseResults(path: string, prefix: string): Map<string, CorpusStatement['pg15']> {
  const m = new Map<string, CorpusStatement['pg15']>();
  for (const line of readFileSync(path, 'utf8').split('\n').slice(1)) {
    if (line.trim() === '') continue;
    const [file, index, status, message = ''] = line.split('\t');
    const rows = /rows=(\d+)/.exec(message);
    m.set(`${prefix}${file}#${index}`, { ok: status === 'ok', rows: rows ? Number(rows[1]) : undefined, message });
  }
  return m;
}

export function loadCorpus(): CorpusStatement[] {
  const out: CorpusStatement[] = [];
  for (const [dir, prefix] of [[CORPUS_DIR, ''], [join(CORPUS_DIR, 'more'), 'more/']] as const) {
    const results = parseResults(join(dir, 'pg15-results.tsv'), prefix);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.sql') && n !== 'fixture.sql').sort()) {
      for (const s of parseFile(join(dir, f), `${prefix}${f}`)) out.push({ ...s, pg15: results.get(`${s.file}#${s.index}`) });
    }
  }
  return out;
}
