-- 世帯ごとの集計（KT010）。setup-layouts.md §5 "Per household": 滞納額 = Σ 未納額 of the
-- periods with 納期限 < 基準日; 滞納期数 = how many of those have 未納額 > 0; 最古滞納年度
-- = the smallest 相当年度 among those periods with 未納額 > 0 (0 if none); 分納中区分 = 1
-- if a migrated pledge has JOTAI_CD 01; 差押中区分 = 1 if a migrated seizure has no
-- 解除日; 世帯員数 = the household's KT020 records.
with households as (
    select * from {{ ref('int_households') }}
    where outcome = 'MIGRATED'
),

past_due as (
    select
        periods.household_no,
        sum(periods.unpaid_amount) as arrears_total,
        count(*) filter (where periods.unpaid_amount > 0) as arrears_periods,
        min(periods.fiscal_year) filter (where periods.unpaid_amount > 0) as oldest_arrears_year
    from {{ ref('int_period_amounts') }} as periods
    where periods.due_date < {{ as_of_date() }}
    group by periods.household_no
),

members as (
    select
        persons.household_no,
        count(*) as member_count
    from {{ ref('int_persons') }} as persons
    where persons.outcome = 'MIGRATED'
    group by persons.household_no
),

pledges as (
    select distinct pledges.household_no
    from {{ ref('int_pledges') }} as pledges
    where pledges.outcome = 'MIGRATED' and pledges.legacy_status = '01'
),

seizures as (
    select distinct seizures.household_no
    from {{ ref('int_seizures') }} as seizures
    where seizures.outcome = 'MIGRATED' and seizures.release_date is null
)

select
    households.household_no,
    coalesce(members.member_count, 0) as member_count,
    coalesce(past_due.arrears_total, 0) as arrears_total,
    coalesce(past_due.arrears_periods, 0) as arrears_periods,
    coalesce(past_due.oldest_arrears_year, 0) as oldest_arrears_year,
    case when pledges.household_no is not null then 1 else 0 end as pledge_active,
    case when seizures.household_no is not null then 1 else 0 end as seizure_active
from households
left join past_due on households.household_no = past_due.household_no
left join members on households.household_no = members.household_no
left join pledges on households.household_no = pledges.household_no
left join seizures on households.household_no = seizures.household_no
