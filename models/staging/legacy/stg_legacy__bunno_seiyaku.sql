with source as (
    select * from {{ source('legacy', 'bunno_seiyaku') }}
),

renamed as (
    select
        seiyaku_no as pledge_key,
        {{ parse_id('seiyaku_no') }} as pledge_id,
        {{ id_is_unreadable('seiyaku_no') }} as pledge_id_unreadable,
        setai_no as household_no,
        {{ wareki_to_date('seiyaku_ymd') }} as pledge_date,
        {{ wareki_is_unreadable('seiyaku_ymd') }} as pledge_date_unreadable,
        {{ wareki_month_to_date('kaishi_ym') }} as start_month,
        {{ wareki_month_is_unreadable('kaishi_ym') }} as start_month_unreadable,
        {{ parse_count('kaisu') }} as installments,
        {{ count_is_unreadable('kaisu') }} as installments_unreadable,
        {{ parse_amount('getsugaku') }} as monthly_amount,
        {{ amount_is_unreadable('getsugaku') }} as monthly_amount_unreadable,
        {{ parse_amount('seiyaku_gaku') }} as pledged_amount,
        {{ amount_is_unreadable('seiyaku_gaku') }} as pledged_amount_unreadable,
        {{ code_or_null('jotai_cd') }} as status_code,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
