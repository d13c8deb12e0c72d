-- KT010 滞納世帯: one record per migrated household (setup-layouts.md §8 KT010).
with households as (
    select * from {{ ref('int_households') }}
    where outcome = 'MIGRATED'
),

arrears as (
    select * from {{ ref('int_household_arrears') }}
)

select
    '2'::text as record_type,
    households.household_no::text as household_no,
    households.head_atena_no::text as head_atena_no,
    households.nominal_head::integer as nominal_head,
    households.postal_code::text as postal_code,
    households.address::text as address,
    households.address_extra::text as address_extra,
    households.phone::text as phone,
    households.district_code::text as district_code,
    households.collector_code::text as collector_code,
    arrears.member_count::integer as member_count,
    arrears.arrears_total::bigint as arrears_total,
    arrears.arrears_periods::integer as arrears_periods,
    arrears.oldest_arrears_year::integer as oldest_arrears_year,
    arrears.pledge_active::integer as pledge_active,
    arrears.seizure_active::integer as seizure_active
from households
inner join arrears on households.household_no = arrears.household_no
