with source as (
    select * from {{ source('legacy', 'kojin') }}
),

parsed as (
    -- Each legacy value is parsed once, here; its *_unreadable flag below reads the
    -- parsed value (OFFSET 0 keeps PostgreSQL from copying a parse into every
    -- expression that reads it).
    select
        source.*,
        {{ wareki_to_date('seinengappi') }} as birth_date,
        {{ parse_listed_value('seibetsu_cd', ['1', '2']) }} as sex,
        {{ parse_listed_value('kokuseki_kbn', ['1', '2']) }} as nationality,
        {{ parse_flag('hihoken_flg') }} as is_insured,
        {{ wareki_to_date('shutoku_ymd') }} as eligibility_start,
        {{ wareki_to_date('soshitsu_ymd') }} as eligibility_end
    from source
    offset 0  -- noqa: AM09
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
        birth_date,
        {{ wareki_is_unreadable('seinengappi', 'birth_date') }} as birth_date_unreadable,
        sex,
        sex is null as sex_unreadable,
        {{ code_or_null('zokugara_cd') }} as relationship_code,
        nationality,
        nationality is null as nationality_unreadable,
        is_insured,
        {{ flag_is_unreadable('hihoken_flg') }} as is_insured_unreadable,
        eligibility_start,
        {{ wareki_is_unreadable('shutoku_ymd', 'eligibility_start') }} as eligibility_start_unreadable,
        eligibility_end,
        {{ wareki_is_unreadable('soshitsu_ymd', 'eligibility_end') }} as eligibility_end_unreadable,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from parsed
)

select * from renamed
