-- 職員の検証用：例外一覧（EXCEPTIONS.csv）の各行に、その旧行の世帯番号を付ける（キーだけ）。
-- Every exception with the household its legacy row belongs to (keys, codes and column
-- names only): the sample of vrf_households_to_verify and the workbook read it.
{#- The migrated tables, their decision models and key columns: the table registry
    (var legacy_tables, macros/legacy_tables.sql). #}
with keyed as (
    {%- for table in decided_tables() %}
        select
            '{{ table.table_name }}' as table_name,
            decided.{{ table.key }} as legacy_key,
            decided.household_no
        from {{ ref(table.decided_by) }} as decided
        {{ "union all" if not loop.last }}
    {%- endfor %}
)

select
    keyed.household_no,
    exceptions.category,
    exceptions.severity,
    exceptions.table_name,
    exceptions.legacy_key,
    exceptions.column_name,
    exceptions.detail
from {{ ref('exceptions') }} as exceptions
inner join keyed
    on exceptions.table_name = keyed.table_name and exceptions.legacy_key = keyed.legacy_key
