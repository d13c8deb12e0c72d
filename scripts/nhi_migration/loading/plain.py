"""The plain path: a file whose every line is one plain record, turned into COPY's text
a block of lines at a time, with no CSV parser (pure: a file in, COPY text out).

Most of the dump is plain: whole CRLF lines that decode (decode.whole_block), no blank
line, no CR but in CRLF, and no field quoted but as ``"text"`` around text without a
quote (a comma ends it). Every record of such a line is the text between its commas
(quotes taken off), exactly as records.read_records reads it, and it starts on its own
line. A file that is not plain all through, or a record whose fields do not count as
the header's, stops the plain path with NotPlain *before* COPY is handed anything it
would refuse: the loader then rolls the file back and reads it again record by record
(records.read_records), which names the line and the problem exactly as it always has.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from operator import methodcaller
from pathlib import Path

from .. import legacy
from .control import Tally
from .decode import Tracked, line_blocks, whole_block


class NotPlain(Exception):
    """The file needs the record-by-record path (the message holds no value)."""


def copy_text(path: Path, table: legacy.LegacyTable, digest: "hashlib._Hash",
              tally: Tally) -> Iterator[str]:
    """COPY's text of the file's records (the fields, the file name, the line), a block
    at a time; ``digest`` and ``tally`` take every byte and record. Raises NotPlain."""
    if not path.is_file() or any(c in table.file for c in ",\\\t\r\n"):
        raise NotPlain("not a plain file")
    header = ",".join(table.header)
    commas = len(table.header) - 1
    amounts = _amount_picker(table)
    # csv refuses a field longer than its limit: a line that long is read by csv.
    limit = csv.field_size_limit()
    tracked = Tracked()
    try:
        with path.open("rb") as handle:
            for block, whole in line_blocks(handle):
                lines = plain_lines(block, whole, tracked, limit)
                digest.update(block)
                start = tracked.lines + 1
                tracked.lines += len(lines)
                if start == 1:
                    if lines[0] != header:
                        raise NotPlain("the header needs a closer look")
                    del lines[0]
                    start = 2
                if not lines:
                    continue
                if set(map(methodcaller("count", ","), lines)) != {commas}:
                    raise NotPlain("a record has too many or too few fields")
                tally.add_records(len(lines), amounts(lines) if amounts else None)
                yield copy_block(lines, table.file, start)
    except OSError:
        raise NotPlain("the file cannot be read") from None
    if tracked.lines == 0:
        raise NotPlain("the file is empty")


def _amount_picker(table: legacy.LegacyTable) -> Callable[[list[str]], list[str]] | None:
    """The amount field of each plain line (cut from whichever end is nearer)."""
    if table.amount_column is None:
        return None
    index = table.columns.index(table.amount_column)
    after = len(table.columns) - 1 - index  # fields after it
    if index <= after:
        return lambda lines: [line.split(",", index + 1)[index] for line in lines]
    return lambda lines: [line.rsplit(",", after + 1)[1] for line in lines]


def plain_lines(block: bytes, whole: bool, tracked: Tracked, limit: int) -> list[str]:
    """The block's lines (without CRLF), plain fields joined by commas; or NotPlain."""
    text = whole_block(block, tracked)  # every LF of it ends a CRLF
    if text is None or text.count("\r") != text.count("\n"):
        raise NotPlain("a line needs a closer look")
    if whole:
        if text.startswith("\r\n") or "\n\r\n" in text:
            raise NotPlain("a blank line")
        lines = text.split("\r\n")
        lines.pop()  # the block ends in CRLF
    else:
        lines = [text]  # the last line, without a line end
    if max(map(len, lines)) > limit:
        raise NotPlain("a line longer than csv's field limit")
    if '"' in text:
        lines = [unquoted(line) if '"' in line else line for line in lines]
    return lines


def unquoted(line: str) -> str:
    """A line whose quoted fields are each ``"text"`` with no quote in it, quotes off."""
    fields = line.split(",")
    for n, field in enumerate(fields):
        if '"' in field:
            if len(field) < 2 or field[0] != '"' or field[-1] != '"' or '"' in field[1:-1]:
                raise NotPlain("a quote needs csv")
            fields[n] = field[1:-1]
    return ",".join(fields)


def copy_block(lines: list[str], file: str, start: int) -> str:
    """COPY's text format for plain lines from line ``start`` on, as copy_in.copy_rows
    writes each record: a backslash or a tab escaped, fields tab-separated, then the file
    name and the line (no field of a plain line holds CR, LF or a comma)."""
    text = "".join([f"{line},{file},{n}\n" for n, line in enumerate(lines, start)])
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text:
        text = text.replace("\t", "\\t")
    return text.replace(",", "\t")
