-- 職員の検証用：旧システムの行とセットアップレコードを項目ごとに並べる（縦持ち）。
-- One row per field: every legacy row of the eight data tables (as dumped, with its
-- outcome) and every setup record made from it, keyed by household, table and legacy
-- key. Staff filter by household; the verification workbook lays the two sides next to
-- each other. Staff only: it holds personal data (特記事項: 実データの検証は職員が行う).
{#- The eight data tables, their decision models, keys and setup files: the table
    registry (var legacy_tables, macros/legacy_tables.sql); how a setup record meets its
    legacy row: the mart's meta legacy_rows (setup_file_join). #}
{%- set tables = decided_tables() %}

with legacy_rows as (
    {%- for table in tables %}
        select
            '{{ table.table_name }}' as table_name,
            raw_row.setai_no as household_no,
            raw_row.{{ table.legacy_key or 'setai_no' }} as legacy_key,
            decided.outcome,
            to_jsonb(raw_row) as row_fields
        from {{ source('legacy', table.source) }} as raw_row
        inner join {{ ref(table.decided_by) }} as decided
            on raw_row.{{ table.legacy_key or 'setai_no' }} = decided.{{ table.key }}
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

setup_records as (
    {%- for table in tables if table.setup_file %}
        {%- set join = setup_file_join(table) if execute
                       else {'condition': 'true', 'file_id': '', 'record_no': none} %}
        select
            '{{ table.table_name }}' as table_name,
            decided.{{ table.key }} as legacy_key,
            '{{ join.file_id }}' as file_id,
            {{ 'setup.' ~ join.record_no if join.record_no else '1' }} as record_no,
            to_jsonb(setup) as row_fields
        from {{ ref(table.setup_file) }} as setup
        inner join {{ ref(table.decided_by) }} as decided
            on
                {{ join.condition }}
                and decided.outcome = 'MIGRATED'
        {{ "union all" if not loop.last }}
    {%- endfor %}
)

select
    legacy_rows.household_no,
    legacy_rows.table_name,
    legacy_rows.legacy_key,
    legacy_rows.outcome,
    'LEGACY' as side,
    null::text as file_id,
    1 as record_no,
    field.key as field_name,
    field.value as field_value
from legacy_rows
cross join lateral jsonb_each_text(legacy_rows.row_fields) as field
union all
select
    legacy_rows.household_no,
    setup_records.table_name,
    setup_records.legacy_key,
    legacy_rows.outcome,
    'SETUP' as side,
    setup_records.file_id,
    setup_records.record_no,
    field.key as field_name,
    field.value as field_value
from setup_records
inner join legacy_rows
    on
        setup_records.table_name = legacy_rows.table_name
        and setup_records.legacy_key = legacy_rows.legacy_key
cross join lateral jsonb_each_text(setup_records.row_fields) as field
