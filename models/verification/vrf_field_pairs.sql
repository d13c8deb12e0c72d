-- 職員の検証用ブック（verify-pack）の「照合」シート：検証する世帯（vrf_households_to_verify）の
-- 旧システムの各行について、そこから作ったセットアップレコードの項目ごとに 1 行、旧の列と値の隣に
-- .dat に書いた値（日付は 20150131 / 00000000、数値は書いた整数）を置く。移行しなかった行
-- （削除・対象外・読めない値 …）は旧の列ごとに 1 行、移行区分つきで載せる。移行した行でも
-- どの項目にも使わない旧の列（SAKUJO_FLG、CHOTEI_GAKU など）は、項目の後に旧の列だけで載せる。
-- Staff only: it holds personal data. The workbook streams it in the order of row_order.
{#- The tables, their decision models, keys and setup files: the table registry (var
    legacy_tables, macros/legacy_tables.sql); how a setup record meets its legacy row: the
    mart's meta legacy_rows (setup_file_join). Which legacy columns each setup field is
    made from (setup-layouts.md §8 "source / rule"): its column meta legacy_columns. None:
    a fixed value or a value computed under §5 (its label says which). The items, types
    and order come from the layout meta of each mart. #}
{%- set tables = decided_tables() | selectattr('setup_file') | list %}
{%- set unsourced = {'record_type': '（固定値）', 'line_no': '（NAIYO の行の番号 §5）'} %}

{#- Per table, the record key and the rows of the two lateral VALUES lists, rendered once
    here (the layouts and the sources' columns are known once dbt executes; refs are
    rendered always). Keys and dates are written as the .dat has them (format_layout_field):
    X as is, 9 zero-padded, dates YYYYMMDD or YYYYMM, zeros when unset. #}
{%- set plans = [] %}
{%- for t in tables %}
    {%- set meta = layout_meta(t.setup_file) if execute else {'file_id': '', 'key': []} %}
    {%- set columns = layout_columns(t.setup_file) if execute else [] %}
    {%- set join = setup_file_join(t) if execute else {'condition': 'true'} %}
    {%- set keys = [] %}
    {%- for key in meta['key'] %}
        {%- for column in columns if column.name == key %}
            {%- do keys.append('setup.' ~ key if column.meta['type'] == 'X' else
                               'lpad(setup.' ~ key ~ "::text, " ~ column.meta['width'] ~ ", '0')") %}
        {%- endfor %}
    {%- endfor %}
    {%- set pair_rows = [] %}
    {%- set mapped = [] %}
    {%- for column in columns %}
        {%- set sources = column.meta.get('legacy_columns', []) %}
        {%- do mapped.extend(sources) %}
        {%- set label = sources | map('upper') | join(' + ') if sources
                        else unsourced.get(column.name, '（計算 §5）') %}
        {%- if sources | length > 1 %}
            {%- set legacy_value = "concat_ws(' + ', legacy." ~ sources | join(', legacy.') ~ ")" %}
        {%- elif sources %}
            {%- set legacy_value = 'legacy.' ~ sources[0] %}
        {%- else %}
            {%- set legacy_value = 'null::text' %}
        {%- endif %}
        {%- set width = column.meta['width'] %}
        {%- if column.data_type == 'date' %}
            {%- set setup_value = "coalesce(to_char(setup." ~ column.name ~ ", '"
                                  ~ ('YYYYMMDD' if width == 8 else 'YYYYMM') ~ "'), '"
                                  ~ '0' * width ~ "'), null::bigint" %}
        {%- elif column.meta['type'] in ('9', 'S9') %}
            {%- set setup_value = 'null::text, coalesce(setup.' ~ column.name ~ ', 0)::bigint' %}
        {%- else %}
            {%- set setup_value = 'coalesce(setup.' ~ column.name ~ ", '')::text, null::bigint" %}
        {%- endif %}
        {%- do pair_rows.append([loop.index ~ ", '" ~ column.meta['item'] ~ "', '" ~ label ~ "',",
                                 legacy_value ~ ',', setup_value]) %}
    {%- endfor %}
    {%- set legacy_rows = [] %}
    {%- for name, column in t.columns.items() if not name.startswith('_') %}
        {%- set label = column.meta['label'] %}
        {%- do legacy_rows.append([(100 + loop.index) ~ ", '" ~ label | replace("'", "''") ~ "', '"
                                   ~ name | upper ~ "',",
                                   'legacy.' ~ name ~ ',', 'true' if name in mapped else 'false']) %}
    {%- endfor %}
    {%- do plans.append({'order': loop.index, 'table': t.table_name, 'source': t.source,
                         'key': t.legacy_key or 'setai_no', 'decided': t.decided_by,
                         'decided_key': t.key, 'mart': t.setup_file,
                         'join': join.condition, 'file_id': meta['file_id'], 'keys': keys,
                         'pair_rows': pair_rows, 'legacy_rows': legacy_rows}) %}
{%- endfor %}

with chosen as (
    select
        households.household_no,
        households.reasons_ja
    from {{ ref('vrf_households_to_verify') }} as households
),

row_exceptions as (
    select
        by_household.table_name,
        by_household.legacy_key,
        string_agg(
            distinct by_household.category
            || case when by_household.column_name <> '' then ' ' || by_household.column_name else '' end,
            '、'
        ) as exceptions
    from {{ ref('vrf_exceptions_by_household') }} as by_household
    inner join chosen on by_household.household_no = chosen.household_no
    group by by_household.table_name, by_household.legacy_key
),

-- each setup field of a migrated row beside the legacy column(s) it came from
pairs as (
    {%- for plan in plans %}
        select
            legacy.setai_no as household_no,
            {{ plan.order }} as table_order,
            '{{ plan.table }}' as table_name,
            legacy.{{ plan.key }} as legacy_key,
            legacy._source_line as source_line,
            decided.outcome,
            '{{ plan.file_id }}' as file_id,
            concat_ws(
                ' ', {{ plan['keys'] | join(', ') }}
            ) as record_key,
            field.field_no,
            field.item,
            field.legacy_column,
            field.legacy_value,
            field.setup_text,
            field.setup_number
        from {{ source('legacy', plan.source) }} as legacy
        inner join {{ ref(plan.decided) }} as decided
            on legacy.{{ plan.key }} = decided.{{ plan.decided_key }}
        inner join {{ ref(plan.mart) }} as setup
            on {{ plan.join }}
        cross join
            lateral (
                values
                {%- for row in plan.pair_rows %}
                    (
                        {{ row[0] }}
                        {{ row[1] }}
                        {{ row[2] }}
                    ){{ "," if not loop.last }}
                {%- endfor %}
            ) as field (field_no, item, legacy_column, legacy_value, setup_text, setup_number)
        where
            decided.outcome = 'MIGRATED'
            and legacy.setai_no in (select chosen.household_no from chosen)
            -- the same household (its decision row is this legacy row): said again so
            -- that the decision model is cut to the chosen households before any join
            and decided.household_no in (select chosen.household_no from chosen)
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

-- the legacy columns on their own: every column of a row that did not migrate, and the
-- columns no setup field uses of one that did
unpaired as (
    {%- for plan in plans %}
        select
            legacy.setai_no as household_no,
            {{ plan.order }} as table_order,
            '{{ plan.table }}' as table_name,
            legacy.{{ plan.key }} as legacy_key,
            legacy._source_line as source_line,
            decided.outcome,
            null::text as file_id,
            null::text as record_key,
            field.field_no,
            field.item,
            field.legacy_column,
            field.legacy_value,
            null::text as setup_text,
            null::bigint as setup_number
        from {{ source('legacy', plan.source) }} as legacy
        inner join {{ ref(plan.decided) }} as decided
            on legacy.{{ plan.key }} = decided.{{ plan.decided_key }}
        cross join
            lateral (
                values
                {%- for row in plan.legacy_rows %}
                    (
                        {{ row[0] }}
                        {{ row[1] }}
                        {{ row[2] }}
                    ){{ "," if not loop.last }}
                {%- endfor %}
            ) as field (field_no, item, legacy_column, legacy_value, is_mapped)
        where
            (decided.outcome <> 'MIGRATED' or not field.is_mapped)
            and legacy.setai_no in (select chosen.household_no from chosen)
            and decided.household_no in (select chosen.household_no from chosen)
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

all_rows as (
    select * from pairs
    union all
    select * from unpaired
)

select
    all_rows.household_no,
    chosen.reasons_ja,
    all_rows.table_order,
    all_rows.table_name,
    all_rows.legacy_key,
    all_rows.source_line,
    all_rows.outcome,
    case all_rows.outcome
        when 'MIGRATED' then '移行'
        when 'DELETED' then '削除'
        when 'OUT_OF_SCOPE' then '対象外'
        when 'ORPHAN' then '孤児'
        when 'INVALID_VALUE' then '読めない値'
        when 'FUTURE_DATE' then '未来日付'
        when 'UNMATCHED_PAYMENT' then '調定なし（収納）'
        when 'UNMATCHED_DISPOSITION' then '調定なし（処分）'
        else all_rows.outcome
    end as outcome_ja,
    coalesce(row_exceptions.exceptions, '') as row_exceptions,
    all_rows.file_id,
    all_rows.record_key,
    all_rows.field_no,
    all_rows.item,
    all_rows.legacy_column,
    all_rows.legacy_value,
    all_rows.setup_text,
    all_rows.setup_number,
    row_number() over (
        order by
            all_rows.household_no,
            all_rows.table_order,
            length(all_rows.legacy_key),
            all_rows.legacy_key,
            all_rows.record_key nulls last,
            all_rows.field_no
    ) as row_order
from all_rows
inner join chosen on all_rows.household_no = chosen.household_no
left join row_exceptions
    on all_rows.table_name = row_exceptions.table_name and all_rows.legacy_key = row_exceptions.legacy_key
