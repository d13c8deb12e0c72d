{#
    Every data test gates the export, not the models after its model. Its dependency on
    round_parameters (a model with no parents, read only by the export view) means that
    dbt build runs it as soon as its own model is built, beside the models after that
    one, and makes only export_records wait for it. A failing test still fails the build
    and nothing is exported; the models after its model are built all the same. Without
    this, every test of a model in the chain CHOTEI → int_households → … → KT030 held the
    next model back: 1–3 s after each model of a default build, about 10 s each at 10×.
    Every generic test of the project (and dbt's own, overridden below) and every
    singular test starts with it; scripts/tests/test_registry.py checks that none lacks it.
#}
{% macro gates_the_export() %}
    -- gates the export, not the models after it: {{ ref('round_parameters') }}
{% endmacro %}


{# dbt's built-in generic tests, each with the gate, then dbt's own implementation (unique:
   the project's, postgres__test_unique). #}
{% test unique(model, column_name) %}
    {{ gates_the_export() }}
    {{ adapter.dispatch('test_unique', 'dbt')(model, column_name) }}
{% endtest %}


{% test not_null(model, column_name) %}
    {{ gates_the_export() }}
    {{ adapter.dispatch('test_not_null', 'dbt')(model, column_name) }}
{% endtest %}


{% test relationships(model, column_name, to, field) %}
    {{ gates_the_export() }}
    {{ adapter.dispatch('test_relationships', 'dbt')(model, column_name, to, field) }}
{% endtest %}


{% test accepted_values(model, column_name, values, quote=True) %}
    {{ gates_the_export() }}
    {{ adapter.dispatch('test_accepted_values', 'dbt')(model, column_name, values, quote) }}
{% endtest %}
