with source as (
    select * from {{ source('legacy', 'chotei') }}
),

parsed as (
    -- Each legacy value is parsed once, here; its *_unreadable flag below reads the
    -- parsed value (OFFSET 0 keeps PostgreSQL from copying a parse into every
    -- expression that reads it).
    select
        source.*,
        {{ parse_id('chotei_id') }} as assessment_id,
        {{ nendo_to_fiscal_year('fuka_nendo') }} as assessed_year,
        {{ nendo_to_fiscal_year('soto_nendo') }} as fiscal_year,
        {{ parse_period('kibetsu') }} as period,
        {{ parse_amount('iryo_gaku') }} as medical_amount,
        {{ parse_amount('shien_gaku') }} as support_amount,
        {{ parse_amount('kaigo_gaku') }} as care_amount,
        {{ parse_amount('chotei_gaku') }} as recorded_amount,
        {{ wareki_to_date('nokigen_ymd') }} as due_date,
        {{ wareki_to_date('tokusoku_ymd') }} as demand_date
    from source
    offset 0  -- noqa: AM09
),

renamed as (
    select
        chotei_id as assessment_key,
        assessment_id,
        {{ id_is_unreadable('chotei_id', 'assessment_id') }} as assessment_id_unreadable,
        setai_no as household_no,
        assessed_year,
        {{ nendo_is_unreadable('fuka_nendo', 'assessed_year') }} as assessed_year_unreadable,
        fiscal_year,
        {{ nendo_is_unreadable('soto_nendo', 'fiscal_year') }} as fiscal_year_unreadable,
        period,
        period is null as period_unreadable,
        medical_amount,
        {{ amount_is_unreadable('iryo_gaku', 'medical_amount') }} as medical_amount_unreadable,
        support_amount,
        {{ amount_is_unreadable('shien_gaku', 'support_amount') }} as support_amount_unreadable,
        care_amount,
        {{ amount_is_unreadable('kaigo_gaku', 'care_amount') }} as care_amount_unreadable,
        recorded_amount,
        {{ amount_is_unreadable('chotei_gaku', 'recorded_amount') }} as recorded_amount_unreadable,
        {{ amount_as_dumped('chotei_gaku') }} as recorded_amount_as_dumped,
        due_date,
        due_date is null as due_date_unreadable,
        demand_date,
        {{ wareki_is_unreadable('tokusoku_ymd', 'demand_date') }} as demand_date_unreadable,
        sakujo_flg = '1' as is_deleted,
        {{ flag_is_unreadable('sakujo_flg') }} as is_deleted_unreadable,
        _source_file as source_file,
        _source_line as source_line
    from parsed
)

select * from renamed
