{#
    dbt's built-in generic test unique, made cheap where it passes: the duplicated values
    are listed (as dbt's own test lists them: the value and how many rows have it) only
    when the non-null values of the column are not all distinct. count(distinct …) sorts
    the column once; dbt's own GROUP BY hashes every value and spills on a big table.
    PostgreSQL runs the count once, before the scan, and skips the scan when it is equal.
#}
{% macro postgres__test_unique(model, column_name) %}
    select
        {{ column_name }} as unique_field,
        count(*) as n_records
    from {{ model }}
    where
        {{ column_name }} is not null
        and (
            select count({{ column_name }}) <> count(distinct {{ column_name }})
            from {{ model }}
        )
    group by {{ column_name }}
    having count(*) > 1
{% endmacro %}
