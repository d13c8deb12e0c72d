-- 職員用：1 世帯の旧システムの行とセットアップレコードを項目ごとに並べる（個人情報を含む）。
-- Staff only: one household's legacy rows beside its setup records, field by field.
-- dbt compile --select verify_one_household --vars '{round: TEST01, household_no: "1000000002"}'
-- then run the compiled SQL as the staff role (psql -U nhi_staff).
select
    field_values.table_name,
    field_values.legacy_key,
    field_values.outcome,
    field_values.side,
    field_values.file_id,
    field_values.record_no,
    field_values.field_name,
    field_values.field_value
from {{ ref('vrf_field_values') }} as field_values
where field_values.household_no = '{{ var("household_no", "") }}'
order by
    field_values.table_name,
    field_values.legacy_key,
    field_values.side,
    field_values.record_no,
    field_values.field_name
