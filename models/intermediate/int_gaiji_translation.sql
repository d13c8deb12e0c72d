-- The gaiji map as the two strings translate() takes (one character for one
-- character): used by macros/field_conversion.sql replace_gaiji(). setup-layouts.md §4.
with gaiji_map as (
    select * from {{ ref('int_gaiji_map') }}
    where gaiji_char is not null
)

select
    count(*) as mapped_count,
    coalesce(string_agg(gaiji_char, '' order by unicode), '') as from_chars,
    coalesce(string_agg(replacement, '' order by unicode), '') as to_chars
from gaiji_map
