-- 職員の検証用：選定理由ごとの件数（検証用ブックの「概要」）。キーも値も持たない、件数だけ。
-- Per reason: the households it names, the households chosen for it, and how many of
-- the named households (and, for a category, of its exceptions) the workbook holds for
-- any reason. SAMPLE names the KT010 households; a category the households of its
-- exceptions (the full list stays in EXCEPTIONS.csv).
with chosen as (
    select
        households.household_no,
        string_to_array(households.reasons, ',') as reasons
    from {{ ref('vrf_households_to_verify') }} as households
),

by_category as (
    select
        by_household.category,
        count(distinct by_household.household_no) as households_named,
        count(distinct chosen.household_no) filter (
            where by_household.category = any(chosen.reasons)
        ) as households_chosen,
        count(distinct chosen.household_no) as households_in_workbook,
        count(*) as exceptions,
        count(chosen.household_no) as exceptions_in_workbook
    from {{ ref('vrf_exceptions_by_household') }} as by_household
    left join chosen on by_household.household_no = chosen.household_no
    group by by_household.category
),

sample as (
    select
        count(*) as households_named,
        count(chosen.household_no) filter (where 'SAMPLE' = any(chosen.reasons))
            as households_chosen,
        count(chosen.household_no) as households_in_workbook
    from {{ ref('kt010_households') }} as kt010
    left join chosen on kt010.household_no = chosen.household_no
)

select
    'SAMPLE' as reason,
    sample.households_named,
    sample.households_chosen,
    sample.households_in_workbook,
    null::bigint as exceptions,
    null::bigint as exceptions_in_workbook
from sample
union all
select
    by_category.category as reason,
    by_category.households_named,
    by_category.households_chosen,
    by_category.households_in_workbook,
    by_category.exceptions,
    by_category.exceptions_in_workbook
from by_category
