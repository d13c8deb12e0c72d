with source as (
    select * from {{ source('legacy', 'kojin') }}
),

renamed as (
    select
        atena_no,
        {{ key_is_unreadable('atena_no') }} as atena_no_unreadable,
        setai_no as household_no,
        {{ key_is_unreadable('setai_no') }} as household_no_unreadable,
        shimei as name,
        shimei_kana as name_kana,
        tsusho_mei as alias_name,
        {{ wareki_to_date('seinengappi') }} as birth_date,
        {{ wareki_is_unreadable('seinengappi') }} as birth_date_unreadable,
        {{ parse_listed_value('seibetsu_cd', ['1', '2']) }} as sex,
        {{ parse_listed_value('seibetsu_cd', ['1', '2']) }} is null as sex_unreadable,
        {{ code_or_null('zokugara_cd') }} as relationship_code,
        {{ parse_listed_value('kokuseki_kbn', ['1', '2']) }} as nationality,
        {{ parse_listed_value('kokuseki_kbn', ['1', '2']) }} is null as nationality_unreadable,
        {{ parse_flag('hihoken_flg') }} as is_insured,
        {{ flag_is_unreadable('hihoken_flg') }} as is_insured_unreadable,
        {{ wareki_to_date('shutoku_ymd') }} as eligibility_start,
        {{ wareki_is_unreadable('shutoku_ymd') }} as eligibility_start_unreadable,
        {{ wareki_to_date('soshitsu_ymd') }} as eligibility_end,
        {{ wareki_is_unreadable('soshitsu_ymd') }} as eligibility_end_unreadable,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
