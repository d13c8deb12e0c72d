-- 移行する行の N 項目に現れる外字（利用者定義文字 U+E000〜U+E757）。setup-layouts.md §4.
-- One row per (table, legacy key, column, gaiji): whether the ward's map has it. The
-- unmapped ones become 〓 and are reported (GAIJI_UNMAPPED); only the code point is kept.
with fields as (
    select
        'SETAI' as table_name,
        setai.household_no as legacy_key,
        named.column_name,
        named.value_text
    from {{ ref('stg_legacy__setai') }} as setai
    inner join {{ ref('int_households') }} as households
        on setai.household_no = households.household_no
    cross join
        lateral (
            values
            ('JUSHO', setai.address),
            ('KATAGAKI', setai.address_extra)
        ) as named (column_name, value_text)
    where households.outcome = 'MIGRATED' and named.value_text ~ '[\uE000-\uE757]'

    union all

    select
        'KOJIN' as table_name,
        kojin.atena_no as legacy_key,
        named.column_name,
        named.value_text
    from {{ ref('stg_legacy__kojin') }} as kojin
    inner join {{ ref('int_persons') }} as persons on kojin.atena_no = persons.atena_no
    cross join
        lateral (
            values
            ('SHIMEI', kojin.name),
            ('SHIMEI_KANA', kojin.name_kana),
            ('TSUSHO_MEI', kojin.alias_name)
        ) as named (column_name, value_text)
    where persons.outcome = 'MIGRATED' and named.value_text ~ '[\uE000-\uE757]'

    union all

    select
        'KOSHO_KEIKA' as table_name,
        kosho.negotiation_key as legacy_key,
        'NAIYO' as column_name,
        kosho.negotiation_text as value_text
    from {{ ref('stg_legacy__kosho_keika') }} as kosho
    inner join {{ ref('int_negotiations') }} as negotiations
        on kosho.negotiation_key = negotiations.negotiation_key
    where negotiations.outcome = 'MIGRATED' and kosho.negotiation_text ~ '[\uE000-\uE757]'

    union all

    select
        'SASHIOSAE' as table_name,
        sashiosae.seizure_key as legacy_key,
        'DAISAN_SAIMUSHA' as column_name,
        sashiosae.third_party as value_text
    from {{ ref('stg_legacy__sashiosae') }} as sashiosae
    inner join {{ ref('int_seizures') }} as seizures
        on sashiosae.seizure_key = seizures.seizure_key
    where seizures.outcome = 'MIGRATED' and sashiosae.third_party ~ '[\uE000-\uE757]'
),

occurrences as (
    select distinct
        fields.table_name,
        fields.legacy_key,
        fields.column_name,
        found.matched[1] as gaiji_char
    from fields
    cross join lateral regexp_matches(fields.value_text, '[\uE000-\uE757]', 'g') as found (matched)
)

select
    occurrences.table_name,
    occurrences.legacy_key,
    occurrences.column_name,
    'U+' || upper(to_hex(ascii(occurrences.gaiji_char))) as code_point,
    gaiji_map.gaiji_char is not null as is_mapped
from occurrences
left join {{ ref('int_gaiji_map') }} as gaiji_map
    on occurrences.gaiji_char = gaiji_map.gaiji_char
