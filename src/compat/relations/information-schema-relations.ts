/**
 * information_schema views with Postgres 16's column lists. Postgres types these columns with
 * its information_schema domains; the shim uses their base types (sql_identifier → name,
 * cardinal_number → int4, character_data/yes_or_no → varchar, time_stamp → timestamptz), which
 * is what clients see on the wire anyway.
 */
import { parseColumns, type CatalogRelation, type RelationHome } from './relation-def.js';

const DOMAIN_BASE: Readonly<Record<string, string>> = {
  id: 'name',
  num: 'int4',
  chr: 'varchar',
  yn: 'varchar',
  ts: 'timestamptz',
};

function isView(name: string, home: RelationHome, spec: string): CatalogRelation {
  const columns = parseColumns(spec).map((c) => ({ name: c.name, pgType: DOMAIN_BASE[c.pgType] ?? c.pgType }));
  return { schema: 'information_schema', name, oid: 0, relkind: 'v', home, columns };
}

/** The data-type block shared by columns, domains, parameters and routines' result. */
function dataTypeBlock(): string {
  return `data_type chr, character_maximum_length num, character_octet_length num, character_set_catalog id,
    character_set_schema id, character_set_name id, collation_catalog id, collation_schema id, collation_name id,
    numeric_precision num, numeric_precision_radix num, numeric_scale num, datetime_precision num,
    interval_type chr, interval_precision num`;
}

// Order matters: OIDs follow list order, so append new views at the end.
export const INFORMATION_SCHEMA_RELATIONS_DEFS: readonly CatalogRelation[] = [
  isView('information_schema_catalog_name', 'derived', 'catalog_name id'),
  isView('schemata', 'derived', `catalog_name id, schema_name id, schema_owner id,
    default_character_set_catalog id, default_character_set_schema id, default_character_set_name id,
    sql_path chr`),
  isView('tables', 'derived', `table_catalog id, table_schema id, table_name id, table_type chr,
    self_referencing_column_name id, reference_generation chr, user_defined_type_catalog id,
    user_defined_type_schema id, user_defined_type_name id, is_insertable_into yn, is_typed yn,
    commit_action chr`),
  isView('columns', 'derived', `table_catalog id, table_schema id, table_name id, column_name id,
    ordinal_position num, column_default chr, is_nullable yn, ${dataTypeBlock()}, domain_catalog id,
    domain_schema id, domain_name id, udt_catalog id, udt_schema id, udt_name id, scope_catalog id,
    scope_schema id, scope_name id, maximum_cardinality num, dtd_identifier id, is_self_referencing yn,
    is_identity yn, identity_generation chr, identity_start chr, identity_increment chr, identity_maximum chr,
    identity_minimum chr, identity_cycle yn, is_generated chr, generation_expression chr, is_updatable yn`),
  isView('views', 'derived', `table_catalog id, table_schema id, table_name id, view_definition chr,
    check_option chr, is_updatable yn, is_insertable_into yn, is_trigger_updatable yn, is_trigger_deletable yn,
    is_trigger_insertable_into yn`),
  isView('table_constraints', 'derived', `constraint_catalog id, constraint_schema id, constraint_name id,
    table_catalog id, table_schema id, table_name id, constraint_type chr, is_deferrable yn,
    initially_deferred yn, enforced yn, nulls_distinct yn`),
  isView('key_column_usage', 'derived', `constraint_catalog id, constraint_schema id, constraint_name id,
    table_catalog id, table_schema id, table_name id, column_name id, ordinal_position num,
    position_in_unique_constraint num`),
  isView('constraint_column_usage', 'derived', `table_catalog id, table_schema id, table_name id,
    column_name id, constraint_catalog id, constraint_schema id, constraint_name id`),
  isView('constraint_table_usage', 'derived', `table_catalog id, table_schema id, table_name id,
    constraint_catalog id, constraint_schema id, constraint_name id`),
  isView('check_constraints', 'derived', 'constraint_catalog id, constraint_schema id, constraint_name id, check_clause chr'),
  isView('referential_constraints', 'instance', `constraint_catalog id, constraint_schema id, constraint_name id,
    unique_constraint_catalog id, unique_constraint_schema id, unique_constraint_name id, match_option chr,
    update_rule chr, delete_rule chr`),
  isView('routines', 'instance', `specific_catalog id, specific_schema id, specific_name id, routine_catalog id,
    routine_schema id, routine_name id, routine_type chr, module_catalog id, module_schema id, module_name id,
    udt_catalog id, udt_schema id, udt_name id, ${dataTypeBlock()}, type_udt_catalog id, type_udt_schema id,
    type_udt_name id, scope_catalog id, scope_schema id, scope_name id, maximum_cardinality num,
    dtd_identifier id, routine_body chr, routine_definition chr, external_name chr, external_language chr,
    parameter_style chr, is_deterministic yn, sql_data_access chr, is_null_call yn, sql_path chr,
    schema_level_routine yn, max_dynamic_result_sets num, is_user_defined_cast yn, is_implicitly_invocable yn,
    security_type chr, to_sql_specific_catalog id, to_sql_specific_schema id, to_sql_specific_name id,
    as_locator yn, created ts, last_altered ts, new_savepoint_level yn, is_udt_dependent yn,
    result_cast_from_data_type chr, result_cast_as_locator yn, result_cast_char_max_length num,
    result_cast_char_octet_length num, result_cast_char_set_catalog id, result_cast_char_set_schema id,
    result_cast_char_set_name id, result_cast_collation_catalog id, result_cast_collation_schema id,
    result_cast_collation_name id, result_cast_numeric_precision num, result_cast_numeric_precision_radix num,
    result_cast_numeric_scale num, result_cast_datetime_precision num, result_cast_interval_type chr,
    result_cast_interval_precision num, result_cast_type_udt_catalog id,
    result_cast_type_udt_schema id, result_cast_type_udt_name id, result_cast_scope_catalog id,
    result_cast_scope_schema id, result_cast_scope_name id, result_cast_maximum_cardinality num,
    result_cast_dtd_identifier id`),
  isView('parameters', 'instance', `specific_catalog id, specific_schema id, specific_name id,
    ordinal_position num, parameter_mode chr, is_result yn, as_locator yn, parameter_name id, ${dataTypeBlock()},
    udt_catalog id, udt_schema id, udt_name id, scope_catalog id, scope_schema id, scope_name id,
    maximum_cardinality num, dtd_identifier id, parameter_default chr`),
  isView('character_sets', 'derived', `character_set_catalog id, character_set_schema id, character_set_name id,
    character_repertoire id, form_of_use id, default_collate_catalog id, default_collate_schema id,
    default_collate_name id`),
  isView('sequences', 'instance', `sequence_catalog id, sequence_schema id, sequence_name id, data_type chr,
    numeric_precision num, numeric_precision_radix num, numeric_scale num, start_value chr, minimum_value chr,
    maximum_value chr, increment chr, cycle_option yn`),
  isView('triggers', 'instance', `trigger_catalog id, trigger_schema id, trigger_name id, event_manipulation chr,
    event_object_catalog id, event_object_schema id, event_object_table id, action_order num,
    action_condition chr, action_statement chr, action_orientation chr, action_timing chr,
    action_reference_old_table id, action_reference_new_table id, action_reference_old_row id,
    action_reference_new_row id, created ts`),
  isView('domains', 'instance', `domain_catalog id, domain_schema id, domain_name id, ${dataTypeBlock()},
    domain_default chr, udt_catalog id, udt_schema id, udt_name id, scope_catalog id, scope_schema id,
    scope_name id, maximum_cardinality num, dtd_identifier id`),
  isView('table_privileges', 'derived', `grantor id, grantee id, table_catalog id, table_schema id,
    table_name id, privilege_type chr, is_grantable yn, with_hierarchy yn`),
  isView('role_table_grants', 'derived', `grantor id, grantee id, table_catalog id, table_schema id,
    table_name id, privilege_type chr, is_grantable yn, with_hierarchy yn`),
  isView('enabled_roles', 'derived', 'role_name id'),
  isView('applicable_roles', 'derived', 'grantee id, role_name id, is_grantable yn'),
  isView('view_table_usage', 'derived', `view_catalog id, view_schema id, view_name id, table_catalog id,
    table_schema id, table_name id`),
  isView('element_types', 'instance', `object_catalog id, object_schema id, object_name id, object_type chr,
    collection_type_identifier id, ${dataTypeBlock()}, domain_default chr, udt_catalog id, udt_schema id,
    udt_name id, scope_catalog id, scope_schema id, scope_name id, maximum_cardinality num, dtd_identifier id`),
];
