{#
    setup-layouts.md §1: the round is six letters, digits, '_' or '-' (it names folders
    and schemas),
    基準日 a real date, the expected household count a positive integer. A malformed
    value stops the run before anything is built.
#}
{% macro validate_round_parameters() %}
    {%- set round_id = var('round') | string -%}
    {%- if not modules.re.fullmatch('[A-Za-z0-9_-]{6}', round_id) -%}
        {{ exceptions.raise_compiler_error(
            "var 'round' must be 6 letters, digits, '_' or '-' "
            ~ "(TEST01, TEST02, PROD01, PROD02); got " ~ (round_id | length) ~ " characters: "
            ~ round_id[:12] ~ ". Pass --vars '{round: TEST01, ...}'.") }}
    {%- endif -%}
    {%- set as_of = var('as_of') | string -%}
    {%- set valid_date = modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', as_of) -%}
    {%- if valid_date -%}
        {%- set parts = as_of.split('-') | map('int') | list -%}
        {%- set valid_date = parts[1] >= 1 and parts[1] <= 12 and parts[2] >= 1
            and parts[2] <= [31, 29 if (parts[0] % 4 == 0 and (parts[0] % 100 != 0 or parts[0] % 400 == 0)) else 28,
                             31, 30, 31, 30, 31, 31, 30, 31, 30, 31][parts[1] - 1] -%}
    {%- endif -%}
    {%- if not valid_date -%}
        {{ exceptions.raise_compiler_error(
            "var 'as_of' (基準日) must be a real date written YYYY-MM-DD; got '"
            ~ as_of[:20] ~ "'.") }}
    {%- endif -%}
    {%- set expected = var('expected_households') | string -%}
    {%- if not modules.re.fullmatch('[1-9][0-9]{0,8}', expected) -%}
        {{ exceptions.raise_compiler_error(
            "var 'expected_households' must be a positive whole number (the ward's control "
            ~ "figure, e.g. 46565); got '" ~ expected[:20] ~ "'.") }}
    {%- endif -%}
    select 1
{% endmacro %}


{# The round's 基準日 as a SQL date literal. #}
{% macro as_of_date() -%}
    date '{{ var("as_of") }}'
{%- endmacro %}


{# True when the round is a production round (its name starts with PROD). #}
{% macro is_production_round() -%}
    {{ (var('round') | string).startswith('PROD') }}
{%- endmacro %}
