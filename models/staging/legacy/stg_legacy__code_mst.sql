with source as (
    select * from {{ source('legacy', 'code_mst') }}
),

renamed as (
    select
        code_kind,
        code,
        meisho as code_name,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
