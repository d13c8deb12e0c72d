-- 収納の移行区分と KT040 の項目値。setup-layouts.md §5: FUTURE_DATE when 収納日 is
-- after the 基準日; UNMATCHED_PAYMENT when no migrated CHOTEI row has its SETAI_NO,
-- 相当年度 and 期別. §3: NOFU_CD through the code map (an unmapped code stops the build).
{{ config(post_hook=["{{ fail_on_unmapped_codes([
    ('NOFU', 'legacy_payment_method', 'payment_method'),
]) }}"]) }}

with shuno as (
    select * from {{ ref('stg_legacy__shuno') }}
),

households as (
    select * from {{ ref('int_households') }}
),

payment_methods as (
    select * from {{ ref('code_map') }}
    where legacy_kind = 'NOFU'
),

checked as (
    select
        shuno.*,
        households.scope as household_scope,
        shuno.paid_date > {{ as_of_date() }} as is_future,
        migrated_periods.household_no is null as is_unmatched,
        {{ unreadable_columns([
            ('shuno.payment_id_unreadable', 'SHUNO_ID', 'not digits'),
            ('shuno.fiscal_year_unreadable', 'SOTO_NENDO', 'not a fiscal year (NEN3)'),
            ('shuno.period_unreadable', 'KIBETSU', 'not 01-10'),
            ('shuno.paid_date_unreadable', 'SHUNO_YMD', 'not a date (YMD8)'),
            ('shuno.premium_amount_unreadable', 'HONRYO_GAKU', 'not an integer'),
            ('shuno.late_fee_amount_unreadable', 'ENTAIKIN_GAKU', 'not an integer'),
            ('shuno.is_deleted_unreadable', 'SAKUJO_FLG', 'not 0, 1 or empty'),
        ]) }} as unreadable
    from shuno
    left join households on shuno.household_no = households.household_no
    -- a migrated CHOTEI row is unique per household, 相当年度 and 期別 (the loader checks)
    left join {{ ref('int_assessments') }} as migrated_periods
        on
            shuno.household_no = migrated_periods.household_no
            and shuno.fiscal_year = migrated_periods.fiscal_year
            and shuno.period = migrated_periods.period
            and migrated_periods.outcome = 'MIGRATED'
    -- the unreadable list is built once per row (OFFSET 0), not once per use
    offset 0  -- noqa: AM09
)

select
    checked.payment_key,
    checked.payment_id,
    checked.household_no,
    {{ row_outcome('checked.is_deleted', 'checked.household_scope', 'checked.unreadable',
                   'coalesce(checked.is_future, false)', 'checked.is_unmatched',
                   'UNMATCHED_PAYMENT') }} as outcome,
    {{ quarantine_reasons('checked.is_deleted', 'checked.household_scope', 'checked.unreadable',
                          'coalesce(checked.is_future, false)', 'SHUNO_YMD',
                          'checked.is_unmatched') }} as quarantine_reasons,
    checked.fiscal_year,
    checked.period,
    checked.paid_date,
    checked.premium_amount,
    checked.premium_amount_as_dumped,
    checked.late_fee_amount,
    checked.payment_method_code as legacy_payment_method,
    payment_methods.new_code as payment_method,
    checked.source_line
from checked
left join payment_methods on checked.payment_method_code = payment_methods.legacy_code
