-- 職員用：例外一覧を世帯ごとにまとめる（キーと件数だけ）。検証する世帯の優先順位付けに使う。
-- Exceptions per household (keys and counts only), most first.
select
    households.household_no,
    households.reasons,
    count(exceptions.category) filter (where exceptions.severity = 'ERROR') as errors,
    count(exceptions.category) filter (where exceptions.severity = 'WARNING') as warnings
from {{ ref('vrf_households_to_verify') }} as households
left join {{ ref('vrf_field_values') }} as field_values
    on
        households.household_no = field_values.household_no and field_values.side = 'LEGACY'
        and field_values.field_name = 'sakujo_flg'
left join {{ ref('exceptions') }} as exceptions
    on
        field_values.table_name = exceptions.table_name
        and field_values.legacy_key = exceptions.legacy_key
group by households.household_no, households.reasons
order by errors desc, warnings desc, households.household_no asc
