-- setup-layouts.md §5: KT010 滞納額 = Σ 未納額 of the household's KT030 periods with
-- 納期限 < 基準日, and 滞納期数 = how many of those have 未納額 > 0.
{{ gates_the_export() }}
with past_due as (
    select
        periods.household_no,
        sum(periods.unpaid_amount) as unpaid_total,
        count(*) filter (where periods.unpaid_amount > 0) as unpaid_periods
    from {{ ref('kt030_assessment_periods') }} as periods
    where periods.due_date < {{ as_of_date() }}
    group by periods.household_no
)

select households.household_no
from {{ ref('kt010_households') }} as households
left join past_due on households.household_no = past_due.household_no
where
    households.arrears_total <> coalesce(past_due.unpaid_total, 0)
    or households.arrears_periods <> coalesce(past_due.unpaid_periods, 0)
