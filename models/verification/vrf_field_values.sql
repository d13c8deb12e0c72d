-- 職員の検証用：旧システムの行とセットアップレコードを項目ごとに並べる（縦持ち）。
-- One row per field: every legacy row of the eight data tables (as dumped, with its
-- outcome) and every setup record made from it, keyed by household, table and legacy
-- key. Staff filter by household; the verification workbook lays the two sides next to
-- each other. Staff only: it holds personal data (特記事項: 実データの検証は職員が行う).
{%- set legacy_tables = [
    ('SETAI', 'setai', 'setai_no', 'int_households', 'household_no', 'household_no'),
    ('KOJIN', 'kojin', 'atena_no', 'int_persons', 'atena_no', 'atena_no'),
    ('CHOTEI', 'chotei', 'chotei_id', 'int_assessments', 'assessment_key', 'assessment_key'),
    ('SHUNO', 'shuno', 'shuno_id', 'int_payments', 'payment_key', 'payment_key'),
    ('KOSHO_KEIKA', 'kosho_keika', 'keika_id', 'int_negotiations', 'negotiation_key', 'negotiation_key'),
    ('BUNNO_SEIYAKU', 'bunno_seiyaku', 'seiyaku_no', 'int_pledges', 'pledge_key', 'pledge_key'),
    ('SASHIOSAE', 'sashiosae', 'sashiosae_no', 'int_seizures', 'seizure_key', 'seizure_key'),
    ('SHOBUN', 'shobun', 'shobun_no', 'int_dispositions', 'disposition_key', 'disposition_key'),
] %}

with legacy_rows as (
    {%- for table_name, source_table, key, model, model_key, _ in legacy_tables %}
        select
            '{{ table_name }}' as table_name,
            raw_row.setai_no as household_no,
            raw_row.{{ key }} as legacy_key,
            decided.outcome,
            to_jsonb(raw_row) as row_fields
        from {{ source('legacy', source_table) }} as raw_row
        inner join {{ ref(model) }} as decided on raw_row.{{ key }} = decided.{{ model_key }}
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

setup_records as (
    select
        'SETAI' as table_name,
        kt010.household_no as legacy_key,
        'KT010' as file_id,
        1 as record_no,
        to_jsonb(kt010) as row_fields
    from {{ ref('kt010_households') }} as kt010
    union all
    select
        'KOJIN' as table_name,
        kt020.atena_no as legacy_key,
        'KT020' as file_id,
        1 as record_no,
        to_jsonb(kt020) as row_fields
    from {{ ref('kt020_persons') }} as kt020
    union all
    select
        'CHOTEI' as table_name,
        assessments.assessment_key as legacy_key,
        'KT030' as file_id,
        1 as record_no,
        to_jsonb(kt030) as row_fields
    from {{ ref('kt030_assessment_periods') }} as kt030
    inner join {{ ref('int_assessments') }} as assessments
        on
            kt030.household_no = assessments.household_no
            and kt030.fiscal_year = assessments.fiscal_year
            and kt030.period = assessments.period
            and assessments.outcome = 'MIGRATED'
    union all
    select
        'SHUNO' as table_name,
        payments.payment_key as legacy_key,
        'KT040' as file_id,
        1 as record_no,
        to_jsonb(kt040) as row_fields
    from {{ ref('kt040_payments') }} as kt040
    inner join {{ ref('int_payments') }} as payments
        on kt040.payment_no = payments.payment_id and payments.outcome = 'MIGRATED'
    union all
    select
        'KOSHO_KEIKA' as table_name,
        negotiations.negotiation_key as legacy_key,
        'KT050' as file_id,
        kt050.line_no as record_no,
        to_jsonb(kt050) as row_fields
    from {{ ref('kt050_negotiations') }} as kt050
    inner join {{ ref('int_negotiations') }} as negotiations
        on kt050.record_no = negotiations.negotiation_id and negotiations.outcome = 'MIGRATED'
    union all
    select
        'BUNNO_SEIYAKU' as table_name,
        pledges.pledge_key as legacy_key,
        'KT060' as file_id,
        1 as record_no,
        to_jsonb(kt060) as row_fields
    from {{ ref('kt060_pledges') }} as kt060
    inner join {{ ref('int_pledges') }} as pledges
        on kt060.pledge_no = pledges.pledge_id and pledges.outcome = 'MIGRATED'
    union all
    select
        'SASHIOSAE' as table_name,
        seizures.seizure_key as legacy_key,
        'KT070' as file_id,
        1 as record_no,
        to_jsonb(kt070) as row_fields
    from {{ ref('kt070_seizures') }} as kt070
    inner join {{ ref('int_seizures') }} as seizures
        on kt070.seizure_no = seizures.seizure_id and seizures.outcome = 'MIGRATED'
    union all
    select
        'SHOBUN' as table_name,
        dispositions.disposition_key as legacy_key,
        'KT080' as file_id,
        1 as record_no,
        to_jsonb(kt080) as row_fields
    from {{ ref('kt080_dispositions') }} as kt080
    inner join {{ ref('int_dispositions') }} as dispositions
        on kt080.disposition_no = dispositions.disposition_id and dispositions.outcome = 'MIGRATED'
)

select
    legacy_rows.household_no,
    legacy_rows.table_name,
    legacy_rows.legacy_key,
    legacy_rows.outcome,
    'LEGACY' as side,
    null::text as file_id,
    1 as record_no,
    field.key as field_name,
    field.value as field_value
from legacy_rows
cross join lateral jsonb_each_text(legacy_rows.row_fields) as field
union all
select
    legacy_rows.household_no,
    setup_records.table_name,
    setup_records.legacy_key,
    legacy_rows.outcome,
    'SETUP' as side,
    setup_records.file_id,
    setup_records.record_no,
    field.key as field_name,
    field.value as field_value
from setup_records
inner join legacy_rows
    on
        setup_records.table_name = legacy_rows.table_name
        and setup_records.legacy_key = legacy_rows.legacy_key
cross join lateral jsonb_each_text(setup_records.row_fields) as field
