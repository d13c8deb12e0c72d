-- ファイルごとの件数と合計（トレーラーと KT000_CONTROL.csv の数値）。setup-layouts.md §7, §8.
-- One row per setup file; a figure the file's trailer does not have is NULL.
{%- set files = [
    ('KT010', 'kt010_households', {'arrears_total': 'sum(layout.arrears_total)'}),
    ('KT020', 'kt020_persons', {}),
    ('KT030', 'kt030_assessment_periods', {'assessed_total': 'sum(layout.assessed_amount)',
        'paid_total': 'sum(layout.paid_amount)', 'unpaid_total': 'sum(layout.unpaid_amount)'}),
    ('KT040', 'kt040_payments', {'premium_total': 'sum(layout.premium_amount)',
        'late_fee_total': 'sum(layout.late_fee_amount)'}),
    ('KT050', 'kt050_negotiations', {'negotiation_count': 'count(distinct layout.record_no)'}),
    ('KT060', 'kt060_pledges', {'pledged_total': 'sum(layout.pledged_amount)'}),
    ('KT070', 'kt070_seizures', {'seized_total': 'sum(layout.seized_amount)',
        'applied_total': 'sum(layout.applied_amount)'}),
    ('KT080', 'kt080_dispositions', {'amount_total': 'sum(layout.amount)'}),
] %}
{%- set figures = ['arrears_total', 'assessed_total', 'paid_total', 'unpaid_total',
                   'premium_total', 'late_fee_total', 'negotiation_count', 'pledged_total',
                   'seized_total', 'applied_total', 'amount_total'] %}

{% for file_id, model, sums in files %}
    select
        '{{ file_id }}'::text as file_id,
        count(*)::bigint as record_count,
        {%- for figure in figures %}
            {%- if figure in sums %}
                coalesce({{ sums[figure] }}, 0)::bigint as {{ figure }},
            {%- else %}
                null::bigint as {{ figure }},
            {%- endif %}
        {%- endfor %}
        '{{ model }}'::text as model_name
    -- the alias is used by the files with figures
    from {{ ref(model) }} as layout -- noqa: AL05
    {% if not loop.last %}union all{% endif %}
{% endfor %}
