"""A dump file's records: RFC 4180 CSV over the decoded lines, the header of
legacy-extract.md §4 first, every record with as many fields, each with the line it
starts on (pure: a file in, records out, no database)."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

from .. import legacy
from .decode import Tracked, decoded_lines
from .errors import DAMAGED, UNREADABLE, LoadError


def read_records(path: Path, header: tuple[str, ...],
                 digest: "hashlib._Hash | None" = None) -> Iterator[tuple[int, list[str]]]:
    """Yield (line the record starts on, fields) after checking the header; raise LoadError."""
    if path.is_dir():
        raise LoadError(path.name, None, "is a folder, not a file",
                        "Every file of legacy-extract.md §1 must be a plain file: " + UNREADABLE)
    if not path.exists():
        raise LoadError(path.name, None, "the file is missing from the extract",
                        "Every file of legacy-extract.md §1 must be present.")
    if not path.is_file():
        raise LoadError(path.name, None, "is not a plain file (a device or a pipe)",
                        UNREADABLE)
    tracked = Tracked()
    lines = decoded_lines(path, tracked, digest or hashlib.sha256())
    reader = csv.reader(lines, strict=True)
    start = 1
    first = True
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise LoadError(path.name, start, f"the record does not parse as CSV ({exc})",
                            DAMAGED) from None
        if tracked.last_had_newline and not tracked.last_ended_crlf:
            raise LoadError(path.name, tracked.lines, "the record ends in LF, not CRLF", DAMAGED)
        line, start = start, tracked.lines + 1
        if not record:  # a blank line is not a record
            continue
        if first:
            first = False
            if tuple(record) != header:
                raise LoadError(path.name, line, header_problem(header, tuple(record)),
                                "The file must start with the header of legacy-extract.md §4. "
                                + DAMAGED)
            continue
        if len(record) != len(header):
            raise LoadError(path.name, line,
                            f"the record has {len(record)} fields, the header {len(header)}",
                            DAMAGED)
        yield line, record
    if first:
        raise LoadError(path.name, 1, "the file is empty (no header)", DAMAGED)


def header_problem(expected: tuple[str, ...], found: tuple[str, ...]) -> str:
    """How a header differs from the spec's, naming only the spec's own column names."""
    missing = [c for c in expected if c not in found]
    unexpected = [c for c in found if c not in expected]
    parts = [f"the header differs from legacy-extract.md: expected {len(expected)} columns, "
             f"found {len(found)}"]
    if missing:
        parts.append("missing " + ", ".join(missing))
    if unexpected:
        # Only the spec's own column names are echoed: a file without its header starts
        # with a record, and a record may hold personal data (even "B203" is an address).
        known = {column for table in legacy.tables() for column in table.header}
        shown = [c for c in unexpected if c in known]
        parts.append(f"{len(unexpected)} unexpected"
                     + (": " + ", ".join(shown[:5]) if shown else " (not column names)"))
    if not missing and not unexpected:
        parts.append("the columns are out of order")
    return "; ".join(parts)
