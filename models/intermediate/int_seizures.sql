-- 差押の移行区分と KT070 の項目値。setup-layouts.md §5: FUTURE_DATE when 差押日 is
-- after the 基準日. §3: ZAISAN_CD keeps its code but must be a known one.
{{ config(post_hook=["{{ fail_on_unmapped_codes([
    ('ZAISAN', 'legacy_property_type', 'property_type'),
]) }}"]) }}

with sashiosae as (
    select * from {{ ref('stg_legacy__sashiosae') }}
),

households as (
    select * from {{ ref('int_households') }}
),

property_types as (
    select * from {{ ref('code_map') }}
    where legacy_kind = 'ZAISAN'
),

checked as (
    select
        sashiosae.*,
        households.scope as household_scope,
        sashiosae.seizure_date > {{ as_of_date() }} as is_future,
        {{ unreadable_columns([
            ('sashiosae.seizure_id_unreadable', 'SASHIOSAE_NO', 'not digits'),
            ('sashiosae.seizure_date_unreadable', 'SASHIOSAE_YMD', 'not a date (YMD7)'),
            ('sashiosae.seized_amount_unreadable', 'SASHIOSAE_GAKU', 'not an integer'),
            ('sashiosae.applied_amount_unreadable', 'JUTO_GAKU', 'not an integer'),
            ('sashiosae.release_date_unreadable', 'KAIJO_YMD', 'not a date (YMD7)'),
            ('sashiosae.is_deleted_unreadable', 'SAKUJO_FLG', 'not 0, 1 or empty'),
        ]) }} as unreadable,
        -- each N text and the unreadable list are computed once per row (OFFSET 0:
        -- PostgreSQL would otherwise copy them into every expression that reads them)
        {{ to_n_text('sashiosae.third_party') }} as third_party_n_text
    from sashiosae
    left join households on sashiosae.household_no = households.household_no
    offset 0  -- noqa: AM09
)

select
    checked.seizure_key,
    checked.seizure_id,
    checked.household_no,
    {{ row_outcome('checked.is_deleted', 'checked.household_scope', 'checked.unreadable',
                   'coalesce(checked.is_future, false)') }} as outcome,
    {{ quarantine_reasons('checked.is_deleted', 'checked.household_scope', 'checked.unreadable',
                          'coalesce(checked.is_future, false)', 'SASHIOSAE_YMD') }} as quarantine_reasons,
    checked.seizure_date,
    checked.property_type_code as legacy_property_type,
    property_types.new_code as property_type,
    {{ cp932_truncate('checked.third_party_n_text', 60) }} as third_party,
    {{ n_is_truncated('checked.third_party_n_text', 60) }} as third_party_truncated,
    checked.seized_amount,
    checked.applied_amount,
    checked.release_date,
    checked.source_line
from checked
left join property_types on checked.property_type_code = property_types.legacy_code
