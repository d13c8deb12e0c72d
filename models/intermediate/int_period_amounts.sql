-- 期別ごとの金額と執行停止区分（KT030）。setup-layouts.md §5 "Per period":
--   調定額 A = 医療分 + 支援金分 + 介護分 (CHOTEI_GAKU is not used; a difference is a
--   CHOTEI_SUM_MISMATCH warning); 収納済額 P = Σ HONRYO_GAKU of the period's migrated
--   SHUNO rows (reversals included); 不納欠損額 W = Σ SHOBUN_GAKU of its migrated SHOBUN
--   rows with SHOBUN_CD 03; r = A − P − W; 未納額 U = max(r, 0); 過誤納額 O = max(−r, 0);
--   執行停止区分 = 1 when the latest (処分日, then 処分番号) of its migrated SHOBUN rows
--   with SHOBUN_CD 01 or 02 is 01. An undated disposition counts as the earliest.
--   For §5's prescription (int_prescription) it also keeps the day after the period's
--   last migrated payment with HONRYO_GAKU > 0 (even one reversed later).
with assessments as (
    select * from {{ ref('int_assessments') }}
    where outcome = 'MIGRATED'
),

payments as (
    select
        payments.household_no,
        payments.fiscal_year,
        payments.period,
        sum(payments.premium_amount) as paid_amount,
        -- the prescription's part-payment day (int_prescription), from the same scan
        max(payments.paid_date) filter (where payments.premium_amount > 0) + 1
            as day_after_last_payment
    from {{ ref('int_payments') }} as payments
    where payments.outcome = 'MIGRATED'
    group by payments.household_no, payments.fiscal_year, payments.period
),

dispositions as (
    select * from {{ ref('int_dispositions') }}
    where outcome = 'MIGRATED'
),

write_offs as (
    select
        dispositions.household_no,
        dispositions.fiscal_year,
        dispositions.period,
        sum(dispositions.amount) as written_off_amount
    from dispositions
    where dispositions.legacy_disposition_type = '03'
    group by dispositions.household_no, dispositions.fiscal_year, dispositions.period
),

latest_suspension as (
    select distinct on (dispositions.household_no, dispositions.fiscal_year, dispositions.period)
        dispositions.household_no,
        dispositions.fiscal_year,
        dispositions.period,
        dispositions.legacy_disposition_type
    from dispositions
    where dispositions.legacy_disposition_type in ('01', '02')
    order by
        dispositions.household_no asc,
        dispositions.fiscal_year asc,
        dispositions.period asc,
        dispositions.disposition_date desc nulls last,
        dispositions.disposition_id desc
),

amounts as (
    select
        assessments.assessment_key,
        assessments.household_no,
        assessments.fiscal_year,
        assessments.assessed_year,
        assessments.period,
        assessments.medical_amount,
        assessments.support_amount,
        assessments.care_amount,
        assessments.medical_amount + assessments.support_amount + assessments.care_amount
            as assessed_amount,
        assessments.recorded_amount,
        coalesce(payments.paid_amount, 0) as paid_amount,
        payments.day_after_last_payment,
        coalesce(write_offs.written_off_amount, 0) as written_off_amount,
        assessments.due_date,
        assessments.demand_date,
        case when latest_suspension.legacy_disposition_type = '01' then 1 else 0 end as suspended
    from assessments
    left join payments
        on
            assessments.household_no = payments.household_no
            and assessments.fiscal_year = payments.fiscal_year
            and assessments.period = payments.period
    left join write_offs
        on
            assessments.household_no = write_offs.household_no
            and assessments.fiscal_year = write_offs.fiscal_year
            and assessments.period = write_offs.period
    left join latest_suspension
        on
            assessments.household_no = latest_suspension.household_no
            and assessments.fiscal_year = latest_suspension.fiscal_year
            and assessments.period = latest_suspension.period
)

select
    amounts.*,
    greatest(amounts.assessed_amount - amounts.paid_amount - amounts.written_off_amount, 0)
        as unpaid_amount,
    greatest(amounts.paid_amount + amounts.written_off_amount - amounts.assessed_amount, 0)
        as overpaid_amount,
    amounts.recorded_amount <> amounts.assessed_amount as is_sum_mismatch
from amounts
