with source as (
    select * from {{ source('legacy', 'shuno') }}
),

renamed as (
    select
        shuno_id as payment_key,
        {{ parse_id('shuno_id') }} as payment_id,
        {{ id_is_unreadable('shuno_id') }} as payment_id_unreadable,
        setai_no as household_no,
        {{ nendo_to_fiscal_year('soto_nendo') }} as fiscal_year,
        {{ nendo_is_unreadable('soto_nendo') }} as fiscal_year_unreadable,
        {{ parse_period('kibetsu') }} as period,
        {{ parse_period('kibetsu') }} is null as period_unreadable,
        {{ seireki_to_date('shuno_ymd') }} as paid_date,
        {{ seireki_is_unreadable('shuno_ymd') }} as paid_date_unreadable,
        {{ parse_amount('honryo_gaku') }} as premium_amount,
        {{ amount_is_unreadable('honryo_gaku') }} as premium_amount_unreadable,
        {{ parse_amount('entaikin_gaku') }} as late_fee_amount,
        {{ amount_is_unreadable('entaikin_gaku') }} as late_fee_amount_unreadable,
        {{ code_or_null('nofu_cd') }} as payment_method_code,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
