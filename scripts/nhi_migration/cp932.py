"""CP932 (Windows-31J) bytes for the synthetic dump, as a legacy Windows system writes them.

CP932 holds the IBM extension kanji twice: in the IBM rows 0xFA–0xFC and in the
NEC-selected rows 0xED–0xEE. Python's ``cp932`` codec writes the NEC-selected rows
(髙 → 0xEEE0); Windows writes the IBM rows (髙 → 0xFBFC). A real dump may hold either,
so the generator writes both and the loader must read both (legacy-extract.md §2).
The .dat files are encoded in SQL (the dbt function to_cp932); the package's three CSVs
by ``windows()`` here. A test holds both to the same Windows table, character by character.
"""

from __future__ import annotations

import re
from functools import cache

GAIJI_FIRST, GAIJI_LAST = 0xE000, 0xE757


@cache
def ibm_rows() -> dict[str, bytes]:
    """Characters of the IBM extension rows 0xFA40–0xFC4B and their IBM-row bytes."""
    table: dict[str, bytes] = {}
    for lead in (0xFA, 0xFB, 0xFC):
        for trail in range(0x40, 0xFD):
            code = bytes((lead, trail))
            try:
                char = code.decode("cp932")
            except UnicodeDecodeError:
                continue
            if char.encode("cp932") != code:  # Python would write it elsewhere
                table[char] = code
    return table


def encode(text: str, *, ibm: bool) -> bytes:
    """Encode as CP932; with ``ibm`` the IBM extension kanji go to rows 0xFA–0xFC."""
    if not ibm or text.isascii():
        return text.encode("cp932")
    rows = ibm_rows()
    if not any(ch in rows for ch in text):
        return text.encode("cp932")
    return b"".join(rows.get(ch) or ch.encode("cp932") for ch in text)


@cache
def _nec_selected() -> tuple[dict[str, bytes], re.Pattern[str]]:
    """Characters Python writes in the NEC-selected rows, with their IBM-row bytes."""
    remap = {char: code for char, code in ibm_rows().items()
             if char.encode("cp932")[:1] in (b"\xed", b"\xee")}
    return remap, re.compile("[" + "".join(map(re.escape, sorted(remap))) + "]")


def windows(text: str) -> bytes:
    """CP932 as Windows writes it: Python's codec, except that the IBM extension kanji go
    to rows 0xFA–0xFC instead of the NEC-selected rows 0xED–0xEE (setup-layouts.md §2)."""
    remap, pattern = _nec_selected()
    parts, last = [], 0
    for found in pattern.finditer(text):
        parts.append(text[last:found.start()].encode("cp932"))
        parts.append(remap[found.group()])
        last = found.end()
    parts.append(text[last:].encode("cp932"))
    return b"".join(parts)


def is_gaiji(char: str) -> bool:
    return GAIJI_FIRST <= ord(char) <= GAIJI_LAST
