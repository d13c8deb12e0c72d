-- KT060 分納誓約: one record per migrated BUNNO_SEIYAKU row (setup-layouts.md §8 KT060).
with pledges as (
    select * from {{ ref('int_pledges') }}
    where outcome = 'MIGRATED'
)

select
    '2'::text as record_type,
    pledges.household_no::text as household_no,
    pledges.pledge_id::bigint as pledge_no,
    pledges.pledge_date::date as pledge_date,
    pledges.start_month::date as start_month,
    coalesce(pledges.installments, 0)::integer as installments,
    pledges.monthly_amount::bigint as monthly_amount,
    pledges.pledged_amount::bigint as pledged_amount,
    coalesce(pledges.status, '')::text as status
from pledges
