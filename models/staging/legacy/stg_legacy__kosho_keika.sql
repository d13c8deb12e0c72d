with source as (
    select * from {{ source('legacy', 'kosho_keika') }}
),

renamed as (
    select
        keika_id as negotiation_key,
        {{ parse_id('keika_id') }} as negotiation_id,
        {{ id_is_unreadable('keika_id') }} as negotiation_id_unreadable,
        setai_no as household_no,
        {{ wareki_to_date('kosho_ymd') }} as contact_date,
        {{ wareki_is_unreadable('kosho_ymd') }} as contact_date_unreadable,
        {{ code_or_null('hoho_cd') }} as contact_method_code,
        {{ code_or_null('aite_cd') }} as counterpart_code,
        naiyo as negotiation_text,
        tanto_cd as collector_code_text,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
