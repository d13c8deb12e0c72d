with source as (
    select * from {{ source('legacy', 'chotei') }}
),

renamed as (
    select
        chotei_id as assessment_key,
        {{ parse_id('chotei_id') }} as assessment_id,
        {{ id_is_unreadable('chotei_id') }} as assessment_id_unreadable,
        setai_no as household_no,
        {{ nendo_to_fiscal_year('fuka_nendo') }} as assessed_year,
        {{ nendo_is_unreadable('fuka_nendo') }} as assessed_year_unreadable,
        {{ nendo_to_fiscal_year('soto_nendo') }} as fiscal_year,
        {{ nendo_is_unreadable('soto_nendo') }} as fiscal_year_unreadable,
        {{ parse_period('kibetsu') }} as period,
        {{ parse_period('kibetsu') }} is null as period_unreadable,
        {{ parse_amount('iryo_gaku') }} as medical_amount,
        {{ amount_is_unreadable('iryo_gaku') }} as medical_amount_unreadable,
        {{ parse_amount('shien_gaku') }} as support_amount,
        {{ amount_is_unreadable('shien_gaku') }} as support_amount_unreadable,
        {{ parse_amount('kaigo_gaku') }} as care_amount,
        {{ amount_is_unreadable('kaigo_gaku') }} as care_amount_unreadable,
        {{ parse_amount('chotei_gaku') }} as recorded_amount,
        {{ amount_is_unreadable('chotei_gaku') }} as recorded_amount_unreadable,
        {{ wareki_to_date('nokigen_ymd') }} as due_date,
        {{ wareki_to_date('nokigen_ymd') }} is null as due_date_unreadable,
        {{ wareki_to_date('tokusoku_ymd') }} as demand_date,
        {{ wareki_is_unreadable('tokusoku_ymd') }} as demand_date_unreadable,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from source
)

select * from renamed
