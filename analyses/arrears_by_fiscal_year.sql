-- 職員用：相当年度ごとの調定額・収納済額・不納欠損額・未納額（KT030）。区の収納台帳の年度別の数字と
-- 突き合わせる。金額の合計だけで、個人の情報はない。
-- Per fiscal year totals of KT030, to reconcile with the ward's own ledger.
select
    periods.fiscal_year,
    count(*) as periods,
    sum(periods.assessed_amount) as assessed_total,
    sum(periods.paid_amount) as paid_total,
    sum(periods.written_off_amount) as written_off_total,
    sum(periods.unpaid_amount) as unpaid_total,
    sum(periods.overpaid_amount) as overpaid_total,
    count(*) filter (where periods.suspended = 1) as suspended_periods
from {{ ref('kt030_assessment_periods') }} as periods
group by periods.fiscal_year
order by periods.fiscal_year
