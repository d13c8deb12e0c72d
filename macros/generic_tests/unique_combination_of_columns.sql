{#
    Generic test: no two rows share the same values in combination_of_columns.
    Returns one row per duplicated combination (keys only, never other columns).

    Made cheap where it passes, as the project's unique test is: when every column is of
    a type whose equal values have one text form (text, integers, date, boolean), one
    count(distinct …) of the columns' text joined first says whether any combination may
    repeat, and the GROUP BY listing runs only then. Two different combinations may join
    to one text (a separator inside a value, or a NULL): then the listing runs and finds
    nothing, so the answer is dbt's GROUP BY's in every case. Other types: the listing
    always runs.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {{ gates_the_export() }}
    {%- set one_text_form = ['text', 'character varying', 'smallint', 'integer', 'bigint',
                             'date', 'boolean'] -%}
    {%- set types = {} -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(model) -%}
            {%- do types.update({column.name | lower: column.data_type}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set other_types = [] -%}
    {%- for column in combination_of_columns if types.get(column | lower) not in one_text_form -%}
        {%- do other_types.append(column) -%}
    {%- endfor -%}
    {%- set gated = execute and combination_of_columns | length > 0 and not other_types -%}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    {%- if gated %}
    where (
        select count(*) <> count(distinct concat_ws(chr(31), {{ combination_of_columns | join(', ') }}))
        from {{ model }}
    )
    {%- endif %}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
