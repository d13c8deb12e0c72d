-- KT070 差押: one record per migrated SASHIOSAE row (setup-layouts.md §8 KT070).
with seizures as (
    select * from {{ ref('int_seizures') }}
    where outcome = 'MIGRATED'
)

select
    '2'::text as record_type,
    seizures.household_no::text as household_no,
    seizures.seizure_id::bigint as seizure_no,
    seizures.seizure_date::date as seizure_date,
    coalesce(seizures.property_type, '')::text as property_type,
    seizures.third_party::text as third_party,
    seizures.seized_amount::bigint as seized_amount,
    seizures.applied_amount::bigint as applied_amount,
    seizures.release_date::date as release_date
from seizures
