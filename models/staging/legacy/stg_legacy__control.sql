-- The loader has checked every value: counts are digits, totals integers or empty.
with source as (
    select * from {{ source('legacy', 'control') }}
),

renamed as (
    select
        table_name,
        record_count::bigint as record_count,
        nullif(amount_total, '')::bigint as amount_total,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
