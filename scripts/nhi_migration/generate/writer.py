"""Writing one dump file as legacy-extract.md has it: header, RFC 4180 quoting, CRLF,
CP932 (IBM or NEC-selected extension kanji), counting records and amounts as it goes."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from .. import cp932, legacy

NEEDS_QUOTES = re.compile(r'[,"\r\n]')


class TableWriter:
    """Writes one dump file: header, RFC 4180 quoting, CRLF, CP932; counts as it goes."""

    def __init__(self, folder: Path, table: legacy.LegacyTable, rng: random.Random,
                 *, drop_column: str | None = None) -> None:
        self.table = table
        self.path = folder / table.file
        self.rng = rng
        self.count = 0
        self.amount_total = 0
        self._amount_index = (table.columns.index(table.amount_column)
                              if table.amount_column else None)
        self._drop = table.columns.index(drop_column) if drop_column else None
        self._file: BinaryIO = self.path.open("wb")
        self._write(list(table.header), quote_all=False, ibm=False)

    def _write(self, fields: list[str], *, quote_all: bool, ibm: bool, extra: str = "") -> None:
        if self._drop is not None:
            del fields[self._drop]
        parts = []
        for value in fields:
            if NEEDS_QUOTES.search(value) or (quote_all and value):
                value = '"' + value.replace('"', '""') + '"'
            parts.append(value)
        line = ",".join(parts) + extra + "\r\n"
        self._file.write(cp932.encode(line, ibm=ibm))

    def row(self, fields: Sequence[str], *, ibm: bool = False, extra: str = "") -> None:
        """One record. A few records quote every field (the dump may quote any field)."""
        quote_all = self.rng.random() < 0.01
        self._write(list(fields), quote_all=quote_all, ibm=ibm, extra=extra)
        self.count += 1
        if self._amount_index is not None:
            self.amount_total += amount_value(fields[self._amount_index])

    def close(self, *, final_newline: bool) -> None:
        if not final_newline and self.count:
            self._file.seek(-2, 2)
            self._file.truncate()
        self._file.close()


def amount_value(text: str) -> int:
    """An AMT as the legacy database counted it (_CONTROL): any integer as dumped, however
    many digits; empty is 0; an unreadable one counts 0 (dbt_project.yml var legacy_amount)."""
    return legacy.amount_rule().as_dumped(text)

