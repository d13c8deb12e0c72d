{#
    Generic test: every row satisfies a SQL boolean expression (an arithmetic identity,
    an implication between columns). Returns the failing rows' count per test run; the
    rows themselves are never printed by dbt.
#}
{% test expression_is_true(model, expression) %}
    {{ gates_the_export() }}
    select 1 as failing
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}
