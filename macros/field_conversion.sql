{#
    setup-layouts.md §2: turning a legacy text value into a setup-file field value.
    Each rule is one macro, used by every layout. No Unicode normalisation anywhere:
    names must reach the target character for character (塚 U+FA10 stays U+FA10).
#}

{# Half-width katakana U+FF61–U+FF9F and their full-width forms, position by position.
   ﾞ and ﾟ standing alone become the spacing marks ゛ (U+309B) and ゜ (U+309C). #}
{% macro _halfwidth_katakana() -%}
    ｡｢｣､･ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝﾞﾟ
{%- endmacro %}
{% macro _fullwidth_katakana() -%}
    。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜
{%- endmacro %}

{# Voiced and semi-voiced pairs CP932 has as one character; others keep a separate mark. #}
{% macro _voiced_pairs() -%}
    {{ return([
        ('ｶﾞ', 'ガ'), ('ｷﾞ', 'ギ'), ('ｸﾞ', 'グ'), ('ｹﾞ', 'ゲ'), ('ｺﾞ', 'ゴ'),
        ('ｻﾞ', 'ザ'), ('ｼﾞ', 'ジ'), ('ｽﾞ', 'ズ'), ('ｾﾞ', 'ゼ'), ('ｿﾞ', 'ゾ'),
        ('ﾀﾞ', 'ダ'), ('ﾁﾞ', 'ヂ'), ('ﾂﾞ', 'ヅ'), ('ﾃﾞ', 'デ'), ('ﾄﾞ', 'ド'),
        ('ﾊﾞ', 'バ'), ('ﾋﾞ', 'ビ'), ('ﾌﾞ', 'ブ'), ('ﾍﾞ', 'ベ'), ('ﾎﾞ', 'ボ'),
        ('ｳﾞ', 'ヴ'),
        ('ﾊﾟ', 'パ'), ('ﾋﾟ', 'ピ'), ('ﾌﾟ', 'プ'), ('ﾍﾟ', 'ペ'), ('ﾎﾟ', 'ポ'),
    ]) }}
{%- endmacro %}

{# A SQL string literal holding the characters of a code point range (quotes doubled). #}
{% macro _range_literal(first, last, offset=0) -%}
    {%- set ns = namespace(text='') -%}
    {%- for code in range(first, last + 1) -%}
        {%- set ns.text = ns.text ~ ('%c' | format(code + offset)) -%}
    {%- endfor -%}
    '{{ ns.text | replace("'", "''") }}'
{%- endmacro %}


{#
    §2 N step (1): gaiji U+E000–U+E757 through the ward's map (int_gaiji_translation,
    one character for one character), then any gaiji left becomes 〓 (U+3013). A text
    with no gaiji is returned as it is (the map changes only gaiji: its test says so).
#}
{% macro replace_gaiji(expression) -%}
    case when {{ expression }} ~ '[\uE000-\uE757]' then
        regexp_replace(
            translate(
                {{ expression }},
                (select gaiji.from_chars from {{ ref('int_gaiji_translation') }} as gaiji),
                (select gaiji.to_chars from {{ ref('int_gaiji_translation') }} as gaiji)
            ),
            '[\uE000-\uE757]', '〓', 'g'
        )
    else {{ expression }} end
{%- endmacro %}


{#
    §2 N step (2): half-width becomes full-width. ｶﾞ ﾊﾟ ｳﾞ are composed first; then
    U+0020 → U+3000, U+0021–U+007E → U+FF01–U+FF5E, half-width katakana → full-width,
    and every control character (U+0001–U+001F, U+007F) → U+3000. Nothing else changes,
    so a text with none of those characters (U+0001–U+007F, U+FF61–U+FF9F) is returned
    as it is, without the steps.
#}
{% macro to_fullwidth(expression) -%}
    {%- set ns = namespace(sql=expression) -%}
    {%- for half, full in _voiced_pairs() -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", '" ~ half ~ "', '" ~ full ~ "')" -%}
    {%- endfor -%}
    case when {{ expression }} ~ '[\x01-\x7F｡-ﾟ]' then
        regexp_replace(
            translate(
                {{ ns.sql }},
                ' ' || {{ _range_literal(33, 126) }} || '{{ _halfwidth_katakana() }}',
                '　' || {{ _range_literal(33, 126, 65248) }} || '{{ _fullwidth_katakana() }}'
            ),
            '[\x01-\x1F\x7F]', '　', 'g'
        )
    else {{ expression }} end
{%- endmacro %}


{#
    §2 N steps (1)–(3): the full-width text of a value, before it is fitted to a width.
    Step (2) runs in the database function to_fullwidth (functions/to_fullwidth.sql),
    whose body is the to_fullwidth() macro above: one rule, one place.
#}
{% macro to_n_text(expression) -%}
    {{ function('to_fullwidth') }}({{ replace_gaiji('coalesce(' ~ expression ~ ", '')") }})
{%- endmacro %}


{#
    §2 N step (4): cut at the last whole character that fits n bytes. After steps
    (1)–(3) every character is a double-byte CP932 character (ASCII, half-width katakana
    and control characters have all become full-width), so n bytes hold n/2 of them.
    The validation gate re-measures every field with PostgreSQL's CP932 encoder.
#}
{% macro cp932_truncate(n_text_sql, width_bytes) -%}
    left({{ n_text_sql }}, {{ (width_bytes // 2) | int }})
{%- endmacro %}


{# True when the N text of a value is longer than the field (exception TRUNCATED). #}
{% macro n_is_truncated(n_text_sql, width_bytes) -%}
    (char_length({{ n_text_sql }}) > {{ (width_bytes // 2) | int }})
{%- endmacro %}


{# §2 X: full-width ASCII variants U+FF01–U+FF5E and U+3000 folded to ASCII. #}
{% macro fold_to_ascii(expression) -%}
    translate(
        {{ expression }},
        '　' || {{ _range_literal(33, 126, 65248) }},
        ' ' || {{ _range_literal(33, 126) }}
    )
{%- endmacro %}


{#
    §2 X for a code or a number (district, collector, …): the folded value when it is
    printable ASCII and at most n characters; NULL when unset (empty); never cut.
#}
{% macro x_code(expression, width) -%}
    case
        when {{ fold_to_ascii(expression) }} ~ '^[\x20-\x7E]{1,{{ width }}}$'
            then {{ fold_to_ascii(expression) }}
    end
{%- endmacro %}


{# True when a code is set but is not ASCII or is longer than its field (INVALID_VALUE). #}
{% macro x_code_is_invalid(expression, width) -%}
    ({{ expression }} <> '' and {{ x_code(expression, width) }} is null)
{%- endmacro %}


{#
    §2 X phone: digits and hyphens in the order written, after folding; hyphen-like
    characters (U+2010, U+2015, U+2212, U+FF0D, U+30FC, U+FF70) become '-'; everything
    else is dropped; blank when no digit is left. Not yet cut: see x_phone.
#}
{% macro phone_digits(expression) -%}
    case when {{ fold_to_ascii(expression) }} ~ '[0-9]' then
        regexp_replace(
            translate({{ fold_to_ascii(expression) }}, '‐―−－ーｰ', '------'),
            '[^0-9-]', '', 'g'
        )
    else '' end
{%- endmacro %}


{# The phone field: cut to 15 characters (the cut is reported as TRUNCATED). #}
{% macro x_phone(expression) -%}
    left({{ phone_digits(expression) }}, 15)
{%- endmacro %}


{# §2 X postal code: the value's digits after folding when there are exactly 7, else blank. #}
{% macro x_postal(expression) -%}
    case
        when char_length(regexp_replace({{ fold_to_ascii(expression) }}, '[^0-9]', '', 'g')) = 7
            then regexp_replace({{ fold_to_ascii(expression) }}, '[^0-9]', '', 'g')
        else ''
    end
{%- endmacro %}
