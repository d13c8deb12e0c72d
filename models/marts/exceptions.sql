-- 例外一覧（EXCEPTIONS.csv、職員用）。setup-layouts.md §5, §7. One row per exception:
-- every row kept out (category = its disposition, severity ERROR, one row per unreadable
-- column), and the warnings on migrated rows: CHOTEI_SUM_MISMATCH, TRUNCATED,
-- PRESCRIPTION_PASSED, GAIJI_UNMAPPED (ERROR in a production round). Keys, column names
-- and code points only, never a name or free text.
{#- The migrated tables, their decision models and key columns: the table registry
    (var legacy_tables, macros/legacy_tables.sql). A decision model's TRUNCATED flags are
    its columns with meta truncated_column (the legacy column cut) and truncation (how). #}
{%- set tables = decided_tables() %}
{%- set truncations = truncation_flags(tables) %}

with kept_out as (
    {%- for table in tables %}
        select
            rows_kept_out.outcome as category,
            '{{ table.table_name }}' as table_name,
            rows_kept_out.{{ table.key }} as legacy_key,
            reason.entry
        from {{ ref(table.decided_by) }} as rows_kept_out
        cross join lateral string_to_table(rows_kept_out.quarantine_reasons, E'\n') as reason (entry)
        where rows_kept_out.quarantine_reasons <> ''
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

truncated as (
    {%- for flag in truncations %}
        select
            '{{ flag.table.table_name }}' as table_name,
            migrated.{{ flag.table.key }} as legacy_key,
            '{{ flag.column_name }}' as column_name,
            '{{ flag.detail }}' as detail
        from {{ ref(flag.table.decided_by) }} as migrated
        where migrated.outcome = 'MIGRATED' and migrated.{{ flag.flag }}
        {{ "union all" if not loop.last }}
    {%- endfor %}
    {%- if not truncations %}
        -- no TRUNCATED flag declared (or dbt is parsing)
        select
            null::text as table_name,
            null::text as legacy_key,
            null::text as column_name,
            null::text as detail
        where false
    {%- endif %}
),

all_exceptions as (
    select
        kept_out.category,
        'ERROR' as severity,
        kept_out.table_name,
        kept_out.legacy_key,
        split_part(kept_out.entry, '|', 1) as column_name,
        split_part(kept_out.entry, '|', 2) as detail
    from kept_out

    union all

    select
        'CHOTEI_SUM_MISMATCH' as category,
        'WARNING' as severity,
        'CHOTEI' as table_name,
        periods.assessment_key as legacy_key,
        'CHOTEI_GAKU' as column_name,
        'differs from IRYO_GAKU + SHIEN_GAKU + KAIGO_GAKU; the sum is used' as detail
    from {{ ref('int_period_amounts') }} as periods
    where periods.is_sum_mismatch

    union all

    select
        'TRUNCATED' as category,
        'WARNING' as severity,
        truncated.table_name,
        truncated.legacy_key,
        truncated.column_name,
        truncated.detail
    from truncated

    union all

    select
        'PRESCRIPTION_PASSED' as category,
        'WARNING' as severity,
        'CHOTEI' as table_name,
        prescription.assessment_key as legacy_key,
        '' as column_name,
        '時効完成予定日 is before the 基準日 and 未納額 > 0: should have been written off'
            as detail
    from {{ ref('int_prescription') }} as prescription
    where prescription.is_prescription_passed

    union all

    select
        'GAIJI_UNMAPPED' as category,
        case when {{ is_production_round() }} then 'ERROR' else 'WARNING' end as severity,
        gaiji.table_name,
        gaiji.legacy_key,
        gaiji.column_name,
        gaiji.code_point || ' is not in seeds/gaiji_map.csv: written as 〓 (U+3013)' as detail
    from {{ ref('int_gaiji_occurrences') }} as gaiji
    where not gaiji.is_mapped
)

select
    category::text as category,
    severity::text as severity,
    table_name::text as table_name,
    legacy_key::text as legacy_key,
    column_name::text as column_name,
    detail::text as detail
from all_exceptions
