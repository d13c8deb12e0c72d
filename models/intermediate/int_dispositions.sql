-- 執行停止・不納欠損の移行区分と KT080 の項目値。setup-layouts.md §5: FUTURE_DATE when
-- 処分日 is after the 基準日; UNMATCHED_DISPOSITION when no migrated CHOTEI row has its
-- SETAI_NO, 相当年度 and 期別. §3: SHOBUN_CD mapped, KONKYO_CD kept (a known code).
{{ config(post_hook=["{{ fail_on_unmapped_codes([
    ('SHOBUN', 'legacy_disposition_type', 'disposition_type'),
    ('KONKYO', 'legacy_legal_basis', 'legal_basis'),
]) }}"]) }}

with shobun as (
    select * from {{ ref('stg_legacy__shobun') }}
),

households as (
    select * from {{ ref('int_households') }}
),

disposition_types as (
    select * from {{ ref('code_map') }}
    where legacy_kind = 'SHOBUN'
),

legal_bases as (
    select * from {{ ref('code_map') }}
    where legacy_kind = 'KONKYO'
),

checked as (
    select
        shobun.*,
        households.scope as household_scope,
        shobun.disposition_date > {{ as_of_date() }} as is_future,
        migrated_periods.household_no is null as is_unmatched,
        {{ unreadable_columns([
            ('shobun.disposition_id_unreadable', 'SHOBUN_NO', 'not digits'),
            ('shobun.fiscal_year_unreadable', 'SOTO_NENDO', 'not a fiscal year (NEN3)'),
            ('shobun.period_unreadable', 'KIBETSU', 'not 01-10'),
            ('shobun.disposition_date_unreadable', 'SHOBUN_YMD', 'not a date (YMD7)'),
            ('shobun.amount_unreadable', 'SHOBUN_GAKU', 'not an integer'),
            ('shobun.is_deleted_unreadable', 'SAKUJO_FLG', 'not 0, 1 or empty'),
        ]) }} as unreadable
    from shobun
    left join households on shobun.household_no = households.household_no
    -- a migrated CHOTEI row is unique per household, 相当年度 and 期別 (the loader checks)
    left join {{ ref('int_assessments') }} as migrated_periods
        on
            shobun.household_no = migrated_periods.household_no
            and shobun.fiscal_year = migrated_periods.fiscal_year
            and shobun.period = migrated_periods.period
            and migrated_periods.outcome = 'MIGRATED'
    -- the unreadable list is built once per row (OFFSET 0), not once per use
    offset 0  -- noqa: AM09
)

select
    checked.disposition_key,
    checked.disposition_id,
    checked.household_no,
    {{ row_outcome('checked.is_deleted', 'checked.household_scope', 'checked.unreadable',
                   'coalesce(checked.is_future, false)', 'checked.is_unmatched',
                   'UNMATCHED_DISPOSITION') }} as outcome,
    {{ quarantine_reasons('checked.is_deleted', 'checked.household_scope', 'checked.unreadable',
                          'coalesce(checked.is_future, false)', 'SHOBUN_YMD',
                          'checked.is_unmatched') }} as quarantine_reasons,
    checked.fiscal_year,
    checked.period,
    checked.disposition_type_code as legacy_disposition_type,
    disposition_types.new_code as disposition_type,
    checked.legal_basis_code as legacy_legal_basis,
    legal_bases.new_code as legal_basis,
    checked.disposition_date,
    checked.amount,
    checked.source_line
from checked
left join disposition_types on checked.disposition_type_code = disposition_types.legacy_code
left join legal_bases on checked.legal_basis_code = legal_bases.legacy_code
