"""The ward's editable tables (seeds/), checked before anything is built.

Staff edit ``seeds/gaiji_map.csv`` between rounds (setup-layouts.md §4). A mistake there
(a code listed twice, a half-width or non-CP932 replacement, a malformed line) would
otherwise stop the build with a dbt test id; this check names the code, the line of the
file and the fix first. The dbt tests on ``int_gaiji_map`` stay as the build's own guard.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from . import cp932, refused
from .paths import PROJECT_DIR

GAIJI_MAP = PROJECT_DIR / "seeds" / "gaiji_map.csv"
GAIJI_HEADER = ("SJIS_CODE", "UNICODE", "REPLACEMENT", "NOTE")
_SJIS_CODE = re.compile(r"F[0-9][4-9A-F][0-9A-F]")
_UNICODE = re.compile(r"U\+E[0-7][0-9A-F]{2}")


class SeedProblem(refused.Refused):
    """One mistake in a seed file: where, what, and how to fix it."""

    def __init__(self, file: str, line: int, problem: str, fix: str) -> None:
        where = f"{file} line {line}" if line else file
        super().__init__(f"{where}: {problem}. {fix}")
        self.file, self.line = file, line


def _gaiji_char(sjis_code: str) -> str | None:
    """The code point CP932 gives a user-defined Shift_JIS code, None if it is not one."""
    try:
        char = bytes.fromhex(sjis_code).decode("cp932")
    except (ValueError, UnicodeDecodeError):
        return None
    return char if cp932.is_gaiji(char) else None


def _is_fullwidth_cp932(text: str) -> bool:
    if len(text) != 1 or cp932.is_gaiji(text):
        return False
    try:
        return len(cp932.windows(text)) == 2
    except UnicodeEncodeError:
        return False


def check_gaiji_map(path: Path = GAIJI_MAP) -> int:
    """Check the ward's gaiji table; return how many gaiji it maps, or raise SeedProblem."""
    name = f"seeds/{path.name}"
    fix = f"Correct line {{line}} of {name} (setup-layouts.md §4), then run the round again."
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise SeedProblem(name, 0, "the file is missing",
                          "Restore it from the ward's gaiji-map.csv.") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise SeedProblem(name, line, "the line is not UTF-8 text",
                          fix.format(line=line) + " Save the file as UTF-8.") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or tuple(rows[0]) != GAIJI_HEADER:
        raise SeedProblem(name, 1, "the header must be " + ",".join(GAIJI_HEADER),
                          fix.format(line=1))
    seen_codes: dict[str, int] = {}
    seen_chars: dict[str, int] = {}
    count = 0
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(GAIJI_HEADER):
            raise SeedProblem(name, line, f"the line has {len(row)} fields, not 4 "
                              "(SJIS_CODE,UNICODE,REPLACEMENT,NOTE; quote a NOTE holding a comma)",
                              fix.format(line=line))
        code, unicode, replacement = row[0], row[1], row[2]
        shown = code if _SJIS_CODE.fullmatch(code) else "(not a code)"
        char = _gaiji_char(code) if _SJIS_CODE.fullmatch(code) else None
        if char is None:
            raise SeedProblem(name, line, f"SJIS_CODE {shown} is not a gaiji code "
                              "(F040–F9FC, 4 upper-case hex digits)", fix.format(line=line))
        if code in seen_codes:
            raise SeedProblem(name, line, f"gaiji {code} is listed twice (first on line "
                              f"{seen_codes[code]})",
                              f"Keep one of lines {seen_codes[code]} and {line} of {name}, "
                              "then run the round again.")
        expected = f"U+{ord(char):04X}"
        if unicode != expected:
            raise SeedProblem(name, line, f"gaiji {code} is {expected} in CP932, but UNICODE "
                              f"says {unicode[:8] if _UNICODE.fullmatch(unicode) else '(not U+XXXX)'}",
                              fix.format(line=line) + f" Write {expected}.")
        if unicode in seen_chars:
            raise SeedProblem(name, line, f"{unicode} is listed twice (first on line "
                              f"{seen_chars[unicode]})", fix.format(line=line))
        if not _is_fullwidth_cp932(replacement):
            what = ("is empty" if not replacement else
                    "is more than one character" if len(replacement) > 1 else
                    "is itself a gaiji" if cp932.is_gaiji(replacement) else
                    "is half-width" if _half_width(replacement) else
                    f"(U+{ord(replacement):04X}) is not a CP932 character")
            raise SeedProblem(name, line, f"the REPLACEMENT of gaiji {code} {what}: it must be "
                              "one full-width CP932 character", fix.format(line=line))
        seen_codes[code], seen_chars[unicode] = line, line
        count += 1
    return count


def _half_width(text: str) -> bool:
    try:
        return len(cp932.windows(text)) == 1
    except UnicodeEncodeError:
        return False
