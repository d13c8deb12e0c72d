-- 件数突合（ACCOUNTING.csv）。setup-layouts.md §6: for every legacy table, records in
-- the file = _CONTROL's RECORD_COUNT = records loaded = migrated + deleted + out of
-- scope + quarantined by category; for CHOTEI and SHUNO the same for the amount totals
-- (legacy amounts as dumped, however many digits, as _CONTROL sums them: macro
-- amount_as_dumped; an unreadable amount counts 0). LOADED is counted from the
-- loaded table itself, the categories from the rules' decisions, so a row lost or
-- counted twice anywhere between them shows as unbalanced.
{%- set tables = [
    (1, 'SETAI', 'int_households', 'stg_legacy__setai', none),
    (2, 'KOJIN', 'int_persons', 'stg_legacy__kojin', none),
    (3, 'CHOTEI', 'int_assessments', 'stg_legacy__chotei', 'recorded_amount_as_dumped'),
    (5, 'SHUNO', 'int_payments', 'stg_legacy__shuno', 'premium_amount_as_dumped'),
    (7, 'KOSHO_KEIKA', 'int_negotiations', 'stg_legacy__kosho_keika', none),
    (8, 'BUNNO_SEIYAKU', 'int_pledges', 'stg_legacy__bunno_seiyaku', none),
    (9, 'SASHIOSAE', 'int_seizures', 'stg_legacy__sashiosae', none),
    (10, 'SHOBUN', 'int_dispositions', 'stg_legacy__shobun', none),
] %}
{%- set categories = ['MIGRATED', 'DELETED', 'OUT_OF_SCOPE', 'ORPHAN', 'INVALID_VALUE',
                      'FUTURE_DATE', 'UNMATCHED_PAYMENT', 'UNMATCHED_DISPOSITION'] %}

with decided as (
    {%- for row_order, table_name, model, staging, amount in tables %}
        select
            {{ row_order }} as row_order,
            '{{ table_name }}' as table_name,
            decisions.outcome,
            count(*) as records,
            sum(coalesce({{ 'decisions.' ~ amount if amount else 'null::bigint' }}, 0)) as amount
        from {{ ref(model) }} as decisions
        group by decisions.outcome
        union all
    {%- endfor %}
    select
        11 as row_order,
        'TANTOSHA' as table_name,
        tantosha.outcome,
        count(*) as records,
        0 as amount
    from (
        select case when is_deleted then 'DELETED' else 'OUT_OF_SCOPE' end as outcome
        from {{ ref('stg_legacy__tantosha') }}
    ) as tantosha
    group by tantosha.outcome
    union all
    select
        12 as row_order,
        'CODE_MST' as table_name,
        'OUT_OF_SCOPE' as outcome,
        count(*) as records,
        0 as amount
    from {{ ref('stg_legacy__code_mst') }}
),

loaded as (
    {%- for row_order, table_name, model, staging, amount in tables %}
        select
            '{{ table_name }}' as table_name,
            count(*) as records,
            sum(coalesce({{ 'loaded_rows.' ~ amount if amount else 'null::bigint' }}, 0)) as amount
        -- the alias is used by the tables with an amount
        from {{ ref(staging) }} as loaded_rows -- noqa: AL05
        union all
    {%- endfor %}
    select
        'TANTOSHA' as table_name,
        count(*) as records,
        0 as amount
    from {{ ref('stg_legacy__tantosha') }}
    union all
    select
        'CODE_MST' as table_name,
        count(*) as records,
        0 as amount
    from {{ ref('stg_legacy__code_mst') }}
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
        'AMOUNT:' || case when decided.table_name = 'CHOTEI' then 'CHOTEI_GAKU' else 'HONRYO_GAKU' end
            as measure,
        decided.table_name
    from decided
    where decided.table_name in ('CHOTEI', 'SHUNO')
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
