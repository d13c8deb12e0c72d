with source as (
    select * from {{ source('legacy', 'bunno_seiyaku') }}
),

parsed as (
    -- Each legacy value is parsed once, here; its *_unreadable flag below reads the
    -- parsed value (OFFSET 0 keeps PostgreSQL from copying a parse into every
    -- expression that reads it).
    select
        source.*,
        {{ parse_id('seiyaku_no') }} as pledge_id,
        {{ wareki_to_date('seiyaku_ymd') }} as pledge_date,
        {{ wareki_month_to_date('kaishi_ym') }} as start_month,
        {{ parse_count('kaisu') }} as installments,
        {{ parse_amount('getsugaku') }} as monthly_amount,
        {{ parse_amount('seiyaku_gaku') }} as pledged_amount
    from source
    offset 0  -- noqa: AM09
),

renamed as (
    select
        seiyaku_no as pledge_key,
        pledge_id,
        {{ id_is_unreadable('seiyaku_no', 'pledge_id') }} as pledge_id_unreadable,
        setai_no as household_no,
        pledge_date,
        {{ wareki_is_unreadable('seiyaku_ymd', 'pledge_date') }} as pledge_date_unreadable,
        start_month,
        {{ wareki_month_is_unreadable('kaishi_ym', 'start_month') }} as start_month_unreadable,
        installments,
        {{ count_is_unreadable('kaisu', 'installments') }} as installments_unreadable,
        monthly_amount,
        {{ amount_is_unreadable('getsugaku', 'monthly_amount') }} as monthly_amount_unreadable,
        pledged_amount,
        {{ amount_is_unreadable('seiyaku_gaku', 'pledged_amount') }} as pledged_amount_unreadable,
        {{ code_or_null('jotai_cd') }} as status_code,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from parsed
)

select * from renamed
