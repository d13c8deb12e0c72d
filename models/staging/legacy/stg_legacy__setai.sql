with source as (
    select * from {{ source('legacy', 'setai') }}
),

renamed as (
    select
        setai_no as household_no,
        {{ key_is_unreadable('setai_no') }} as household_no_unreadable,
        setainushi_atena_no as head_atena_no,
        {{ key_is_unreadable('setainushi_atena_no') }} as head_atena_no_unreadable,
        {{ parse_flag('gisei_flg') }} as is_nominal_head,
        {{ flag_is_unreadable('gisei_flg') }} as is_nominal_head_unreadable,
        yubin_no as postal_code_text,
        jusho as address,
        katagaki as address_extra,
        tel_no as phone_text,
        chiku_cd as district_code_text,
        tanto_cd as collector_code_text,
        {{ wareki_to_date('toroku_ymd') }} as registered_on,
        {{ wareki_is_unreadable('toroku_ymd') }} as registered_on_unreadable,
        {{ wareki_to_date('kosin_ymd') }} as updated_on,
        {{ wareki_is_unreadable('kosin_ymd') }} as updated_on_unreadable,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
