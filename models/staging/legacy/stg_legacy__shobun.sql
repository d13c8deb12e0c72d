with source as (
    select * from {{ source('legacy', 'shobun') }}
),

parsed as (
    -- Each legacy value is parsed once, here; its *_unreadable flag below reads the
    -- parsed value (OFFSET 0 keeps PostgreSQL from copying a parse into every
    -- expression that reads it).
    select
        source.*,
        {{ parse_id('shobun_no') }} as disposition_id,
        {{ nendo_to_fiscal_year('soto_nendo') }} as fiscal_year,
        {{ parse_period('kibetsu') }} as period,
        {{ wareki_to_date('shobun_ymd') }} as disposition_date,
        {{ parse_amount('shobun_gaku') }} as amount
    from source
    offset 0  -- noqa: AM09
),

renamed as (
    select
        shobun_no as disposition_key,
        disposition_id,
        {{ id_is_unreadable('shobun_no', 'disposition_id') }} as disposition_id_unreadable,
        setai_no as household_no,
        fiscal_year,
        {{ nendo_is_unreadable('soto_nendo', 'fiscal_year') }} as fiscal_year_unreadable,
        period,
        period is null as period_unreadable,
        {{ code_or_null('shobun_cd') }} as disposition_type_code,
        {{ code_or_null('konkyo_cd') }} as legal_basis_code,
        disposition_date,
        {{ wareki_is_unreadable('shobun_ymd', 'disposition_date') }} as disposition_date_unreadable,
        amount,
        {{ amount_is_unreadable('shobun_gaku', 'amount') }} as amount_unreadable,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from parsed
)

select * from renamed
