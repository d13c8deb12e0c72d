-- 期別調定の移行区分。setup-layouts.md §5: a CHOTEI row of an in-scope household,
-- not deleted, every value readable, is migrated (one KT030 record each).
with chotei as (
    select * from {{ ref('stg_legacy__chotei') }}
),

households as (
    select * from {{ ref('int_households') }}
),

checked as (
    select
        chotei.*,
        households.scope as household_scope,
        {{ unreadable_columns([
            ('chotei.assessment_id_unreadable', 'CHOTEI_ID', 'not digits'),
            ('chotei.assessed_year_unreadable', 'FUKA_NENDO', 'not a fiscal year (NEN3)'),
            ('chotei.fiscal_year_unreadable', 'SOTO_NENDO', 'not a fiscal year (NEN3)'),
            ('chotei.period_unreadable', 'KIBETSU', 'not 01-10'),
            ('chotei.medical_amount_unreadable', 'IRYO_GAKU', 'not an integer'),
            ('chotei.support_amount_unreadable', 'SHIEN_GAKU', 'not an integer'),
            ('chotei.care_amount_unreadable', 'KAIGO_GAKU', 'not an integer'),
            ('chotei.recorded_amount_unreadable', 'CHOTEI_GAKU', 'not an integer'),
            ('chotei.due_date_unreadable', 'NOKIGEN_YMD', 'not set or not a date (YMD7)'),
            ('chotei.demand_date_unreadable', 'TOKUSOKU_YMD', 'not a date (YMD7)'),
            ('chotei.is_deleted_unreadable', 'SAKUJO_FLG', 'not 0, 1 or empty'),
        ]) }} as unreadable
    from chotei
    left join households on chotei.household_no = households.household_no
    -- the unreadable list is built once per row (OFFSET 0), not once per use
    offset 0  -- noqa: AM09
)

select
    assessment_key,
    assessment_id,
    household_no,
    {{ row_outcome('is_deleted', 'household_scope', 'unreadable') }} as outcome,
    {{ quarantine_reasons('is_deleted', 'household_scope', 'unreadable') }} as quarantine_reasons,
    fiscal_year,
    assessed_year,
    period,
    medical_amount,
    support_amount,
    care_amount,
    recorded_amount,
    recorded_amount_as_dumped,
    due_date,
    demand_date,
    source_line
from checked
