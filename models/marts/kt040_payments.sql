-- KT040 収納履歴: one record per migrated SHUNO row (setup-layouts.md §8 KT040).
with payments as (
    select * from {{ ref('int_payments') }}
    where outcome = 'MIGRATED'
)

select
    '2'::text as record_type,
    payments.household_no::text as household_no,
    payments.payment_id::bigint as payment_no,
    payments.fiscal_year::integer as fiscal_year,
    payments.period::integer as period,
    payments.paid_date::date as paid_date,
    payments.premium_amount::bigint as premium_amount,
    payments.late_fee_amount::bigint as late_fee_amount,
    coalesce(payments.payment_method, '')::text as payment_method
from payments
