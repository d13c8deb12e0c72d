{#
    setup-layouts.md §2 and §8: the fixed-length records of a setup file, built from the
    layout metadata declared once on each mart (model meta file_id, record_length, key,
    trailer; column meta item, type, width, position). PostgreSQL's convert_to(..,
    'SJIS') writes CP932 as Windows does (髙 → 0xFBFC). A value that does not fit its
    field (too long, negative for 9(n), not ASCII for X) gives a NULL record, which the
    exporter refuses: a value is never cut or wrapped here.
#}

{# The layout columns of a mart, in layout order, as dicts with name, meta and data_type. #}
{% macro layout_columns(model_name) %}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] -%}
    {%- set result = [] -%}
    {%- for name, column in node.columns.items() -%}
        {%- set meta = column.meta or column.get('config', {}).get('meta', {}) -%}
        {%- if meta.get('width') -%}
            {%- do result.append({'name': name, 'meta': meta,
                                  'data_type': (column.data_type or '') | lower}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(result) }}
{% endmacro %}


{% macro layout_meta(model_name) %}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] -%}
    {{ return(node.meta or node.config.meta) }}
{% endmacro %}


{#
    CP932 bytes of a full-width text as Windows writes them. PostgreSQL's SJIS encoder
    agrees with Windows on every character but 13 that both NEC row 13 and the IBM
    extension rows hold: Windows writes NEC row 13 (Ⅰ → 8754), PostgreSQL the IBM row
    (Ⅰ → FA4A). Every character of an N field is two bytes, so the hex of the encoded
    text is cut into 4-digit units and those 13 units are replaced; a text that is not
    all double-byte gives NULL.
#}
{% macro _nec_row_13_fixes() -%}
    {{ return([
        ('fa4a', '8754'), ('fa4b', '8755'), ('fa4c', '8756'), ('fa4d', '8757'),
        ('fa4e', '8758'), ('fa4f', '8759'), ('fa50', '875a'), ('fa51', '875b'),
        ('fa52', '875c'), ('fa53', '875d'), ('fa58', '878a'), ('fa59', '8782'),
        ('fa5a', '8784'),
    ]) }}
{%- endmacro %}

{# True when a text is not all double-byte in CP932 (N fields, §2): the encoder
   (cp932_windows_bytes) and the field rule (layout_field_misfit) share this test. #}
{% macro _not_all_double_byte(text_sql) -%}
    octet_length(convert_to({{ text_sql }}, 'SJIS')) <> 2 * char_length({{ text_sql }})
{%- endmacro %}

{% macro cp932_windows_bytes(text_sql) -%}
    {%- set ns = namespace(sql="regexp_replace(encode(convert_to(" ~ text_sql ~ ", 'SJIS'), 'hex'), "
                               ~ "'(....)', '<\\1>', 'g')") -%}
    {%- for postgres, windows in _nec_row_13_fixes() -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", '<" ~ postgres ~ ">', '<" ~ windows ~ ">')" -%}
    {%- endfor -%}
    case
        when {{ _not_all_double_byte(text_sql) }} then null
        when {{ text_sql }} !~ '[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ№℡㈱]' then convert_to({{ text_sql }}, 'SJIS')
        else decode(translate({{ ns.sql }}, '<>', ''), 'hex')
    end
{%- endmacro %}


{#
    §2's field rules: true when a value does not fit its field, never NULL. The one
    statement of them: the record builder (format_layout_field) writes a value only when
    this is false, and the validation gate and overflow.py check each mart with the same
    SQL, which they read from the view layout_field_rules. No braces in the SQL (GX
    formats its queries). X: half-width ASCII 0x20–0x7E, at most n characters. N: every
    character two bytes in CP932, at most n bytes (``encoded_by_builder``: the builder's
    encoder to_cp932 makes the double-byte test itself, on the same macro, and gives NULL).
    S9: |value| < 10^(n−1). 9: 0 ≤ value < 10^n; unset is zeros. Dates: from 1868-01-01
    (明治) to 9999-12-31, or unset.
#}
{% macro layout_field_misfit(expression, field_type, width, data_type, encoded_by_builder=false) -%}
    {%- if field_type == 'X' -%}
        (char_length(coalesce({{ expression }}, '')) > {{ width }} or coalesce({{ expression }}, '') ~ '[^\x20-\x7E]')
    {%- elif field_type == 'N' and encoded_by_builder -%}
        (char_length(coalesce({{ expression }}, '')) > {{ width // 2 }})
    {%- elif field_type == 'N' -%}
        (char_length(coalesce({{ expression }}, '')) > {{ width // 2 }} or {{ _not_all_double_byte("coalesce(" ~ expression ~ ", '')") }})
    {%- elif data_type == 'date' -%}
        coalesce({{ expression }} < date '1868-01-01' or {{ expression }} > date '9999-12-31', false)
    {%- elif field_type == 'S9' -%}
        (abs(coalesce({{ expression }}, 0)) > {{ 10 ** (width - 1) - 1 }})
    {%- else -%}
        (coalesce({{ expression }}, 0) < 0 or coalesce({{ expression }}, 0) > {{ 10 ** width - 1 }})
    {%- endif -%}
{%- endmacro %}


{# One field as text of exactly its width (characters), or NULL when it does not fit
   (layout_field_misfit). #}
{% macro format_layout_field(expression, field_type, width, data_type) -%}
    case when not {{ layout_field_misfit(expression, field_type, width, data_type, encoded_by_builder=true) }} then
    {%- if field_type == 'X' %}
        rpad(coalesce({{ expression }}, ''), {{ width }})
    {%- elif field_type == 'N' %}
        rpad(coalesce({{ expression }}, ''), {{ width // 2 }}, '　')
    {%- elif field_type == 'S9' %}
        case when coalesce({{ expression }}, 0) < 0 then '-' else '+' end
            || lpad(abs(coalesce({{ expression }}, 0))::text, {{ width - 1 }}, '0')
    {%- elif data_type == 'date' %}
        coalesce(to_char({{ expression }}, '{{ "YYYYMMDD" if width == 8 else "YYYYMM" }}'),
            '{{ "0" * width }}')
    {%- else %}
        lpad(coalesce({{ expression }}, 0)::text, {{ width }}, '0')
    {%- endif %}
    end
{%- endmacro %}


{# Header, data and trailer records of one setup file: (file_id, section, sort_key, record). #}
{% macro layout_records(model_name) %}
    {%- set meta = layout_meta(model_name) -%}
    {%- set columns = layout_columns(model_name) -%}
    {%- set length = meta['record_length'] -%}
    select
        '{{ meta["file_id"] }}'::text as file_id,
        1 as section,
        ''::bytea as sort_key,
        convert_to(rpad('1' || '{{ meta["file_id"] }}' || to_char(parameters.as_of, 'YYYYMMDD')
            || rpad(parameters.round_id, 6), {{ length }}), 'SJIS') as record
    from {{ ref('round_parameters') }} as parameters
    union all
    select
        '{{ meta["file_id"] }}'::text as file_id,
        2 as section,
        convert_to(
            {%- for key in meta['key'] -%}
                {%- for column in columns if column.name == key %}
            {{ format_layout_field('layout.' ~ key, column.meta['type'], column.meta['width'], column.data_type) }}
                {%- endfor -%}
                {{ " ||" if not loop.last }}
            {%- endfor %}, 'SJIS') as sort_key,
        {#- Consecutive fields other than N are joined as text and encoded by one
            convert_to (they are ASCII, and the encoding is character by character, so
            the bytes are the same as field by field; a NULL field still gives a NULL
            record): one encoder call per run of fields instead of one per field. #}
        {%- set runs = [] -%}
        {%- for column in columns -%}
            {%- set formatted = format_layout_field('layout.' ~ column.name, column.meta['type'], column.meta['width'], column.data_type) -%}
            {%- if column.meta['type'] == 'N' -%}
                {%- do runs.append({'n': true, 'parts': [formatted]}) -%}
            {%- elif runs and not runs[-1]['n'] -%}
                {%- do runs[-1]['parts'].append(formatted) -%}
            {%- else -%}
                {%- do runs.append({'n': false, 'parts': [formatted]}) -%}
            {%- endif -%}
        {%- endfor %}
        {%- for run in runs %}
            {%- if run['n'] %}
        {{ function('to_cp932') }}({{ run['parts'][0] }})
            {%- else %}
        convert_to(
            {%- for part in run['parts'] %}
            {{ part }}{{ " ||" if not loop.last }}
            {%- endfor %}, 'SJIS')
            {%- endif %}
            {{- " ||" if not loop.last }}
        {%- endfor %} as record
    from {{ ref(model_name) }} as layout
    union all
    select
        '{{ meta["file_id"] }}'::text as file_id,
        9 as section,
        ''::bytea as sort_key,
        convert_to(rpad('9'
            {%- for figure in meta['trailer'] %}
            || {{ format_layout_field('totals.' ~ figure['figure'], figure['type'], figure['width'], 'bigint') }}
            {%- endfor %}, {{ length }}), 'SJIS') as record
    from {{ ref('file_totals') }} as totals
    where totals.file_id = '{{ meta["file_id"] }}'
{% endmacro %}
