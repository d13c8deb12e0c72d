-- 交渉経過の移行区分と KT050 の項目値（本文の分割は int_negotiation_lines）。
-- setup-layouts.md §5: FUTURE_DATE when 交渉日 is after the 基準日. §3: HOHO_CD and
-- AITE_CD through the code map (an unmapped code stops the build).
{{ config(post_hook=["{{ fail_on_unmapped_codes([
    ('KOSHO_HOHO', 'legacy_contact_method', 'contact_method'),
    ('AITE', 'legacy_counterpart', 'counterpart'),
]) }}"]) }}

with kosho as (
    select * from {{ ref('stg_legacy__kosho_keika') }}
),

households as (
    select * from {{ ref('int_households') }}
),

contact_methods as (
    select * from {{ ref('code_map') }}
    where legacy_kind = 'KOSHO_HOHO'
),

counterparts as (
    select * from {{ ref('code_map') }}
    where legacy_kind = 'AITE'
),

checked as (
    select
        kosho.*,
        households.scope as household_scope,
        kosho.contact_date > {{ as_of_date() }} as is_future,
        {{ unreadable_columns([
            ('kosho.negotiation_id_unreadable', 'KEIKA_ID', 'not digits'),
            ('kosho.contact_date_unreadable', 'KOSHO_YMD', 'not a date (YMD7)'),
            (x_code_is_invalid('kosho.collector_code_text', 4), 'TANTO_CD', 'not ASCII or longer than X(4)'),
            ('kosho.is_deleted_unreadable', 'SAKUJO_FLG', 'not 0, 1 or empty'),
        ]) }} as unreadable
    from kosho
    left join households on kosho.household_no = households.household_no
)

select
    checked.negotiation_key,
    checked.negotiation_id,
    checked.household_no,
    {{ row_outcome('checked.is_deleted', 'checked.household_scope', 'checked.unreadable',
                   'coalesce(checked.is_future, false)') }} as outcome,
    {{ quarantine_reasons('checked.is_deleted', 'checked.household_scope', 'checked.unreadable',
                          'coalesce(checked.is_future, false)', 'KOSHO_YMD') }} as quarantine_reasons,
    checked.contact_date,
    checked.contact_method_code as legacy_contact_method,
    contact_methods.new_code as contact_method,
    checked.counterpart_code as legacy_counterpart,
    counterparts.new_code as counterpart,
    coalesce({{ x_code('checked.collector_code_text', 4) }}, '') as collector_code,
    checked.source_line
from checked
left join contact_methods on checked.contact_method_code = contact_methods.legacy_code
left join counterparts on checked.counterpart_code = counterparts.legacy_code
