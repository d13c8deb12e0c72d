-- 時効起算日と時効完成予定日（KT030）。setup-layouts.md §5, 国民健康保険法第110条 (2 years):
-- only where 未納額 U > 0. Start from 納期限 + 1 day, or 督促日 + 11 days where a
-- 督促日 is set; S is the latest of that start, the day after each migrated payment of
-- the period with HONRYO_GAKU > 0 (even one reversed later), and the day after each
-- migrated pledge of the household (any 状態) whose 誓約日 is after the period's 納期限.
-- 時効完成予定日 = S + 2 years (29 Feb + 2 years = 28 Feb) − 1 day. Seizures do not
-- restart prescription and suspension does not end it (the ward's migration rules).
-- Each period's amounts ride along (int_period_amounts), so KT030 reads one model; the
-- day after its last payment with HONRYO_GAKU > 0 comes from there too.
with periods as (
    select * from {{ ref('int_period_amounts') }}
),

pledges as (
    select
        pledges.household_no,
        pledges.pledge_date
    from {{ ref('int_pledges') }} as pledges
    where pledges.outcome = 'MIGRATED' and pledges.pledge_date is not null
),

pledge_after_due as (
    select
        periods.assessment_key,
        max(pledges.pledge_date) + 1 as day_after_last_pledge
    from periods
    inner join pledges
        on
            periods.household_no = pledges.household_no
            and periods.due_date < pledges.pledge_date
    group by periods.assessment_key
),

started as (
    select
        periods.*,
        case
            when periods.unpaid_amount > 0 then
                greatest(
                    coalesce(periods.demand_date + 11, periods.due_date + 1),
                    periods.day_after_last_payment,
                    pledge_after_due.day_after_last_pledge
                )
        end as prescription_start
    from periods
    left join pledge_after_due on periods.assessment_key = pledge_after_due.assessment_key
)

select
    started.assessment_key,
    started.household_no,
    started.fiscal_year,
    started.assessed_year,
    started.period,
    started.medical_amount,
    started.support_amount,
    started.care_amount,
    started.assessed_amount,
    started.recorded_amount,
    started.paid_amount,
    started.day_after_last_payment,
    started.written_off_amount,
    started.due_date,
    started.demand_date,
    started.suspended,
    started.unpaid_amount,
    started.overpaid_amount,
    started.is_sum_mismatch,
    started.prescription_start,
    (started.prescription_start + interval '2 years')::date - 1 as prescription_date,
    coalesce((started.prescription_start + interval '2 years')::date - 1 < {{ as_of_date() }}, false)
        as is_prescription_passed
from started
