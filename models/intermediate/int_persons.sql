-- 個人の移行区分と KT020 の項目値。setup-layouts.md §5 (persons: KOJIN rows of in-scope
-- households; a KOJIN row whose SETAI_NO matches no SETAI row is an ORPHAN), §2, §3:
-- ZOKUGARA_CD through the code map (an unmapped code stops the build).
{{ config(post_hook=["{{ fail_on_unmapped_codes([
    ('ZOKUGARA', 'legacy_relationship_code', 'relationship_code'),
]) }}"]) }}
with kojin as (
    select * from {{ ref('stg_legacy__kojin') }}
),

households as (
    select * from {{ ref('int_households') }}
),

relationship_codes as (
    select * from {{ ref('code_map') }}
    where legacy_kind = 'ZOKUGARA'
),

checked as (
    select
        kojin.*,
        households.scope as household_scope,
        {{ unreadable_columns([
            ('kojin.atena_no_unreadable', 'ATENA_NO', 'not 10 digits'),
            ('kojin.birth_date_unreadable', 'SEINENGAPPI', 'not a date (YMD7)'),
            ('kojin.sex_unreadable', 'SEIBETSU_CD', 'not 1, 2 or empty'),
            ('kojin.nationality_unreadable', 'KOKUSEKI_KBN', 'not 1, 2 or empty'),
            ('kojin.is_insured_unreadable', 'HIHOKEN_FLG', 'not 0, 1 or empty'),
            ('kojin.eligibility_start_unreadable', 'SHUTOKU_YMD', 'not a date (YMD7)'),
            ('kojin.eligibility_end_unreadable', 'SOSHITSU_YMD', 'not a date (YMD7)'),
            ('kojin.is_deleted_unreadable', 'SAKUJO_FLG', 'not 0, 1 or empty'),
        ]) }} as unreadable,
        -- each N text and the unreadable list are computed once per row (OFFSET 0:
        -- PostgreSQL would otherwise copy them into every expression that reads them)
        {{ to_n_text('kojin.name') }} as name_n_text,
        {{ to_n_text('kojin.name_kana') }} as name_kana_n_text,
        {{ to_n_text('kojin.alias_name') }} as alias_name_n_text
    from kojin
    left join households on kojin.household_no = households.household_no
    offset 0  -- noqa: AM09
),

converted as (
    select
        checked.atena_no,
        checked.household_no,
        {{ row_outcome('checked.is_deleted', 'checked.household_scope', 'checked.unreadable',
                       orphan_possible=true) }} as outcome,
        {{ quarantine_reasons('checked.is_deleted', 'checked.household_scope', 'checked.unreadable',
                              orphan_possible=true) }} as quarantine_reasons,
        {{ cp932_truncate('checked.name_n_text', 40) }} as name,
        {{ n_is_truncated('checked.name_n_text', 40) }} as name_truncated,
        {{ cp932_truncate('checked.name_kana_n_text', 60) }} as name_kana,
        {{ n_is_truncated('checked.name_kana_n_text', 60) }} as name_kana_truncated,
        {{ cp932_truncate('checked.alias_name_n_text', 40) }} as alias_name,
        {{ n_is_truncated('checked.alias_name_n_text', 40) }} as alias_name_truncated,
        checked.birth_date,
        checked.sex,
        checked.relationship_code as legacy_relationship_code,
        relationship_codes.new_code as relationship_code,
        checked.nationality,
        case when checked.is_insured then 1 else 0 end as insured,
        checked.eligibility_start,
        checked.eligibility_end,
        checked.source_line
    from checked
    left join relationship_codes on checked.relationship_code = relationship_codes.legacy_code
)

select * from converted
