-- 交渉内容の行分割（KT050）。setup-layouts.md §5 "Negotiation text": NAIYO is split at
-- its line breaks (CRLF, LF or CR); a line that is empty or holds only spaces is
-- dropped (judged after conversion: a line of blanks, full-width spaces or control
-- characters is blank); each line, converted as N, is cut into pieces of at most 200
-- bytes (100 full-width characters) at character boundaries, with no TRUNCATED; each
-- piece is one record, 行番号 1, 2, … in order. A record whose NAIYO is empty (or has no
-- line left) gives one record with a blank 内容.
with negotiations as (
    select
        negotiations.negotiation_key,
        negotiations.negotiation_id,
        negotiations.household_no,
        kosho.negotiation_text
    from {{ ref('int_negotiations') }} as negotiations
    inner join {{ ref('stg_legacy__kosho_keika') }} as kosho
        on negotiations.negotiation_key = kosho.negotiation_key
    where negotiations.outcome = 'MIGRATED'
),

lines as (
    select
        negotiations.negotiation_key,
        split.line_order,
        {{ to_n_text('split.line_text') }} as line_text
    from negotiations
    cross join
        lateral regexp_split_to_table(negotiations.negotiation_text, '\r\n|\n|\r')
        with ordinality as split (line_text, line_order)
    -- each line is converted once (OFFSET 0: PostgreSQL would otherwise convert it again
    -- for the blank test, the piece count and every piece)
    offset 0  -- noqa: AM09
),

kept_lines as (
    select * from lines
    where line_text !~ '^　*$'
),

pieces as (
    select
        kept_lines.negotiation_key,
        kept_lines.line_order,
        piece.piece_order,
        substr(kept_lines.line_text, piece.piece_order * 100 + 1, 100) as line_text
    from kept_lines
    cross join lateral generate_series(0, (char_length(kept_lines.line_text) - 1) / 100)
        as piece (piece_order)
),

numbered as (
    select
        pieces.negotiation_key,
        row_number() over (
            partition by pieces.negotiation_key
            order by pieces.line_order, pieces.piece_order
        ) as line_no,
        pieces.line_text
    from pieces
)

select
    negotiations.negotiation_key,
    negotiations.negotiation_id,
    negotiations.household_no,
    coalesce(numbered.line_no, 1) as line_no,
    coalesce(numbered.line_text, '') as line_text
from negotiations
left join numbered on negotiations.negotiation_key = numbered.negotiation_key
