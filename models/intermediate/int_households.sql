-- 世帯の移行区分と KT010 の項目値。setup-layouts.md §5 (scope), §2 (fields).
-- In scope: a SETAI row not deleted with at least one CHOTEI row not deleted.
-- scope tells every other table what its household is: IN_SCOPE, UNREADABLE (in scope
-- but one of its own values cannot be read: no KT010 record, its rows are
-- INVALID_VALUE on SETAI_NO), or OUT_OF_SCOPE.
with setai as (
    select * from {{ ref('stg_legacy__setai') }}
),

assessed as (
    select distinct chotei.household_no
    from {{ ref('stg_legacy__chotei') }} as chotei
    where not chotei.is_deleted
),

checked as (
    select
        setai.*,
        assessed.household_no is not null as has_live_assessment,
        {{ unreadable_columns([
            ('setai.household_no_unreadable', 'SETAI_NO', 'not 10 digits'),
            ('setai.head_atena_no_unreadable', 'SETAINUSHI_ATENA_NO', 'not 10 digits'),
            ('setai.is_nominal_head_unreadable', 'GISEI_FLG', 'not 0, 1 or empty'),
            (x_code_is_invalid('setai.district_code_text', 2), 'CHIKU_CD', 'not ASCII or longer than X(2)'),
            (x_code_is_invalid('setai.collector_code_text', 4), 'TANTO_CD', 'not ASCII or longer than X(4)'),
            ('setai.registered_on_unreadable', 'TOROKU_YMD', 'not a date (YMD7)'),
            ('setai.updated_on_unreadable', 'KOSIN_YMD', 'not a date (YMD7)'),
            ('setai.is_deleted_unreadable', 'SAKUJO_FLG', 'not 0, 1 or empty'),
        ]) }} as unreadable
    from setai
    left join assessed on setai.household_no = assessed.household_no
),

scoped as (
    select
        checked.*,
        case
            when checked.is_deleted or not checked.has_live_assessment then 'OUT_OF_SCOPE'
            when cardinality(checked.unreadable) > 0 then 'UNREADABLE'
            else 'IN_SCOPE'
        end as scope,
        -- the household row's own scope, for the row order of §5 (its unreadable
        -- values are its own, not its household's)
        case
            when checked.is_deleted or not checked.has_live_assessment then 'OUT_OF_SCOPE'
            else 'IN_SCOPE'
        end as own_scope,
        -- each N text and the unreadable list are computed once per row (OFFSET 0:
        -- PostgreSQL would otherwise copy them into every expression that reads them)
        {{ to_n_text('checked.address') }} as address_n_text,
        {{ to_n_text('checked.address_extra') }} as address_extra_n_text
    from checked
    offset 0  -- noqa: AM09
),

converted as (
    select
        scoped.household_no,
        scoped.scope,
        {{ row_outcome('scoped.is_deleted', 'scoped.own_scope', 'scoped.unreadable') }} as outcome,
        {{ quarantine_reasons('scoped.is_deleted', 'scoped.own_scope', 'scoped.unreadable') }}
            as quarantine_reasons,
        scoped.head_atena_no,
        case when scoped.is_nominal_head then 1 else 0 end as nominal_head,
        {{ x_postal('scoped.postal_code_text') }} as postal_code,
        {{ cp932_truncate('scoped.address_n_text', 80) }} as address,
        {{ n_is_truncated('scoped.address_n_text', 80) }} as address_truncated,
        {{ cp932_truncate('scoped.address_extra_n_text', 60) }} as address_extra,
        {{ n_is_truncated('scoped.address_extra_n_text', 60) }} as address_extra_truncated,
        {{ x_phone('scoped.phone_text') }} as phone,
        char_length({{ phone_digits('scoped.phone_text') }}) > 15 as phone_truncated,
        coalesce({{ x_code('scoped.district_code_text', 2) }}, '') as district_code,
        coalesce({{ x_code('scoped.collector_code_text', 4) }}, '') as collector_code,
        scoped.source_line
    from scoped
)

select * from converted
