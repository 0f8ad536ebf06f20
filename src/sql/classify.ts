/**
 * Maps one parsed statement to the Statement union. Dispatch only: each family of statements
 * lives in its own classify-*.ts module.
 */
import { nodeType, unsupported } from './ast.js';
import { touchesCatalog } from './catalog-refs.js';
import { classifyCopy } from './classify-copy.js';
import { classifyCreateTable, classifyDropTable } from './classify-ddl.js';
import { classifyDelete, classifyInsert, classifyUpdate } from './classify-dml.js';
import {
  classifyDeallocate,
  classifyDiscard,
  classifyExecute,
  classifyListen,
  classifyPrepare,
  classifyShow,
  classifyTransaction,
  classifyVariableSet,
} from './classify-session.js';
import { commandTag } from './command-tag.js';
import type { AstNode, ParsedStatement, RawStatement, SelectStatement, Statement } from './statements.js';

export { commandTag } from './command-tag.js';

export function classifyStatement(p: ParsedStatement): Statement {
  const type = nodeType(p.ast);
  const s = p.ast[type];
  switch (type) {
    case 'SelectStmt':
      return { kind: 'select', text: p.text, touchesCatalog: touchesCatalog(p.ast), ast: p.ast };
    case 'ExplainStmt':
      return classifyExplain(p, s);
    case 'InsertStmt':
      return classifyInsert(p, s);
    case 'UpdateStmt':
      return classifyUpdate(s);
    case 'DeleteStmt':
      return classifyDelete(s);
    case 'CreateStmt':
      return classifyCreateTable(s);
    case 'CreateTableAsStmt':
      if (s.objtype === 'OBJECT_MATVIEW') break;
      throw unsupported(s.is_select_into ? 'SELECT ... INTO is not supported' : 'CREATE TABLE AS is not supported');
    case 'DropStmt':
      if (s.removeType === 'OBJECT_TABLE') return classifyDropTable(s);
      if (s.removeType === 'OBJECT_VIEW') return raw('dropView', p);
      break;
    case 'VariableSetStmt':
      return classifyVariableSet(p, s);
    case 'VariableShowStmt':
      return classifyShow(s);
    case 'TransactionStmt':
      return classifyTransaction(s);
    case 'PrepareStmt':
      return classifyPrepare(p, s);
    case 'ExecuteStmt':
      return classifyExecute(s);
    case 'DeallocateStmt':
      return classifyDeallocate(s);
    case 'DiscardStmt':
      return classifyDiscard(s);
    case 'ListenStmt':
    case 'UnlistenStmt':
    case 'NotifyStmt':
      return classifyListen(type, s);
    case 'CopyStmt':
      return classifyCopy(p, s);
    case 'DeclareCursorStmt':
      return raw('declareCursor', p);
    case 'FetchStmt':
      return raw('fetch', p);
    case 'ClosePortalStmt':
      return raw('closeCursor', p);
    case 'IndexStmt':
      return raw('createIndex', p);
    case 'CommentStmt':
      return raw('comment', p);
    case 'ViewStmt':
      return raw('createView', p);
    case 'AlterTableStmt':
      if ((s.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') return raw('alterTable', p);
      break;
    case 'RenameStmt':
      if (isTableRename(s)) return raw('alterTable', p);
      break;
    case 'AlterDatabaseSetStmt':
      return raw('alterDatabase', p);
    case 'CheckPointStmt':
      return { kind: 'checkpoint' };
    case 'VacuumStmt':
      return { kind: s.is_vacuumcmd ? 'vacuum' : 'analyze' };
  }
  return { kind: 'unsupported', tag: commandTag(p.ast) };
}

function classifyExplain(p: ParsedStatement, s: AstNode): Statement {
  if (nodeType(s.query) !== 'SelectStmt') return { kind: 'unsupported', tag: 'EXPLAIN' };
  const options: string[] = (s.options ?? []).map((o: AstNode) => String(o.DefElem?.defname ?? '').toLowerCase());
  const out: SelectStatement = {
    kind: 'select',
    text: p.text,
    touchesCatalog: touchesCatalog(s.query),
    ast: p.ast,
    explain: { options },
  };
  return out;
}

/** ALTER TABLE t RENAME [COLUMN|CONSTRAINT] ... parses as RenameStmt rather than AlterTableStmt. */
function isTableRename(s: AstNode): boolean {
  if (s.renameType === 'OBJECT_TABLE') return true;
  return (
    (s.renameType === 'OBJECT_COLUMN' || s.renameType === 'OBJECT_TABCONSTRAINT') && s.relationType === 'OBJECT_TABLE'
  );
}

function raw(kind: RawStatement['kind'], p: ParsedStatement): RawStatement {
  return { kind, ast: p.ast, text: p.text };
}
