-- セットアップファイルの固定長レコード（ヘッダー・データ・トレーラー）。setup-layouts.md §2, §8.
-- Every record of every setup file as the bytes written (CP932), built from the layout
-- metadata on each mart; the exporter streams one file_id ordered by section, sort_key
-- and adds CRLF. A NULL record means a value does not fit its field: no export.
-- The setup files are the marts of the table registry (var legacy_tables); dbt learns
-- the refs layout_records makes once it executes from these lines.
{%- set files = legacy_tables() | selectattr('setup_file') | list %}
{%- for file in files %}
-- depends_on: {{ ref(file.setup_file) }}
{%- endfor %}
-- depends_on: {{ ref('file_totals') }}
-- depends_on: {{ ref('round_parameters') }}

{% if execute %}
    {% for file in files %}
        {{ layout_records(file.setup_file) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% else %}
    select
        null::text as file_id,
        null::integer as section,
        null::bytea as sort_key,
        null::bytea as record
{% endif %}
