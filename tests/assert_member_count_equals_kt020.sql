-- setup-layouts.md §8 KT010 世帯員数 = the household's KT020 records.
{{ gates_the_export() }}
with members as (
    select
        persons.household_no,
        count(*) as member_count
    from {{ ref('kt020_persons') }} as persons
    group by persons.household_no
)

select households.household_no
from {{ ref('kt010_households') }} as households
left join members on households.household_no = members.household_no
where households.member_count <> coalesce(members.member_count, 0)
