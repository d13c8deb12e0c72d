-- 職員の検証用ブック（verify-pack）の「照合」シート：検証する世帯（vrf_households_to_verify）の
-- 旧システムの各行について、そこから作ったセットアップレコードの項目ごとに 1 行、旧の列と値の隣に
-- .dat に書いた値（日付は 20150131 / 00000000、数値は書いた整数）を置く。移行しなかった行
-- （削除・対象外・読めない値 …）は旧の列ごとに 1 行、移行区分つきで載せる。移行した行でも
-- どの項目にも使わない旧の列（SAKUJO_FLG、CHOTEI_GAKU など）は、項目の後に旧の列だけで載せる。
-- Staff only: it holds personal data. The workbook streams it in the order of row_order.
{#- Which legacy columns each setup field is made from (setup-layouts.md §8 "source /
    rule"). An empty list: a fixed value or a value computed under §5 (its label says
    which). The items, types and order come from the layout meta of each mart. #}
{%- set tables = [
    {'table': 'SETAI', 'source': 'setai', 'key': 'setai_no', 'decided': 'int_households',
     'decided_key': 'household_no', 'mart': 'kt010_households', 'join': 'setup.household_no = legacy.setai_no',
     'fields': {'household_no': ['setai_no'], 'head_atena_no': ['setainushi_atena_no'],
                'nominal_head': ['gisei_flg'], 'postal_code': ['yubin_no'], 'address': ['jusho'],
                'address_extra': ['katagaki'], 'phone': ['tel_no'], 'district_code': ['chiku_cd'],
                'collector_code': ['tanto_cd']}},
    {'table': 'KOJIN', 'source': 'kojin', 'key': 'atena_no', 'decided': 'int_persons',
     'decided_key': 'atena_no', 'mart': 'kt020_persons', 'join': 'setup.atena_no = legacy.atena_no',
     'fields': {'atena_no': ['atena_no'], 'household_no': ['setai_no'], 'name': ['shimei'],
                'name_kana': ['shimei_kana'], 'alias_name': ['tsusho_mei'],
                'birth_date': ['seinengappi'], 'sex': ['seibetsu_cd'],
                'relationship_code': ['zokugara_cd'], 'nationality': ['kokuseki_kbn'],
                'insured': ['hihoken_flg'], 'eligibility_start': ['shutoku_ymd'],
                'eligibility_end': ['soshitsu_ymd']}},
    {'table': 'CHOTEI', 'source': 'chotei', 'key': 'chotei_id', 'decided': 'int_assessments',
     'decided_key': 'assessment_key', 'mart': 'kt030_assessment_periods',
     'join': 'setup.household_no = decided.household_no and setup.fiscal_year = decided.fiscal_year '
             'and setup.period = decided.period',
     'fields': {'household_no': ['setai_no'], 'fiscal_year': ['soto_nendo'],
                'assessed_year': ['fuka_nendo'], 'period': ['kibetsu'],
                'medical_amount': ['iryo_gaku'], 'support_amount': ['shien_gaku'],
                'care_amount': ['kaigo_gaku'],
                'assessed_amount': ['iryo_gaku', 'shien_gaku', 'kaigo_gaku'],
                'due_date': ['nokigen_ymd'], 'demand_date': ['tokusoku_ymd']}},
    {'table': 'SHUNO', 'source': 'shuno', 'key': 'shuno_id', 'decided': 'int_payments',
     'decided_key': 'payment_key', 'mart': 'kt040_payments',
     'join': 'setup.payment_no = decided.payment_id',
     'fields': {'household_no': ['setai_no'], 'payment_no': ['shuno_id'],
                'fiscal_year': ['soto_nendo'], 'period': ['kibetsu'], 'paid_date': ['shuno_ymd'],
                'premium_amount': ['honryo_gaku'], 'late_fee_amount': ['entaikin_gaku'],
                'payment_method': ['nofu_cd']}},
    {'table': 'KOSHO_KEIKA', 'source': 'kosho_keika', 'key': 'keika_id',
     'decided': 'int_negotiations', 'decided_key': 'negotiation_key',
     'mart': 'kt050_negotiations',
     'join': 'setup.record_no = decided.negotiation_id',
     'fields': {'household_no': ['setai_no'], 'record_no': ['keika_id'],
                'contact_date': ['kosho_ymd'], 'contact_method': ['hoho_cd'],
                'counterpart': ['aite_cd'], 'collector_code': ['tanto_cd'], 'text': ['naiyo']}},
    {'table': 'BUNNO_SEIYAKU', 'source': 'bunno_seiyaku', 'key': 'seiyaku_no',
     'decided': 'int_pledges', 'decided_key': 'pledge_key', 'mart': 'kt060_pledges',
     'join': 'setup.pledge_no = decided.pledge_id',
     'fields': {'household_no': ['setai_no'], 'pledge_no': ['seiyaku_no'],
                'pledge_date': ['seiyaku_ymd'], 'start_month': ['kaishi_ym'],
                'installments': ['kaisu'], 'monthly_amount': ['getsugaku'],
                'pledged_amount': ['seiyaku_gaku'], 'status': ['jotai_cd']}},
    {'table': 'SASHIOSAE', 'source': 'sashiosae', 'key': 'sashiosae_no',
     'decided': 'int_seizures', 'decided_key': 'seizure_key', 'mart': 'kt070_seizures',
     'join': 'setup.seizure_no = decided.seizure_id',
     'fields': {'household_no': ['setai_no'], 'seizure_no': ['sashiosae_no'],
                'seizure_date': ['sashiosae_ymd'], 'property_type': ['zaisan_cd'],
                'third_party': ['daisan_saimusha'], 'seized_amount': ['sashiosae_gaku'],
                'applied_amount': ['juto_gaku'], 'release_date': ['kaijo_ymd']}},
    {'table': 'SHOBUN', 'source': 'shobun', 'key': 'shobun_no', 'decided': 'int_dispositions',
     'decided_key': 'disposition_key', 'mart': 'kt080_dispositions',
     'join': 'setup.disposition_no = decided.disposition_id',
     'fields': {'household_no': ['setai_no'], 'fiscal_year': ['soto_nendo'],
                'period': ['kibetsu'], 'disposition_no': ['shobun_no'],
                'disposition_type': ['shobun_cd'], 'legal_basis': ['konkyo_cd'],
                'disposition_date': ['shobun_ymd'], 'amount': ['shobun_gaku']}},
] %}
{%- set unsourced = {'record_type': '（固定値）', 'line_no': '（NAIYO の行の番号 §5）'} %}

{#- Per table, the record key and the rows of the two lateral VALUES lists, rendered once
    here (the layouts and the sources' columns are known once dbt executes; refs are
    rendered always). Keys and dates are written as the .dat has them (format_layout_field):
    X as is, 9 zero-padded, dates YYYYMMDD or YYYYMM, zeros when unset. #}
{%- set plans = [] %}
{%- for t in tables %}
    {%- set meta = layout_meta(t.mart) if execute else {'file_id': '', 'key': []} %}
    {%- set columns = layout_columns(t.mart) if execute else [] %}
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
        {%- set sources = t.fields.get(column.name, []) %}
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
    {%- set source_columns = graph.sources['source.' ~ project_name ~ '.legacy.' ~ t.source].columns
                              if execute else {} %}
    {%- for name, column in source_columns.items() if not name.startswith('_') %}
        {%- set label = column.description.split('（')[0].split('。')[0].split('(')[0] | trim %}
        {%- do legacy_rows.append([(100 + loop.index) ~ ", '" ~ label | replace("'", "''") ~ "', '"
                                   ~ name | upper ~ "',",
                                   'legacy.' ~ name ~ ',', 'true' if name in mapped else 'false']) %}
    {%- endfor %}
    {%- do plans.append({'order': loop.index, 'table': t.table, 'source': t.source, 'key': t.key,
                         'decided': t.decided, 'decided_key': t.decided_key, 'mart': t.mart,
                         'join': t.join, 'file_id': meta['file_id'], 'keys': keys,
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
