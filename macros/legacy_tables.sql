{#
    The table registry: var legacy_tables in dbt_project.yml (the one statement of which
    legacy tables there are and what becomes of their rows), each entry completed with
    what follows from it, in registry order (legacy-extract.md §1):
      source, decided_by, key, amount, setup_file   as the entry says (none if absent)
      table_name      the name _CONTROL, ACCOUNTING.csv and EXCEPTIONS.csv use (SETAI)
      staging         its staging model, stg_legacy__<source>
      counted_by      the file_totals figure counting its migrated rows (record_count)
      row_order       its first row in ACCOUNTING.csv; a table with an amount has a second
                      row (row_order + 1) for the amount
    and, once dbt executes (its graph is empty while it parses, so the models only call
    ref() and source() on the names above then), from the source's meta in
    _legacy__sources.yml:
      legacy_key      the dump's key column (setai_no)
      amount_measure  ACCOUNTING.csv's measure for the amount (AMOUNT:CHOTEI_GAKU)
      label           the table's Japanese name (世帯)
      columns         the dump's columns as the source declares them
#}
{% macro legacy_tables() %}
    {%- set result = [] -%}
    {%- set ns = namespace(row_order=1) -%}
    {%- for entry in var('legacy_tables') -%}
        {%- set node = graph.sources.get('source.' ~ project_name ~ '.legacy.' ~ entry['source'], {})
                       if execute else {} -%}
        {%- set meta = node.get('meta') or node.get('config', {}).get('meta') or {} -%}
        {%- do result.append({
            'source': entry['source'],
            'table_name': entry['source'] | upper,
            'staging': 'stg_legacy__' ~ entry['source'],
            'decided_by': entry.get('decided_by'),
            'key': entry.get('key'),
            'amount': entry.get('amount'),
            'setup_file': entry.get('setup_file'),
            'counted_by': entry.get('counted_by', 'record_count'),
            'row_order': ns.row_order,
            'legacy_key': (meta.get('key') or [''])[0],
            'amount_measure': 'AMOUNT:' ~ (meta.get('amount_column') or '') | upper,
            'label': meta.get('japanese', ''),
            'columns': node.get('columns', {}),
        }) -%}
        {%- set ns.row_order = ns.row_order + (2 if entry.get('amount') else 1) -%}
    {%- endfor -%}
    {{ return(result) }}
{% endmacro %}


{# The registry's tables that an intermediate model decides (the migrated tables). #}
{% macro decided_tables() %}
    {{ return(legacy_tables() | selectattr('decided_by') | list) }}
{% endmacro %}


{#
    How a table's setup file (its mart) meets the table's decision model, from the mart's
    meta legacy_rows (the entry of that model): the join condition between the aliases
    setup and decided, the file_id, and the mart's key column beyond the join (a legacy
    row that gives several records numbers them by it, KT050's line_no), or none. Only
    once dbt executes (it reads the graph).
#}
{% macro setup_file_join(table) %}
    {%- set meta = layout_meta(table.setup_file) -%}
    {%- set entry = meta['legacy_rows'] | selectattr('model', 'equalto', table.decided_by) | first -%}
    {%- set conditions = [] -%}
    {%- for setup_column, decided_column in entry['join'].items() -%}
        {%- do conditions.append('setup.' ~ setup_column ~ ' = decided.' ~ decided_column) -%}
    {%- endfor -%}
    {%- set beyond = meta['key'] | reject('in', entry['join'].keys() | list) | list -%}
    {{ return({'condition': conditions | join(' and '), 'file_id': meta['file_id'],
               'record_no': beyond[0] if beyond else none}) }}
{% endmacro %}


{#
    The TRUNCATED flags of the given registry tables' decision models: each column whose
    meta names truncated_column (the legacy column that was cut) and truncation (how),
    as dicts table, flag, column_name, detail, in table and column order. Only once dbt
    executes (it reads the graph); empty while dbt parses.
#}
{% macro truncation_flags(tables) %}
    {%- set result = [] -%}
    {%- for table in tables if execute -%}
        {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ table.decided_by] -%}
        {%- for name, column in node.columns.items() -%}
            {%- set meta = column.meta or column.get('config', {}).get('meta', {}) -%}
            {%- if meta.get('truncated_column') -%}
                {%- do result.append({'table': table, 'flag': name,
                                      'column_name': meta['truncated_column'],
                                      'detail': meta['truncation']}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(result) }}
{% endmacro %}
