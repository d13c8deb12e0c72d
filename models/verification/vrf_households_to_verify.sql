-- 職員が検証する世帯：再現できる抽出（回次と世帯番号のハッシュ順に先頭 n 世帯、var
-- verify_sample、既定 50）と、例外一覧（EXCEPTIONS.csv）に出るすべての世帯。
-- A reproducible sample plus every household named in the exceptions; keys only.
with sampled as (
    select
        kt010.household_no,
        'SAMPLE' as reason
    from {{ ref('kt010_households') }} as kt010
    order by md5('{{ var("round") }}' || kt010.household_no), kt010.household_no
    limit {{ var('verify_sample', 50) }}
),

keyed as (
    select
        'SETAI' as table_name,
        households.household_no as legacy_key,
        households.household_no
    from {{ ref('int_households') }} as households
    union all
    select
        'KOJIN' as table_name,
        persons.atena_no as legacy_key,
        persons.household_no
    from {{ ref('int_persons') }} as persons
    union all
    select
        'CHOTEI' as table_name,
        assessments.assessment_key as legacy_key,
        assessments.household_no
    from {{ ref('int_assessments') }} as assessments
    union all
    select
        'SHUNO' as table_name,
        payments.payment_key as legacy_key,
        payments.household_no
    from {{ ref('int_payments') }} as payments
    union all
    select
        'KOSHO_KEIKA' as table_name,
        negotiations.negotiation_key as legacy_key,
        negotiations.household_no
    from {{ ref('int_negotiations') }} as negotiations
    union all
    select
        'BUNNO_SEIYAKU' as table_name,
        pledges.pledge_key as legacy_key,
        pledges.household_no
    from {{ ref('int_pledges') }} as pledges
    union all
    select
        'SASHIOSAE' as table_name,
        seizures.seizure_key as legacy_key,
        seizures.household_no
    from {{ ref('int_seizures') }} as seizures
    union all
    select
        'SHOBUN' as table_name,
        dispositions.disposition_key as legacy_key,
        dispositions.household_no
    from {{ ref('int_dispositions') }} as dispositions
),

excepted as (
    select distinct
        keyed.household_no,
        'EXCEPTION' as reason
    from {{ ref('exceptions') }} as exceptions
    inner join keyed
        on exceptions.table_name = keyed.table_name and exceptions.legacy_key = keyed.legacy_key
),

reasons as (
    select * from sampled
    union all
    select * from excepted
)

select
    household_no,
    string_agg(reason, ',' order by reason) as reasons
from reasons
group by household_no
