{#
    Generic test: no two rows share the same values in combination_of_columns.
    Returns one row per duplicated combination (keys only, never other columns).
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
