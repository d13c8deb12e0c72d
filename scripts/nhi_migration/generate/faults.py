"""The faults that must stop a run: their names and descriptions, and the ones that damage
a whole file after it is written (a cut-off file, bytes that are not CP932). The others
are placed in one in-scope household as it is drawn (``Draw.fault``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

FAULTS: dict[str, str] = {
    "unknown-code": "a SHUNO row that would be migrated carries NOFU_CD 09 (not in CODE_MST)",
    "truncated-file": "SHUNO.csv is cut off in the middle of a record",
    "bad-encoding": "one KOJIN.csv line holds bytes that do not decode as CP932",
    "missing-column": "SETAI.csv lacks its TEL_NO column",
    "unparsable-line": "one SASHIOSAE.csv record has a field too many",
    "control-mismatch": "_CONTROL.csv counts one KOSHO_KEIKA record more than the file holds",
    "duplicate-key": "CHOTEI.csv holds one CHOTEI_ID twice",
    "duplicate-period": "two live CHOTEI rows for one household, 相当年度 and 期別",
    "negative-amount": "one period's reversals exceed its payments (negative 収納済額)",
    "unreadable-household": "one in-scope SETAI row has an impossible 登録日 (4290230)",
}


def describe_faults() -> Iterable[str]:
    for name, text in FAULTS.items():
        yield f"{name}: {text}"


def check(names: Iterable[str]) -> None:
    unknown = set(names) - set(FAULTS)
    if unknown:
        raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(FAULTS)}")


def damage_files(out: Path, names: frozenset[str]) -> None:
    """The faults that act on a written file."""
    if "truncated-file" in names:
        path = out / "SHUNO.csv"
        data = path.read_bytes()
        cut = data.index(b",", len(data) // 2)  # mid-record
        path.write_bytes(data[:cut])
    if "bad-encoding" in names:
        path = out / "KOJIN.csv"
        lines = path.read_bytes().split(b"\r\n")
        target = len(lines) // 3
        lines[target] = lines[target].replace(b",", b",\x85\x40", 1)
        path.write_bytes(b"\r\n".join(lines))
