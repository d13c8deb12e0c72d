"""The row-query guard: no question of the gate may select personal values (pure)."""

from __future__ import annotations

import re

from .. import refused
from .checks import Check

_SELECT_LIST = re.compile(r"\s*select\s+(?P<list>.*?)\s+from\s", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\*")


class PersonalDataInQuery(refused.Refused):
    """A row query of the gate would select a column tagged personal (column names only)."""


def guard_row_queries(checks: list[Check], personal_names: frozenset[str]) -> None:
    """Row queries must never select personal values: GX fetches the rows an
    UnexpectedRowsExpectation's query returns, so what it selects is what a result format
    other than BOOLEAN_ONLY would keep. Each query's select list may name no column tagged
    ``meta: {personal: true}`` anywhere in the project (layouts.personal_columns) and no
    ``*``; the gate's own queries select the constant 1."""
    for check in checks:
        query = check.arguments.get("unexpected_rows_query")
        if query is None:
            continue
        match = _SELECT_LIST.match(query)
        words = set(_WORD.findall(match.group("list"))) if match else {"*"}
        selected = sorted(w for w in words if w == "*" or w.lower() in personal_names)
        if selected:
            raise PersonalDataInQuery(
                f"the validation gate's row query of {check.asset} would select "
                f"{', '.join(selected)} (personal data, or every column); "
                "a row query selects a constant (nhi_migration/validation/guard.py)")
