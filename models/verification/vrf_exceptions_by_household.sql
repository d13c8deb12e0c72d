-- 職員の検証用：例外一覧（EXCEPTIONS.csv）の各行に、その旧行の世帯番号を付ける（キーだけ）。
-- Every exception with the household its legacy row belongs to (keys, codes and column
-- names only): the sample of vrf_households_to_verify and the workbook read it.
with keyed as (
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
)

select
    keyed.household_no,
    exceptions.category,
    exceptions.severity,
    exceptions.table_name,
    exceptions.legacy_key,
    exceptions.column_name,
    exceptions.detail
from {{ ref('exceptions') }} as exceptions
inner join keyed
    on exceptions.table_name = keyed.table_name and exceptions.legacy_key = keyed.legacy_key
