{#
    Reading the dump's text values (legacy-extract.md §2 "Value conventions").
    Each macro returns a SQL expression that never raises: a value that cannot be read
    gives NULL, and the matching *_is_unreadable macro tells "unreadable" from "not set".
    Nested CASEs make the order of evaluation explicit, so no cast ever sees bad text.
    A staging model parses each value once and passes the parsed expression to the
    matching *_is_unreadable macro (``parsed``), which then does not parse it again.
#}

{# 和暦 era bases, from var wareki_eras in dbt_project.yml (the one statement of the eras). #}
{# The era digits as a regex class body: 1-5 for 明治 … 令和. #}
{% macro _era_digits() -%}
    1-{{ var('wareki_eras') | length }}
{%- endmacro %}


{% macro _era_base(era_digit_sql) -%}
    (array[{{ var('wareki_eras') | map(attribute='base') | join(', ') }}])[{{ era_digit_sql }}::int]
{%- endmacro %}


{# A real calendar date from year, month and day expressions already known to be digits
   (year 1–9999). The month's last day is worked out in integers (the Gregorian leap
   rule, as make_date has it), not by date arithmetic. #}
{% macro _safe_make_date(year_sql, month_sql, day_sql) -%}
    case when {{ month_sql }} between 1 and 12 then
        case when {{ day_sql }} between 1 and case
            when {{ month_sql }} in (4, 6, 9, 11) then 30
            when {{ month_sql }} <> 2 then 31
            when ({{ year_sql }}) % 4 = 0
                and (({{ year_sql }}) % 100 <> 0 or ({{ year_sql }}) % 400 = 0) then 29
            else 28
        end then make_date({{ year_sql }}, {{ month_sql }}, {{ day_sql }}) end
    end
{%- endmacro %}


{# YMD7 和暦 GYYMMDD → date. The era base applies past the era's end (4310501 = 2019-05-01). #}
{% macro wareki_to_date(column) -%}
    case when {{ column }} ~ '^[{{ _era_digits() }}][0-9]{6}$' and substr({{ column }}, 2, 2) <> '00' then
        {{ _safe_make_date(
            _era_base('substr(' ~ column ~ ', 1, 1)') ~ ' + substr(' ~ column ~ ', 2, 2)::int',
            'substr(' ~ column ~ ', 4, 2)::int',
            'substr(' ~ column ~ ', 6, 2)::int') }}
    end
{%- endmacro %}


{# True when a YMD7 value is set (not empty, not 0000000) but is not a date. #}
{% macro wareki_is_unreadable(column, parsed=none) -%}
    ({{ column }} not in ('', '0000000') and {{ parsed or wareki_to_date(column) }} is null)
{%- endmacro %}


{# YMD8 西暦 YYYYMMDD → date; 00000000 or empty = no date. #}
{% macro seireki_to_date(column) -%}
    case when {{ column }} ~ '^[0-9]{8}$' and left({{ column }}, 4) <> '0000' then
        {{ _safe_make_date(
            'substr(' ~ column ~ ', 1, 4)::int',
            'substr(' ~ column ~ ', 5, 2)::int',
            'substr(' ~ column ~ ', 7, 2)::int') }}
    end
{%- endmacro %}


{% macro seireki_is_unreadable(column, parsed=none) -%}
    ({{ column }} not in ('', '00000000') and {{ parsed or seireki_to_date(column) }} is null)
{%- endmacro %}


{# YM5 和暦 GYYMM → the first day of that month; 00000 or empty = not set. #}
{% macro wareki_month_to_date(column) -%}
    case when {{ column }} ~ '^[{{ _era_digits() }}][0-9]{4}$' and substr({{ column }}, 2, 2) <> '00' then
        {{ _safe_make_date(
            _era_base('substr(' ~ column ~ ', 1, 1)') ~ ' + substr(' ~ column ~ ', 2, 2)::int',
            'substr(' ~ column ~ ', 4, 2)::int',
            '1') }}
    end
{%- endmacro %}


{% macro wareki_month_is_unreadable(column, parsed=none) -%}
    ({{ column }} not in ('', '00000') and {{ parsed or wareki_month_to_date(column) }} is null)
{%- endmacro %}


{# NEN3 和暦年度 GYY → 西暦 fiscal year (429 → 2017). Always set: empty is unreadable. #}
{% macro nendo_to_fiscal_year(column) -%}
    case when {{ column }} ~ '^[{{ _era_digits() }}][0-9]{2}$' and substr({{ column }}, 2, 2) <> '00' then
        {{ _era_base('substr(' ~ column ~ ', 1, 1)') }} + substr({{ column }}, 2, 2)::int
    end
{%- endmacro %}


{% macro nendo_is_unreadable(column, parsed=none) -%}
    ({{ parsed or nendo_to_fiscal_year(column) }} is null)
{%- endmacro %}


{# AMT, from var legacy_amount in dbt_project.yml (the one statement of the rule): an
   integer as dumped (pattern) of at most max_digits digits; empty means 0. #}
{% macro parse_amount(column) -%}
    {%- set rule = var('legacy_amount') -%}
    case
        when {{ column }} = '' then 0::bigint
        when {{ column }} ~ '^{{ rule.pattern }}$'
            and length(ltrim({{ column }}, '-')) <= {{ rule.max_digits }} then {{ column }}::bigint
    end
{%- endmacro %}


{# An AMT as dumped, for the control totals (ACCOUNTING.csv, setup-layouts.md §6-§7):
   any integer of the pattern, however long; empty or unreadable counts 0. #}
{% macro amount_as_dumped(column) -%}
    case when {{ column }} ~ '^{{ var('legacy_amount').pattern }}$' then {{ column }}::numeric else 0 end
{%- endmacro %}


{% macro amount_is_unreadable(column, parsed=none) -%}
    ({{ parsed or parse_amount(column) }} is null)
{%- endmacro %}


{# FLG: 1 true, 0 or empty false; anything else unreadable (NULL). #}
{% macro parse_flag(column) -%}
    case when {{ column }} = '1' then true when {{ column }} in ('0', '') then false end
{%- endmacro %}


{% macro flag_is_unreadable(column) -%}
    ({{ column }} not in ('0', '1', ''))
{%- endmacro %}


{# A numeric id: ASCII digits (at most 18); anything else unreadable (NULL). #}
{% macro parse_id(column) -%}
    case when {{ column }} ~ '^[0-9]{1,18}$' then {{ column }}::bigint end
{%- endmacro %}


{% macro id_is_unreadable(column, parsed=none) -%}
    ({{ parsed or parse_id(column) }} is null)
{%- endmacro %}


{# SETAI_NO, ATENA_NO must be exactly 10 ASCII digits: true when one is not. #}
{% macro key_is_unreadable(column) -%}
    ({{ column }} !~ '^[0-9]{10}$')
{%- endmacro %}


{# KIBETSU: exactly two digits 01–10 → 1–10. #}
{% macro parse_period(column) -%}
    case when {{ column }} ~ '^(0[1-9]|10)$' then {{ column }}::int end
{%- endmacro %}


{# A small code listed in the spec (SEIBETSU_CD, KOKUSEKI_KBN): its value, empty → 0. #}
{% macro parse_listed_value(column, allowed) -%}
    case
        when {{ column }} = '' then 0
        when {{ column }} in ({% for value in allowed %}'{{ value }}'{{ ", " if not loop.last }}{% endfor %})
            then {{ column }}::int
    end
{%- endmacro %}


{# A count (KAISU): ASCII digits; empty = not set (NULL, written as zeros). #}
{% macro parse_count(column) -%}
    case when {{ column }} ~ '^[0-9]{1,9}$' then {{ column }}::int end
{%- endmacro %}


{% macro count_is_unreadable(column, parsed=none) -%}
    ({{ column }} <> '' and {{ parsed or parse_count(column) }} is null)
{%- endmacro %}


{# CD2 codes are taken exactly as written; empty = not set (NULL). #}
{% macro code_or_null(column) -%}
    nullif({{ column }}, '')
{%- endmacro %}
