-- KT030 期別調定: one record per migrated CHOTEI row (setup-layouts.md §8 KT030, §5).
-- int_prescription carries each period's amounts (int_period_amounts) beside its
-- prescription dates: one model, no join.
with periods as (
    select * from {{ ref('int_prescription') }}
)

select
    '2'::text as record_type,
    periods.household_no::text as household_no,
    periods.fiscal_year::integer as fiscal_year,
    periods.assessed_year::integer as assessed_year,
    periods.period::integer as period,
    periods.medical_amount::bigint as medical_amount,
    periods.support_amount::bigint as support_amount,
    periods.care_amount::bigint as care_amount,
    periods.assessed_amount::bigint as assessed_amount,
    periods.paid_amount::bigint as paid_amount,
    periods.written_off_amount::bigint as written_off_amount,
    periods.unpaid_amount::bigint as unpaid_amount,
    periods.overpaid_amount::bigint as overpaid_amount,
    periods.due_date::date as due_date,
    periods.demand_date::date as demand_date,
    periods.suspended::integer as suspended,
    periods.prescription_start::date as prescription_start,
    periods.prescription_date::date as prescription_date
from periods
