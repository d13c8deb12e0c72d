-- 分納誓約の移行区分と KT060 の項目値。setup-layouts.md §5: FUTURE_DATE when 誓約日 is
-- after the 基準日. §3: JOTAI_CD through the code map (an unmapped code stops the build).
{{ config(post_hook=["{{ fail_on_unmapped_codes([
    ('SEIYAKU_JOTAI', 'legacy_status', 'status'),
]) }}"]) }}

with seiyaku as (
    select * from {{ ref('stg_legacy__bunno_seiyaku') }}
),

households as (
    select * from {{ ref('int_households') }}
),

statuses as (
    select * from {{ ref('code_map') }}
    where legacy_kind = 'SEIYAKU_JOTAI'
),

checked as (
    select
        seiyaku.*,
        households.scope as household_scope,
        seiyaku.pledge_date > {{ as_of_date() }} as is_future,
        {{ unreadable_columns([
            ('seiyaku.pledge_id_unreadable', 'SEIYAKU_NO', 'not digits'),
            ('seiyaku.pledge_date_unreadable', 'SEIYAKU_YMD', 'not a date (YMD7)'),
            ('seiyaku.start_month_unreadable', 'KAISHI_YM', 'not a year-month (YM5)'),
            ('seiyaku.installments_unreadable', 'KAISU', 'not digits'),
            ('seiyaku.monthly_amount_unreadable', 'GETSUGAKU', 'not an integer'),
            ('seiyaku.pledged_amount_unreadable', 'SEIYAKU_GAKU', 'not an integer'),
            ('seiyaku.is_deleted_unreadable', 'SAKUJO_FLG', 'not 0, 1 or empty'),
        ]) }} as unreadable
    from seiyaku
    left join households on seiyaku.household_no = households.household_no
)

select
    checked.pledge_key,
    checked.pledge_id,
    checked.household_no,
    {{ row_outcome('checked.is_deleted', 'checked.household_scope', 'checked.unreadable',
                   'coalesce(checked.is_future, false)') }} as outcome,
    {{ quarantine_reasons('checked.is_deleted', 'checked.household_scope', 'checked.unreadable',
                          'coalesce(checked.is_future, false)', 'SEIYAKU_YMD') }} as quarantine_reasons,
    checked.pledge_date,
    checked.start_month,
    checked.installments,
    checked.monthly_amount,
    checked.pledged_amount,
    checked.status_code as legacy_status,
    statuses.new_code as status,
    checked.source_line
from checked
left join statuses on checked.status_code = statuses.legacy_code
