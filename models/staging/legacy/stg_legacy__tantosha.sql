-- TANTO_MEI (the collector's name) stays in the raw schema: the new system does not
-- need it, so no model reads it (data minimisation, 特記事項 3).
with source as (
    select * from {{ source('legacy', 'tantosha') }}
),

renamed as (
    select
        tanto_cd as collector_code,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
