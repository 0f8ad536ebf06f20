import { it } from 'vitest';
import { initSqlParser, parseSql } from '../../src/sql/parser.js';
import { classifyStatement } from '../../src/sql/classify.js';
it('dump', async () => {
  await initSqlParser();
  for (const s of (process.env.SQLS ?? '').split(';;')) console.log(s, '\n', JSON.stringify(classifyStatement(parseSql(s)[0]!)));
});
