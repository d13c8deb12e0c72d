"""The legacy dump's layout (file, header, key), read from ``_legacy__sources.yml``.

The dbt source definition is the one place the dump's columns are written down; the
loader and the generator read them from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import yaml

from .paths import PROJECT_DIR, SOURCES_YML

PROVENANCE_COLUMNS = ("_source_file", "_source_line")
CONTROL_TABLE = "control"


@dataclass(frozen=True)
class LegacyTable:
    name: str  # raw table name: setai
    file: str  # dump file name: SETAI.csv
    columns: tuple[str, ...]  # dump columns in order, lower case
    key: tuple[str, ...]
    amount_column: str | None  # the column _CONTROL totals (CHOTEI, SHUNO)
    personal: tuple[str, ...] = ()  # columns tagged meta: {personal: true}

    @property
    def table_name(self) -> str:
        """The name _CONTROL uses: SETAI, KOSHO_KEIKA …"""
        return self.name.upper()

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(column.upper() for column in self.columns)


@cache
def tables() -> tuple[LegacyTable, ...]:
    """Every dump file in legacy-extract.md §1 order, _CONTROL last."""
    document = yaml.safe_load(SOURCES_YML.read_text(encoding="utf-8"))
    (source,) = [s for s in document["sources"] if s["name"] == "legacy"]
    result = []
    for table in source["tables"]:
        meta = table.get("meta", {})
        if meta.get("written_by_loader"):
            continue
        columns = tuple(
            c["name"] for c in table["columns"] if c["name"] not in PROVENANCE_COLUMNS
        )
        result.append(
            LegacyTable(
                name=table["name"],
                file=meta["file"],
                columns=columns,
                key=tuple(meta["key"]),
                amount_column=meta.get("amount_column"),
                personal=tuple(c["name"] for c in table["columns"]
                               if (c.get("meta") or {}).get("personal") is True),
            )
        )
    return tuple(result)


@dataclass(frozen=True)
class AmountRule:
    """AMT (legacy-extract.md §2), from dbt_project.yml's var legacy_amount: the one
    statement of the rule, which the staging macros (parse_amount, amount_as_dumped) read
    too."""

    pattern: re.Pattern[str]  # an integer as dumped: what _CONTROL's totals count
    max_digits: int  # the most digits a migrated amount may have; longer is INVALID_VALUE

    def as_dumped(self, text: str) -> int:
        """The amount as the control totals count it: any integer; empty or unreadable 0."""
        return int(text) if self.pattern.fullmatch(text) else 0


@cache
def amount_rule() -> AmountRule:
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    rule = project["vars"]["legacy_amount"]
    return AmountRule(pattern=re.compile(rule["pattern"]), max_digits=int(rule["max_digits"]))


def data_tables() -> tuple[LegacyTable, ...]:
    """The ten table files, without _CONTROL."""
    return tuple(t for t in tables() if t.name != CONTROL_TABLE)


def control_table() -> LegacyTable:
    (control,) = [t for t in tables() if t.name == CONTROL_TABLE]
    return control
