with source as (
    select * from {{ source('legacy', 'sashiosae') }}
),

parsed as (
    -- Each legacy value is parsed once, here; its *_unreadable flag below reads the
    -- parsed value (OFFSET 0 keeps PostgreSQL from copying a parse into every
    -- expression that reads it).
    select
        source.*,
        {{ parse_id('sashiosae_no') }} as seizure_id,
        {{ wareki_to_date('sashiosae_ymd') }} as seizure_date,
        {{ parse_amount('sashiosae_gaku') }} as seized_amount,
        {{ parse_amount('juto_gaku') }} as applied_amount,
        {{ wareki_to_date('kaijo_ymd') }} as release_date
    from source
    offset 0  -- noqa: AM09
),

renamed as (
    select
        sashiosae_no as seizure_key,
        seizure_id,
        {{ id_is_unreadable('sashiosae_no', 'seizure_id') }} as seizure_id_unreadable,
        setai_no as household_no,
        seizure_date,
        {{ wareki_is_unreadable('sashiosae_ymd', 'seizure_date') }} as seizure_date_unreadable,
        {{ code_or_null('zaisan_cd') }} as property_type_code,
        daisan_saimusha as third_party,
        seized_amount,
        {{ amount_is_unreadable('sashiosae_gaku', 'seized_amount') }} as seized_amount_unreadable,
        applied_amount,
        {{ amount_is_unreadable('juto_gaku', 'applied_amount') }} as applied_amount_unreadable,
        release_date,
        {{ wareki_is_unreadable('kaijo_ymd', 'release_date') }} as release_date_unreadable,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from parsed
)

select * from renamed
