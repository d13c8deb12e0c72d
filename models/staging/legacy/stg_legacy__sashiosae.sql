with source as (
    select * from {{ source('legacy', 'sashiosae') }}
),

renamed as (
    select
        sashiosae_no as seizure_key,
        {{ parse_id('sashiosae_no') }} as seizure_id,
        {{ id_is_unreadable('sashiosae_no') }} as seizure_id_unreadable,
        setai_no as household_no,
        {{ wareki_to_date('sashiosae_ymd') }} as seizure_date,
        {{ wareki_is_unreadable('sashiosae_ymd') }} as seizure_date_unreadable,
        {{ code_or_null('zaisan_cd') }} as property_type_code,
        daisan_saimusha as third_party,
        {{ parse_amount('sashiosae_gaku') }} as seized_amount,
        {{ amount_is_unreadable('sashiosae_gaku') }} as seized_amount_unreadable,
        {{ parse_amount('juto_gaku') }} as applied_amount,
        {{ amount_is_unreadable('juto_gaku') }} as applied_amount_unreadable,
        {{ wareki_to_date('kaijo_ymd') }} as release_date,
        {{ wareki_is_unreadable('kaijo_ymd') }} as release_date_unreadable,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
