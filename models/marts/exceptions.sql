-- 例外一覧（EXCEPTIONS.csv、職員用）。setup-layouts.md §5, §7. One row per exception:
-- every row kept out (category = its disposition, severity ERROR, one row per unreadable
-- column), and the warnings on migrated rows: CHOTEI_SUM_MISMATCH, TRUNCATED,
-- PRESCRIPTION_PASSED, GAIJI_UNMAPPED (ERROR in a production round). Keys, column names
-- and code points only, never a name or free text.
{%- set kept_out = [
    ('SETAI', 'int_households', 'household_no'),
    ('KOJIN', 'int_persons', 'atena_no'),
    ('CHOTEI', 'int_assessments', 'assessment_key'),
    ('SHUNO', 'int_payments', 'payment_key'),
    ('KOSHO_KEIKA', 'int_negotiations', 'negotiation_key'),
    ('BUNNO_SEIYAKU', 'int_pledges', 'pledge_key'),
    ('SASHIOSAE', 'int_seizures', 'seizure_key'),
    ('SHOBUN', 'int_dispositions', 'disposition_key'),
] %}
{%- set truncations = [
    ('SETAI', 'int_households', 'household_no', 'address_truncated', 'JUSHO', 'longer than N(80): cut at 80 bytes'),
    ('SETAI', 'int_households', 'household_no', 'address_extra_truncated', 'KATAGAKI', 'longer than N(60): cut at 60 bytes'),
    ('SETAI', 'int_households', 'household_no', 'phone_truncated', 'TEL_NO', 'more than 15 digits and hyphens: cut at 15'),
    ('KOJIN', 'int_persons', 'atena_no', 'name_truncated', 'SHIMEI', 'longer than N(40): cut at 40 bytes'),
    ('KOJIN', 'int_persons', 'atena_no', 'name_kana_truncated', 'SHIMEI_KANA', 'longer than N(60): cut at 60 bytes'),
    ('KOJIN', 'int_persons', 'atena_no', 'alias_name_truncated', 'TSUSHO_MEI', 'longer than N(40): cut at 40 bytes'),
    ('SASHIOSAE', 'int_seizures', 'seizure_key', 'third_party_truncated', 'DAISAN_SAIMUSHA', 'longer than N(60): cut at 60 bytes'),
] %}

with kept_out as (
    {%- for table_name, model, key in kept_out %}
        select
            rows_kept_out.outcome as category,
            '{{ table_name }}' as table_name,
            rows_kept_out.{{ key }} as legacy_key,
            reason.entry
        from {{ ref(model) }} as rows_kept_out
        cross join lateral string_to_table(rows_kept_out.quarantine_reasons, E'\n') as reason (entry)
        where rows_kept_out.quarantine_reasons <> ''
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

truncated as (
    {%- for table_name, model, key, flag, column_name, detail in truncations %}
        select
            '{{ table_name }}' as table_name,
            migrated.{{ key }} as legacy_key,
            '{{ column_name }}' as column_name,
            '{{ detail }}' as detail
        from {{ ref(model) }} as migrated
        where migrated.outcome = 'MIGRATED' and migrated.{{ flag }}
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

all_exceptions as (
    select
        kept_out.category,
        'ERROR' as severity,
        kept_out.table_name,
        kept_out.legacy_key,
        split_part(kept_out.entry, '|', 1) as column_name,
        split_part(kept_out.entry, '|', 2) as detail
    from kept_out

    union all

    select
        'CHOTEI_SUM_MISMATCH' as category,
        'WARNING' as severity,
        'CHOTEI' as table_name,
        periods.assessment_key as legacy_key,
        'CHOTEI_GAKU' as column_name,
        'differs from IRYO_GAKU + SHIEN_GAKU + KAIGO_GAKU; the sum is used' as detail
    from {{ ref('int_period_amounts') }} as periods
    where periods.is_sum_mismatch

    union all

    select
        'TRUNCATED' as category,
        'WARNING' as severity,
        truncated.table_name,
        truncated.legacy_key,
        truncated.column_name,
        truncated.detail
    from truncated

    union all

    select
        'PRESCRIPTION_PASSED' as category,
        'WARNING' as severity,
        'CHOTEI' as table_name,
        prescription.assessment_key as legacy_key,
        '' as column_name,
        '時効完成予定日 is before the 基準日 and 未納額 > 0: should have been written off'
            as detail
    from {{ ref('int_prescription') }} as prescription
    where prescription.is_prescription_passed

    union all

    select
        'GAIJI_UNMAPPED' as category,
        case when {{ is_production_round() }} then 'ERROR' else 'WARNING' end as severity,
        gaiji.table_name,
        gaiji.legacy_key,
        gaiji.column_name,
        gaiji.code_point || ' is not in seeds/gaiji_map.csv: written as 〓 (U+3013)' as detail
    from {{ ref('int_gaiji_occurrences') }} as gaiji
    where not gaiji.is_mapped
)

select
    category::text as category,
    severity::text as severity,
    table_name::text as table_name,
    legacy_key::text as legacy_key,
    column_name::text as column_name,
    detail::text as detail
from all_exceptions
