with source as (
    select * from {{ source('legacy', 'setai') }}
),

parsed as (
    -- Each legacy value is parsed once, here; its *_unreadable flag below reads the
    -- parsed value (OFFSET 0 keeps PostgreSQL from copying a parse into every
    -- expression that reads it).
    select
        source.*,
        {{ parse_flag('gisei_flg') }} as is_nominal_head,
        {{ wareki_to_date('toroku_ymd') }} as registered_on,
        {{ wareki_to_date('kosin_ymd') }} as updated_on
    from source
    offset 0  -- noqa: AM09
),

renamed as (
    select
        setai_no as household_no,
        {{ key_is_unreadable('setai_no') }} as household_no_unreadable,
        setainushi_atena_no as head_atena_no,
        {{ key_is_unreadable('setainushi_atena_no') }} as head_atena_no_unreadable,
        is_nominal_head,
        {{ flag_is_unreadable('gisei_flg') }} as is_nominal_head_unreadable,
        yubin_no as postal_code_text,
        jusho as address,
        katagaki as address_extra,
        tel_no as phone_text,
        chiku_cd as district_code_text,
        tanto_cd as collector_code_text,
        registered_on,
        {{ wareki_is_unreadable('toroku_ymd', 'registered_on') }} as registered_on_unreadable,
        updated_on,
        {{ wareki_is_unreadable('kosin_ymd', 'updated_on') }} as updated_on_unreadable,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from parsed
)

select * from renamed
