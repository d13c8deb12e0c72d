-- 件数突合（ACCOUNTING.csv）。setup-layouts.md §6: for every legacy table, records in
-- the file = _CONTROL's RECORD_COUNT = records loaded = migrated + deleted + out of
-- scope + quarantined by category; for CHOTEI and SHUNO the same for the amount totals
-- (legacy amounts as dumped, however many digits, as _CONTROL sums them: macro
-- amount_as_dumped; an unreadable amount counts 0). LOADED is counted from the
-- loaded table itself, the categories from the rules' decisions, so a row lost or
-- counted twice anywhere between them shows as unbalanced.
{#- The tables, their decision models and amounts, and the rows' order: the table
    registry (var legacy_tables, macros/legacy_tables.sql). A table no model decides is
    never migrated: its rows are DELETED (SAKUJO_FLG) or OUT_OF_SCOPE. #}
{%- set tables = legacy_tables() %}
{%- set with_amount = "'" ~ tables | selectattr('amount') | map(attribute='table_name')
                                   | join("', '") ~ "'" %}
{%- set categories = ['MIGRATED', 'DELETED', 'OUT_OF_SCOPE', 'ORPHAN', 'INVALID_VALUE',
                      'FUTURE_DATE', 'UNMATCHED_PAYMENT', 'UNMATCHED_DISPOSITION'] %}

with decided as (
    {%- for table in tables %}
        {%- if table.decided_by %}
            select
                {{ table.row_order }} as row_order,
                '{{ table.table_name }}' as table_name,
                decisions.outcome,
                count(*) as records,
                sum(coalesce({{ 'decisions.' ~ table.amount if table.amount else 'null::bigint' }}, 0))
                    as amount
            from {{ ref(table.decided_by) }} as decisions
            group by decisions.outcome
        {%- elif 'sakujo_flg' in table.columns %}
            select
                {{ table.row_order }} as row_order,
                '{{ table.table_name }}' as table_name,
                never_migrated.outcome,
                count(*) as records,
                0 as amount
            from (
                select case when is_deleted then 'DELETED' else 'OUT_OF_SCOPE' end as outcome
                from {{ ref(table.staging) }}
            ) as never_migrated
            group by never_migrated.outcome
        {%- else %}
            select
                {{ table.row_order }} as row_order,
                '{{ table.table_name }}' as table_name,
                'OUT_OF_SCOPE' as outcome,
                count(*) as records,
                0 as amount
            from {{ ref(table.staging) }}
        {%- endif %}
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

loaded as (
    {%- for table in tables %}
        select
            '{{ table.table_name }}' as table_name,
            count(*) as records,
            {%- if table.decided_by %}
                sum(coalesce({{ 'loaded_rows.' ~ table.amount if table.amount else 'null::bigint' }}, 0))
                    as amount
            {%- else %}
                0 as amount
            {%- endif %}
        -- the alias is used by the tables with an amount
        from {{ ref(table.staging) }} as loaded_rows -- noqa: AL05
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

record_rows as (
    select
        {%- for category in categories %}
            coalesce(sum(decided.records) filter (where decided.outcome = '{{ category }}'), 0)
                as {{ category | lower }},
        {%- endfor %}
        min(decided.row_order) as row_order,
        'RECORDS' as measure,
        decided.table_name
    from decided
    group by decided.table_name
),

amount_rows as (
    select
        {%- for category in categories %}
            coalesce(sum(decided.amount) filter (where decided.outcome = '{{ category }}'), 0)
                as {{ category | lower }},
        {%- endfor %}
        min(decided.row_order) + 1 as row_order,
        case
            {%- for table in tables if table.amount %}
                when decided.table_name = '{{ table.table_name }}' then '{{ table.amount_measure }}'
            {%- endfor %}
        end as measure,
        decided.table_name
    from decided
    where decided.table_name in ({{ with_amount }})
    group by decided.table_name
),

counted as (
    select
        record_rows.*,
        load_log.file_records as file_value,
        control.record_count as control_value,
        loaded.records as loaded_value
    from record_rows
    left join {{ ref('stg_legacy__load_log') }} as load_log
        on record_rows.table_name = load_log.table_name
    left join {{ ref('stg_legacy__control') }} as control
        on record_rows.table_name = control.table_name
    left join loaded on record_rows.table_name = loaded.table_name

    union all

    select
        amount_rows.*,
        load_log.file_amount_total as file_value,
        control.amount_total as control_value,
        loaded.amount as loaded_value
    from amount_rows
    left join {{ ref('stg_legacy__load_log') }} as load_log
        on amount_rows.table_name = load_log.table_name
    left join {{ ref('stg_legacy__control') }} as control
        on amount_rows.table_name = control.table_name
    left join loaded on amount_rows.table_name = loaded.table_name
),

measured as (
    select
        counted.*,
        {%- for category in categories if category != 'MIGRATED' %}
            counted.{{ category | lower }} {{ "+" if not loop.last }}
        {%- endfor %} as excluded
    from counted
)

select
    table_name::text as table_name,
    measure::text as measure,
    file_value::bigint as file_value,
    control_value::bigint as control_value,
    loaded_value::bigint as loaded_value,
    {%- for category in categories %}
        {{ category | lower }}::bigint as {{ category | lower }},
    {%- endfor %}
    case
        when
            file_value = control_value
            and control_value = loaded_value
            and loaded_value = migrated + excluded
            then 'Y'
        else 'N'
    end::text as balanced,
    row_order::integer as row_order,
    excluded::bigint as excluded
from measured
