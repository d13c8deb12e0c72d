-- ファイルごとの件数と合計（トレーラーと KT000_CONTROL.csv の数値）。setup-layouts.md §7, §8.
-- One row per setup file; a figure the file's trailer does not have is NULL.
{#- The setup files: the marts of the table registry (var legacy_tables,
    macros/legacy_tables.sql). Each figure of a file's trailer (its layout meta) other
    than record_count says what it totals: sum (a column's sum) or count_distinct. The
    figures are this model's columns with a control_header (KT000_CONTROL.csv). #}
{%- set files = decided_tables() | selectattr('setup_file') | list %}
{%- set figures = [] %}
{%- for name, column in (graph.nodes['model.' ~ project_name ~ '.file_totals'].columns.items()
                          if execute else []) %}
    {%- set meta = column.meta or column.get('config', {}).get('meta', {}) %}
    {%- if meta.get('control_header') and name != 'record_count' %}
        {%- do figures.append(name) %}
    {%- endif %}
{%- endfor %}

{% for file in files %}
    {%- set meta = layout_meta(file.setup_file) if execute else {'file_id': '', 'trailer': []} %}
    {%- set sums = {} %}
    {%- for figure in meta['trailer'] %}
        {%- if figure.get('sum') %}
            {%- do sums.update({figure['figure']: 'sum(layout.' ~ figure['sum'] ~ ')'}) %}
        {%- elif figure.get('count_distinct') %}
            {%- do sums.update({figure['figure']:
                                'count(distinct layout.' ~ figure['count_distinct'] ~ ')'}) %}
        {%- endif %}
    {%- endfor %}
    select
        '{{ meta['file_id'] }}'::text as file_id,
        count(*)::bigint as record_count,
        {%- for figure in figures %}
            {%- if figure in sums %}
                coalesce({{ sums[figure] }}, 0)::bigint as {{ figure }},
            {%- else %}
                null::bigint as {{ figure }},
            {%- endif %}
        {%- endfor %}
        '{{ file.setup_file }}'::text as model_name
    -- the alias is used by the files with figures
    from {{ ref(file.setup_file) }} as layout -- noqa: AL05
    {% if not loop.last %}union all{% endif %}
{% endfor %}
