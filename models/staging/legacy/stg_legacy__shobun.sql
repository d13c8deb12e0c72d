with source as (
    select * from {{ source('legacy', 'shobun') }}
),

renamed as (
    select
        shobun_no as disposition_key,
        {{ parse_id('shobun_no') }} as disposition_id,
        {{ id_is_unreadable('shobun_no') }} as disposition_id_unreadable,
        setai_no as household_no,
        {{ nendo_to_fiscal_year('soto_nendo') }} as fiscal_year,
        {{ nendo_is_unreadable('soto_nendo') }} as fiscal_year_unreadable,
        {{ parse_period('kibetsu') }} as period,
        {{ parse_period('kibetsu') }} is null as period_unreadable,
        {{ code_or_null('shobun_cd') }} as disposition_type_code,
        {{ code_or_null('konkyo_cd') }} as legal_basis_code,
        {{ wareki_to_date('shobun_ymd') }} as disposition_date,
        {{ wareki_is_unreadable('shobun_ymd') }} as disposition_date_unreadable,
        {{ parse_amount('shobun_gaku') }} as amount,
        {{ amount_is_unreadable('shobun_gaku') }} as amount_unreadable,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
