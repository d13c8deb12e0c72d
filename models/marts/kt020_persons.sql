-- KT020 世帯員: one record per migrated person (setup-layouts.md §8 KT020).
with persons as (
    select * from {{ ref('int_persons') }}
    where outcome = 'MIGRATED'
)

select
    '2'::text as record_type,
    persons.atena_no::text as atena_no,
    persons.household_no::text as household_no,
    persons.name::text as name,
    persons.name_kana::text as name_kana,
    persons.alias_name::text as alias_name,
    persons.birth_date::date as birth_date,
    persons.sex::integer as sex,
    coalesce(persons.relationship_code, '')::text as relationship_code,
    persons.nationality::integer as nationality,
    persons.insured::integer as insured,
    persons.eligibility_start::date as eligibility_start,
    persons.eligibility_end::date as eligibility_end
from persons
