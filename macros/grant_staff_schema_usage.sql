{#
    on-run-end: the staff role may enter the round's marts and verification schemas (dbt's
    grants config gives it SELECT on each model there, nothing else). Least privilege:
    staff read the setup records and the verification views, never the raw or staging
    schemas directly; the vendor role owns everything it builds.
#}
{% macro grant_staff_schema_usage() %}
    {%- set statements = [] -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- set staff = env_var('NHI_STAFF_ROLE', 'nhi_staff') -%}
        {%- for layer in ['marts', 'verification'] -%}
            {%- set schema = (var('round') | lower) ~ '_' ~ layer -%}
            {%- set found = run_query("select 1 from pg_namespace where nspname = '" ~ schema ~ "'") -%}
            {%- if found.rows | length > 0 -%}
                {%- do statements.append('grant usage on schema "' ~ schema ~ '" to "' ~ staff ~ '"') -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ statements | join(';\n') if statements else 'select 1' }}
{% endmacro %}
