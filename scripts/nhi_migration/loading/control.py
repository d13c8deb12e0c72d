"""``_CONTROL.csv`` and the figures that must equal it: each table's record count and
amount total, as the dump's records add up (pure: records in, figures or a refusal out)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import legacy
from .errors import DAMAGED, LoadError
from .records import read_records

_AMOUNT = legacy.amount_rule().pattern  # any length: _CONTROL sums amounts as dumped

ControlRow = tuple[int, int, int | None]  # (line, record count, amount total)


def read_control(folder: Path) -> dict[str, ControlRow]:
    """_CONTROL.csv as {TABLE: (line, record count, amount total)}."""
    control = legacy.control_table()
    return control_rows(read_records(folder / control.file, control.header))


def control_rows(records: Iterable[tuple[int, list[str]]]) -> dict[str, ControlRow]:
    """The rows of _CONTROL.csv, each table once with figures of the right kind."""
    file = legacy.control_table().file
    expected = {t.table_name: t for t in legacy.data_tables()}
    result: dict[str, ControlRow] = {}
    for line, (name, count, amount) in records:
        if name not in expected:
            raise LoadError(file, line, f"unknown table name {name[:20]!r}", DAMAGED)
        if name in result:
            raise LoadError(file, line, f"{name} is listed twice", DAMAGED)
        if not re.fullmatch(r"[0-9]+", count):
            raise LoadError(file, line, f"RECORD_COUNT of {name} is not a number", DAMAGED)
        wants_amount = expected[name].amount_column is not None
        if wants_amount and not _AMOUNT.fullmatch(amount):
            raise LoadError(file, line, f"AMOUNT_TOTAL of {name} is not an integer", DAMAGED)
        if not wants_amount and amount:
            raise LoadError(file, line, f"AMOUNT_TOTAL of {name} must be empty", DAMAGED)
        result[name] = (line, int(count), int(amount) if wants_amount else None)
    missing = [name for name in expected if name not in result]
    if missing:
        raise LoadError(file, None, "no row for " + ", ".join(missing), DAMAGED)
    return result


@dataclass
class Tally:
    """One file's records and the sum of its amount column, as _CONTROL counts them (an
    amount that is not an integer as dumped counts 0)."""

    amount_index: int | None
    records: int = 0
    amount: int = 0

    @classmethod
    def of(cls, table: legacy.LegacyTable) -> Tally:
        return cls(table.columns.index(table.amount_column) if table.amount_column else None)

    def add(self, record: list[str]) -> None:
        self.records += 1
        if self.amount_index is not None and _AMOUNT.fullmatch(record[self.amount_index]):
            self.amount += int(record[self.amount_index])

    def add_records(self, count: int, amounts: list[str] | None) -> None:
        """``count`` records at once, with their amounts when the table has them (the
        plain path's blocks; the same rule as add)."""
        self.records += count
        if self.amount_index is not None and amounts is not None:
            self.amount += sum(map(int, filter(_AMOUNT.fullmatch, amounts)))

    @property
    def amount_total(self) -> int | None:
        return self.amount if self.amount_index is not None else None


def check_control(file: str, records: int, amount_total: int | None,
                  control: ControlRow) -> None:
    """The file's figures against its row of _CONTROL.csv."""
    line, count, amount = control
    if records != count:
        raise LoadError(file, None,
                        f"the file holds {records:,} records but _CONTROL.csv line "
                        f"{line} says {count:,}",
                        "The file was cut short or altered: take the extract again.")
    if amount is not None and amount_total != amount:
        raise LoadError(file, None,
                        f"the amounts add up to {amount_total:,} but _CONTROL.csv line "
                        f"{line} says {amount:,}",
                        "The file was altered: take the extract again.")
