{#
    One schema per round and layer: test01_staging, test01_intermediate, test01_marts,
    test01_seeds (and test01_raw, written by the loader). Rounds never share tables, so
    a round can be compared with another and erased on its own.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ var('round') | lower }}_{{ custom_schema_name or 'misc' }}
{%- endmacro %}
