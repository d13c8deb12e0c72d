{#
    setup-layouts.md §5 "Each legacy row gets exactly one disposition, decided in this
    order": deleted → out of scope → household row unreadable → own value unreadable →
    future-dated → unmatched → migrated. The order lives here only.

    Arguments are SQL expressions:
      is_deleted          the row's SAKUJO_FLG is 1
      household_scope     int_households.scope of the row's SETAI_NO (NULL: no SETAI row)
      unreadable          a text[] of 'COLUMN|reason' for the row's own unreadable values
      is_future           its own date is after the 基準日 (tables with such a date)
      is_unmatched        no migrated CHOTEI row for its period (SHUNO, SHOBUN)
      unmatched_category  UNMATCHED_PAYMENT or UNMATCHED_DISPOSITION
      orphan_possible     KOJIN: a row whose SETAI_NO matches no SETAI row is an ORPHAN
#}
{% macro row_outcome(is_deleted, household_scope, unreadable, is_future='false',
                     is_unmatched='false', unmatched_category='UNMATCHED_PAYMENT',
                     orphan_possible=false) -%}
    case
        when {{ is_deleted }} then 'DELETED'
        {%- if orphan_possible %}
        when {{ household_scope }} is null then 'ORPHAN'
        {%- endif %}
        when coalesce({{ household_scope }}, 'NO_HOUSEHOLD') not in ('IN_SCOPE', 'UNREADABLE')
            then 'OUT_OF_SCOPE'
        when {{ household_scope }} = 'UNREADABLE' then 'INVALID_VALUE'
        when cardinality({{ unreadable }}) > 0 then 'INVALID_VALUE'
        when {{ is_future }} then 'FUTURE_DATE'
        when {{ is_unmatched }} then '{{ unmatched_category }}'
        else 'MIGRATED'
    end
{%- endmacro %}


{#
    Why a row was kept out: 'COLUMN|reason' entries, one per line (one exception each).
    Same order as row_outcome; empty for a migrated, deleted or out-of-scope row. Text,
    not an array, so that unit-test fixtures can give it.
#}
{% macro quarantine_reasons(is_deleted, household_scope, unreadable, is_future='false',
                            future_column='', is_unmatched='false',
                            orphan_possible=false) -%}
    array_to_string(case
        when {{ is_deleted }} then array[]::text[]
        {%- if orphan_possible %}
        when {{ household_scope }} is null
            then array['SETAI_NO|SETAI_NO matches no SETAI row']
        {%- endif %}
        when coalesce({{ household_scope }}, 'NO_HOUSEHOLD') not in ('IN_SCOPE', 'UNREADABLE')
            then array[]::text[]
        when {{ household_scope }} = 'UNREADABLE'
            then array['SETAI_NO|the household''s SETAI row has an unreadable value']
        when cardinality({{ unreadable }}) > 0 then {{ unreadable }}
        when {{ is_future }} then array['{{ future_column }}|dated after the 基準日']
        when {{ is_unmatched }}
            then array['|no migrated CHOTEI row for this SETAI_NO, SOTO_NENDO and KIBETSU']
        else array[]::text[]
    end, E'\n')
{%- endmacro %}


{#
    The row's own unreadable values as a text[] of 'COLUMN|reason'. ``checks`` is a list
    of (SQL condition, legacy column, reason) triples; a true condition adds an entry.
#}
{% macro unreadable_columns(checks) -%}
    array_remove(array[
        {%- for condition, column, reason in checks %}
        case when {{ condition }} then '{{ column }}|{{ reason }}' end{{ "," if not loop.last }}
        {%- endfor %}
    ]::text[], null)
{%- endmacro %}


{#
    Post-hook of an intermediate model that maps legacy codes (setup-layouts.md §3): a
    legacy code with no row in seeds/code_map.csv, on a row to be migrated, stops the
    build. The message names the kind, the code and how many rows carry it, nothing else.
    ``mappings`` is a list of (kind, legacy code column, mapped column).
#}
{% macro fail_on_unmapped_codes(mappings) %}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- set query -%}
            {%- for kind, legacy_column, mapped_column in mappings %}
            select '{{ kind }}' as code_kind, {{ legacy_column }} as legacy_code, count(*) as row_count
            from {{ this }}
            where outcome = 'MIGRATED' and {{ legacy_column }} is not null
                and {{ mapped_column }} is null
            group by {{ legacy_column }}
            {{ "union all" if not loop.last }}
            {%- endfor %}
            order by 1, 2
        {%- endset -%}
        {%- set unmapped = run_query(query) -%}
        {%- if unmapped.rows | length > 0 -%}
            {%- set listed = [] -%}
            {%- for row in unmapped.rows -%}
                {%- do listed.append(row[0] ~ " code '" ~ row[1][:10] ~ "' on " ~ row[2] ~ " row(s)") -%}
            {%- endfor -%}
            {{ exceptions.raise_compiler_error(
                "unmapped legacy code (setup-layouts.md §3): " ~ listed | join('; ')
                ~ ". Add each to seeds/code_map.csv (legacy_kind, legacy_code, new_code, "
                ~ "new_name) and run the round again.") }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
