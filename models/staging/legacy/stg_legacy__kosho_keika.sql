with source as (
    select * from {{ source('legacy', 'kosho_keika') }}
),

parsed as (
    -- Each legacy value is parsed once, here; its *_unreadable flag below reads the
    -- parsed value (OFFSET 0 keeps PostgreSQL from copying a parse into every
    -- expression that reads it).
    select
        source.*,
        {{ parse_id('keika_id') }} as negotiation_id,
        {{ wareki_to_date('kosho_ymd') }} as contact_date
    from source
    offset 0  -- noqa: AM09
),

renamed as (
    select
        keika_id as negotiation_key,
        negotiation_id,
        {{ id_is_unreadable('keika_id', 'negotiation_id') }} as negotiation_id_unreadable,
        setai_no as household_no,
        contact_date,
        {{ wareki_is_unreadable('kosho_ymd', 'contact_date') }} as contact_date_unreadable,
        {{ code_or_null('hoho_cd') }} as contact_method_code,
        {{ code_or_null('aite_cd') }} as counterpart_code,
        naiyo as negotiation_text,
        tanto_cd as collector_code_text,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from parsed
)

select * from renamed
