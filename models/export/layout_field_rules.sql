-- セットアップファイルの項目ごとの「桁に収まらない」条件（setup-layouts.md §2）。
-- One row per layout field: the SQL condition, true for a value that does not fit its
-- field, as macro layout_field_misfit writes it for the mart's column. The record builder
-- (export_records) uses the same macro; the validation gate and overflow.py read the
-- conditions from here, so §2's field rules are stated once.
{%- set fields = [] %}
{%- if execute %}
    {%- for node in graph.nodes.values() | sort(attribute='name')
        if node.resource_type == 'model' and node.package_name == project_name
        and (node.meta or node.config.meta).get('file_id') %}
        {%- for column in layout_columns(node.name) %}
            {%- do fields.append({
                'file_id': (node.meta or node.config.meta)['file_id'],
                'name': column.name,
                'position': column.meta['position'],
                'misfit': layout_field_misfit('"' ~ column.name ~ '"', column.meta['type'],
                                              column.meta['width'], column.data_type),
            }) %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}

{%- if fields %}
    {%- for field in fields %}
        select
            '{{ field.file_id }}'::text as file_id,
            '{{ field.name }}'::text as field_name,
            {{ field.position }}::integer as field_position,
            '{{ field.misfit | replace("'", "''") }}'::text as misfit_condition
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- else %}
    select
        null::text as file_id,
        null::text as field_name,
        null::integer as field_position,
        null::text as misfit_condition
    where false
{%- endif %}
