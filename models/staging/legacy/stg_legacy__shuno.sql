with source as (
    select * from {{ source('legacy', 'shuno') }}
),

parsed as (
    -- Each legacy value is parsed once, here; its *_unreadable flag below reads the
    -- parsed value (OFFSET 0 keeps PostgreSQL from copying a parse into every
    -- expression that reads it).
    select
        source.*,
        {{ parse_id('shuno_id') }} as payment_id,
        {{ nendo_to_fiscal_year('soto_nendo') }} as fiscal_year,
        {{ parse_period('kibetsu') }} as period,
        {{ seireki_to_date('shuno_ymd') }} as paid_date,
        {{ parse_amount('honryo_gaku') }} as premium_amount,
        {{ parse_amount('entaikin_gaku') }} as late_fee_amount
    from source
    offset 0  -- noqa: AM09
),

renamed as (
    select
        shuno_id as payment_key,
        payment_id,
        {{ id_is_unreadable('shuno_id', 'payment_id') }} as payment_id_unreadable,
        setai_no as household_no,
        fiscal_year,
        {{ nendo_is_unreadable('soto_nendo', 'fiscal_year') }} as fiscal_year_unreadable,
        period,
        period is null as period_unreadable,
        paid_date,
        {{ seireki_is_unreadable('shuno_ymd', 'paid_date') }} as paid_date_unreadable,
        premium_amount,
        {{ amount_is_unreadable('honryo_gaku', 'premium_amount') }} as premium_amount_unreadable,
        {{ amount_as_dumped('honryo_gaku') }} as premium_amount_as_dumped,
        late_fee_amount,
        {{ amount_is_unreadable('entaikin_gaku', 'late_fee_amount') }} as late_fee_amount_unreadable,
        {{ code_or_null('nofu_cd') }} as payment_method_code,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from parsed
)

select * from renamed
