-- The ward's gaiji table (seeds/gaiji_map.csv) decoded: one row per mapped gaiji.
-- setup-layouts.md §4. Rows whose UNICODE is not a gaiji code point are kept with a
-- NULL gaiji_char so that the data tests report them instead of dropping them.
with gaiji_map as (
    select * from {{ ref('gaiji_map') }}
),

decoded as (
    select
        gaiji_map.sjis_code,
        gaiji_map.unicode,
        gaiji_map.replacement,
        case
            when gaiji_map.unicode ~ '^U\+E[0-7][0-9A-F]{2}$'
                then chr(('x' || lpad(substr(gaiji_map.unicode, 3), 8, '0'))::bit(32)::int)
        end as gaiji_char
    from gaiji_map
)

select
    sjis_code,
    unicode,
    gaiji_char,
    replacement
from decoded
