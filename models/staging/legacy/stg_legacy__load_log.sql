with source as (
    select * from {{ source('legacy', 'load_log') }}
),

renamed as (
    select
        table_name,
        file_name,
        file_records,
        file_amount_total,
        sha256,
        bytes as file_bytes
    from source
)

select * from renamed
