-- セットアップファイルの固定長レコード（ヘッダー・データ・トレーラー）。setup-layouts.md §2, §8.
-- Every record of every setup file as the bytes written (CP932), built from the layout
-- metadata on each mart; the exporter streams one file_id ordered by section, sort_key
-- and adds CRLF. A NULL record means a value does not fit its field: no export.
-- depends_on: {{ ref('kt010_households') }}
-- depends_on: {{ ref('kt020_persons') }}
-- depends_on: {{ ref('kt030_assessment_periods') }}
-- depends_on: {{ ref('kt040_payments') }}
-- depends_on: {{ ref('kt050_negotiations') }}
-- depends_on: {{ ref('kt060_pledges') }}
-- depends_on: {{ ref('kt070_seizures') }}
-- depends_on: {{ ref('kt080_dispositions') }}
-- depends_on: {{ ref('file_totals') }}
-- depends_on: {{ ref('round_parameters') }}
{%- set layouts = ['kt010_households', 'kt020_persons', 'kt030_assessment_periods',
                   'kt040_payments', 'kt050_negotiations', 'kt060_pledges',
                   'kt070_seizures', 'kt080_dispositions'] %}

{% if execute %}
    {% for model_name in layouts %}
        {{ layout_records(model_name) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% else %}
    select
        null::text as file_id,
        null::integer as section,
        null::bytea as sort_key,
        null::bytea as record
{% endif %}
