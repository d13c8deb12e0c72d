{#
    Generic test: every null and accepted-value check of one model in one scan of it
    (instead of one scan per column). ``not_null`` lists columns that must never be
    NULL; ``accepted_values`` maps a column to the values it may hold (NULL is left to
    not_null, as dbt's accepted_values does; the values are quoted, as dbt's are, and
    PostgreSQL reads them as the column's type). Returns one row per column and rule
    that fails, with how many rows fail it: column names and counts, never a value.
#}
{% test columns_are_valid(model, not_null=[], accepted_values={}) %}
    {{ gates_the_export() }}
    {%- set checks = [] -%}
    {%- for column in not_null -%}
        {%- do checks.append((column, 'not_null', column ~ ' is null')) -%}
    {%- endfor -%}
    {%- for column, values in accepted_values.items() -%}
        {%- set listed = [] -%}
        {%- for value in values -%}
            {%- do listed.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {%- do checks.append((column, 'accepted_values',
                              column ~ ' not in (' ~ listed | join(', ') ~ ')')) -%}
    {%- endfor %}
    with counted as (
        select
            {%- for column, rule, failing in checks %}
            count(*) filter (where {{ failing }}) as failing_{{ loop.index }}{{ "," if not loop.last }}
            {%- endfor %}
        from {{ model }}
    )

    select failed.column_name, failed.rule, failed.failing_rows
    from counted
    cross join lateral (
        values
        {%- for column, rule, failing in checks %}
            ('{{ column }}', '{{ rule }}', counted.failing_{{ loop.index }}){{ "," if not loop.last }}
        {%- endfor %}
    ) as failed (column_name, rule, failing_rows)
    where failed.failing_rows > 0
{% endtest %}
