-- KT050 交渉経過: one record per line piece of a migrated negotiation record
-- (setup-layouts.md §8 KT050, §5 "Negotiation text").
with negotiations as (
    select * from {{ ref('int_negotiations') }}
    where outcome = 'MIGRATED'
),

lines as (
    select * from {{ ref('int_negotiation_lines') }}
)

select
    '2'::text as record_type,
    negotiations.household_no::text as household_no,
    negotiations.negotiation_id::bigint as record_no,
    lines.line_no::integer as line_no,
    negotiations.contact_date::date as contact_date,
    coalesce(negotiations.contact_method, '')::text as contact_method,
    coalesce(negotiations.counterpart, '')::text as counterpart,
    negotiations.collector_code::text as collector_code,
    lines.line_text::text as text
from negotiations
inner join lines on negotiations.negotiation_key = lines.negotiation_key
