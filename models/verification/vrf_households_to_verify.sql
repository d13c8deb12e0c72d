-- 職員が検証する世帯（キーだけ）：再現できる抽出と、例外の種類ごとの再現できる抽出。
-- 順位は md5(種 || 世帯番号) の小さい順（vrf_sample_rule、回次によらない）：KT010 の世帯から
-- 先頭 sample_size 世帯、例外の種類ごとにその種類の例外がある世帯から先頭 exception_sample_size 世帯。
-- 例外の全件は EXCEPTIONS.csv にある。
-- A reproducible, bounded sample: the same households every run (and every round, as
-- long as they are in it), at most sample_size + 9 × exception_sample_size.
with sample_rule as (
    select * from {{ ref('vrf_sample_rule') }}
),

sampled as (
    select
        kt010.household_no,
        'SAMPLE' as reason
    from {{ ref('kt010_households') }} as kt010
    cross join sample_rule
    order by md5(sample_rule.seed || kt010.household_no), kt010.household_no
    limit (select bounds.sample_size from sample_rule as bounds)
),

named as (
    select distinct
        by_household.category,
        by_household.household_no
    from {{ ref('vrf_exceptions_by_household') }} as by_household
),

ranked as (
    select
        named.category,
        named.household_no,
        row_number() over (
            partition by named.category
            order by md5(sample_rule.seed || named.household_no), named.household_no
        ) as sample_rank
    from named
    cross join sample_rule
),

reasons as (
    select
        sampled.household_no,
        sampled.reason
    from sampled
    union all
    select
        ranked.household_no,
        ranked.category as reason
    from ranked
    where ranked.sample_rank <= (select bounds.exception_sample_size from sample_rule as bounds)
)

select
    reasons.household_no,
    string_agg(reasons.reason, ',' order by reasons.reason <> 'SAMPLE', reasons.reason) as reasons,
    string_agg(
        case when reasons.reason = 'SAMPLE' then '抽出' else '例外 ' || reasons.reason end, '、'
        order by reasons.reason <> 'SAMPLE', reasons.reason
    ) as reasons_ja
from reasons
group by reasons.household_no
