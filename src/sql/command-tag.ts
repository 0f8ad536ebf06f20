/**
 * The Postgres command tag for any statement node (the text before the row count in
 * CommandComplete), used to name statements in "not supported" errors and in completions.
 * Mirrors Postgres' CreateCommandTag for the statements its grammar produces.
 */
import type { AstNode } from './statements.js';
import { nodeType } from './ast.js';

/** ObjectType enum → the words Postgres uses in tags ('OBJECT_MATVIEW' → 'MATERIALIZED VIEW'). */
export function objectTypeWords(objtype: string | undefined): string {
  switch (objtype) {
    case 'OBJECT_MATVIEW': return 'MATERIALIZED VIEW';
    case 'OBJECT_FDW': return 'FOREIGN DATA WRAPPER';
    case 'OBJECT_FOREIGN_SERVER': return 'SERVER';
    case 'OBJECT_TSPARSER': return 'TEXT SEARCH PARSER';
    case 'OBJECT_TSDICTIONARY': return 'TEXT SEARCH DICTIONARY';
    case 'OBJECT_TSTEMPLATE': return 'TEXT SEARCH TEMPLATE';
    case 'OBJECT_TSCONFIGURATION': return 'TEXT SEARCH CONFIGURATION';
    case 'OBJECT_OPCLASS': return 'OPERATOR CLASS';
    case 'OBJECT_OPFAMILY':
    case 'OBJECT_AMOP':
    case 'OBJECT_AMPROC': return 'OPERATOR FAMILY';
    case 'OBJECT_STATISTIC_EXT': return 'STATISTICS';
    case 'OBJECT_LARGEOBJECT': return 'LARGE OBJECT';
    case 'OBJECT_COLUMN':
    case 'OBJECT_TABCONSTRAINT': return 'TABLE';
    case 'OBJECT_ATTRIBUTE': return 'TYPE';
    case 'OBJECT_DOMCONSTRAINT': return 'DOMAIN';
    case 'OBJECT_USER_MAPPING': return 'USER MAPPING';
    case 'OBJECT_DEFACL': return 'DEFAULT PRIVILEGES';
    case undefined: return '???';
    default: return objtype.replace(/^OBJECT_/, '').replace(/_/g, ' ');
  }
}

function dropTag(s: AstNode): string {
  return `DROP ${objectTypeWords(s.removeType)}`;
}

function alterTag(objtype: string | undefined): string {
  return `ALTER ${objectTypeWords(objtype)}`;
}

const TRANSACTION_TAGS: Record<string, string> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'START TRANSACTION',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_SAVEPOINT: 'SAVEPOINT',
  TRANS_STMT_RELEASE: 'RELEASE',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

const DEFINE_TAGS: Record<string, string> = {
  OBJECT_AGGREGATE: 'CREATE AGGREGATE',
  OBJECT_OPERATOR: 'CREATE OPERATOR',
  OBJECT_TYPE: 'CREATE TYPE',
  OBJECT_TSPARSER: 'CREATE TEXT SEARCH PARSER',
  OBJECT_TSDICTIONARY: 'CREATE TEXT SEARCH DICTIONARY',
  OBJECT_TSTEMPLATE: 'CREATE TEXT SEARCH TEMPLATE',
  OBJECT_TSCONFIGURATION: 'CREATE TEXT SEARCH CONFIGURATION',
  OBJECT_COLLATION: 'CREATE COLLATION',
  OBJECT_ACCESS_METHOD: 'CREATE ACCESS METHOD',
};

/** Tags that depend only on the node type. */
const SIMPLE_TAGS: Record<string, string> = {
  InsertStmt: 'INSERT',
  DeleteStmt: 'DELETE',
  UpdateStmt: 'UPDATE',
  MergeStmt: 'MERGE',
  SelectStmt: 'SELECT',
  PLAssignStmt: 'SELECT',
  DeclareCursorStmt: 'DECLARE CURSOR',
  CreateDomainStmt: 'CREATE DOMAIN',
  CreateSchemaStmt: 'CREATE SCHEMA',
  CreateStmt: 'CREATE TABLE',
  CreateTableSpaceStmt: 'CREATE TABLESPACE',
  DropTableSpaceStmt: 'DROP TABLESPACE',
  AlterTableSpaceOptionsStmt: 'ALTER TABLESPACE',
  CreateExtensionStmt: 'CREATE EXTENSION',
  AlterExtensionStmt: 'ALTER EXTENSION',
  AlterExtensionContentsStmt: 'ALTER EXTENSION',
  CreateFdwStmt: 'CREATE FOREIGN DATA WRAPPER',
  AlterFdwStmt: 'ALTER FOREIGN DATA WRAPPER',
  CreateForeignServerStmt: 'CREATE SERVER',
  AlterForeignServerStmt: 'ALTER SERVER',
  CreateUserMappingStmt: 'CREATE USER MAPPING',
  AlterUserMappingStmt: 'ALTER USER MAPPING',
  DropUserMappingStmt: 'DROP USER MAPPING',
  CreateForeignTableStmt: 'CREATE FOREIGN TABLE',
  ImportForeignSchemaStmt: 'IMPORT FOREIGN SCHEMA',
  TruncateStmt: 'TRUNCATE TABLE',
  CommentStmt: 'COMMENT',
  SecLabelStmt: 'SECURITY LABEL',
  CopyStmt: 'COPY',
  AlterDomainStmt: 'ALTER DOMAIN',
  AlterDefaultPrivilegesStmt: 'ALTER DEFAULT PRIVILEGES',
  CompositeTypeStmt: 'CREATE TYPE',
  CreateEnumStmt: 'CREATE TYPE',
  CreateRangeStmt: 'CREATE TYPE',
  AlterEnumStmt: 'ALTER TYPE',
  ViewStmt: 'CREATE VIEW',
  IndexStmt: 'CREATE INDEX',
  RuleStmt: 'CREATE RULE',
  CreateSeqStmt: 'CREATE SEQUENCE',
  AlterSeqStmt: 'ALTER SEQUENCE',
  DoStmt: 'DO',
  CreatedbStmt: 'CREATE DATABASE',
  AlterDatabaseStmt: 'ALTER DATABASE',
  AlterDatabaseRefreshCollStmt: 'ALTER DATABASE',
  AlterDatabaseSetStmt: 'ALTER DATABASE',
  DropdbStmt: 'DROP DATABASE',
  NotifyStmt: 'NOTIFY',
  ListenStmt: 'LISTEN',
  UnlistenStmt: 'UNLISTEN',
  LoadStmt: 'LOAD',
  CallStmt: 'CALL',
  ClusterStmt: 'CLUSTER',
  ExplainStmt: 'EXPLAIN',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW',
  AlterSystemStmt: 'ALTER SYSTEM',
  VariableShowStmt: 'SHOW',
  CreateTrigStmt: 'CREATE TRIGGER',
  CreateEventTrigStmt: 'CREATE EVENT TRIGGER',
  AlterEventTrigStmt: 'ALTER EVENT TRIGGER',
  CreatePLangStmt: 'CREATE LANGUAGE',
  AlterRoleStmt: 'ALTER ROLE',
  AlterRoleSetStmt: 'ALTER ROLE',
  DropRoleStmt: 'DROP ROLE',
  DropOwnedStmt: 'DROP OWNED',
  ReassignOwnedStmt: 'REASSIGN OWNED',
  LockStmt: 'LOCK TABLE',
  ConstraintsSetStmt: 'SET CONSTRAINTS',
  CheckPointStmt: 'CHECKPOINT',
  ReindexStmt: 'REINDEX',
  CreateConversionStmt: 'CREATE CONVERSION',
  CreateCastStmt: 'CREATE CAST',
  CreateOpClassStmt: 'CREATE OPERATOR CLASS',
  CreateOpFamilyStmt: 'CREATE OPERATOR FAMILY',
  AlterOpFamilyStmt: 'ALTER OPERATOR FAMILY',
  AlterOperatorStmt: 'ALTER OPERATOR',
  AlterTypeStmt: 'ALTER TYPE',
  AlterTSDictionaryStmt: 'ALTER TEXT SEARCH DICTIONARY',
  AlterTSConfigurationStmt: 'ALTER TEXT SEARCH CONFIGURATION',
  CreatePolicyStmt: 'CREATE POLICY',
  AlterPolicyStmt: 'ALTER POLICY',
  CreateAmStmt: 'CREATE ACCESS METHOD',
  CreatePublicationStmt: 'CREATE PUBLICATION',
  AlterPublicationStmt: 'ALTER PUBLICATION',
  CreateSubscriptionStmt: 'CREATE SUBSCRIPTION',
  AlterSubscriptionStmt: 'ALTER SUBSCRIPTION',
  DropSubscriptionStmt: 'DROP SUBSCRIPTION',
  AlterCollationStmt: 'ALTER COLLATION',
  PrepareStmt: 'PREPARE',
  ExecuteStmt: 'EXECUTE',
  CreateStatsStmt: 'CREATE STATISTICS',
  AlterStatsStmt: 'ALTER STATISTICS',
  CreateTransformStmt: 'CREATE TRANSFORM',
  AlterTableMoveAllStmt: 'ALTER TABLE',
  ReturnStmt: 'RETURN',
};

/** The Postgres command tag for a statement node, e.g. `{ CreateFunctionStmt }` → 'CREATE FUNCTION'. */
export function commandTag(stmt: AstNode): string {
  const type = nodeType(stmt);
  const s = stmt?.[type] ?? {};
  const simple = SIMPLE_TAGS[type];
  if (simple !== undefined) return simple;
  switch (type) {
    case 'TransactionStmt':
      return TRANSACTION_TAGS[s.kind] ?? 'BEGIN';
    case 'ClosePortalStmt':
      return s.portalname ? 'CLOSE CURSOR' : 'CLOSE CURSOR ALL';
    case 'FetchStmt':
      return s.ismove ? 'MOVE' : 'FETCH';
    case 'DropStmt':
      return dropTag(s);
    case 'RenameStmt':
      // Column/constraint renames report the relation's kind (ALTER TABLE, ALTER VIEW, ...).
      return alterTag(
        s.renameType === 'OBJECT_COLUMN' || s.renameType === 'OBJECT_TABCONSTRAINT'
          ? (s.relationType ?? 'OBJECT_TABLE')
          : s.renameType,
      );
    case 'AlterObjectDependsStmt':
    case 'AlterObjectSchemaStmt':
    case 'AlterOwnerStmt':
      return alterTag(s.objectType);
    case 'AlterTableStmt':
      return alterTag(s.objtype ?? 'OBJECT_TABLE');
    case 'AlterFunctionStmt':
      return alterTag(s.objtype ?? 'OBJECT_FUNCTION');
    case 'CreateFunctionStmt':
      return s.is_procedure ? 'CREATE PROCEDURE' : 'CREATE FUNCTION';
    case 'GrantStmt':
      return s.is_grant ? 'GRANT' : 'REVOKE';
    case 'GrantRoleStmt':
      return s.is_grant ? 'GRANT ROLE' : 'REVOKE ROLE';
    case 'DefineStmt':
      return DEFINE_TAGS[s.kind] ?? 'CREATE TYPE';
    case 'CreateTableAsStmt':
      if (s.objtype === 'OBJECT_MATVIEW') return 'CREATE MATERIALIZED VIEW';
      return s.is_select_into ? 'SELECT' : 'CREATE TABLE AS';
    case 'VacuumStmt':
      return s.is_vacuumcmd ? 'VACUUM' : 'ANALYZE';
    case 'VariableSetStmt':
      return s.kind === 'VAR_RESET' || s.kind === 'VAR_RESET_ALL' ? 'RESET' : 'SET';
    case 'DiscardStmt':
      switch (s.target) {
        case 'DISCARD_PLANS': return 'DISCARD PLANS';
        case 'DISCARD_TEMP': return 'DISCARD TEMP';
        case 'DISCARD_SEQUENCES': return 'DISCARD SEQUENCES';
        default: return 'DISCARD ALL';
      }
    case 'CreateRoleStmt':
      return s.stmt_type === 'ROLESTMT_USER' ? 'CREATE USER' : s.stmt_type === 'ROLESTMT_GROUP' ? 'CREATE GROUP' : 'CREATE ROLE';
    case 'DeallocateStmt':
      return s.isall ? 'DEALLOCATE ALL' : 'DEALLOCATE';
    default:
      return '???';
  }
}
