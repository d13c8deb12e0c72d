-- KT080 執行停止・不納欠損: one record per migrated SHOBUN row (setup-layouts.md §8 KT080).
with dispositions as (
    select * from {{ ref('int_dispositions') }}
    where outcome = 'MIGRATED'
)

select
    '2'::text as record_type,
    dispositions.household_no::text as household_no,
    dispositions.disposition_id::bigint as disposition_no,
    dispositions.fiscal_year::integer as fiscal_year,
    dispositions.period::integer as period,
    coalesce(dispositions.disposition_type, '')::text as disposition_type,
    coalesce(dispositions.legal_basis, '')::text as legal_basis,
    dispositions.disposition_date::date as disposition_date,
    dispositions.amount::bigint as amount
from dispositions
