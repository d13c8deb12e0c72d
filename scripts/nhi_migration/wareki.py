"""和暦 as the legacy dump writes it (legacy-extract.md §2), for the Python side only.

The migration's own date conversion is SQL (macros/legacy_values.sql). Python needs
the era table twice outside the models: the generator writes dates in the dump's form,
and the loader compares CHOTEI's 相当年度 as 西暦 to refuse a damaged dump
(``431`` and ``501`` are the same year).
"""

from __future__ import annotations

import datetime as dt

import yaml

from .paths import PROJECT_DIR


def _eras() -> dict[int, tuple[int, dt.date]]:
    """era code -> (Gregorian base, first day of the era), from dbt_project.yml's var
    wareki_eras: the one statement of the eras, which the staging macros read too."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    eras = {int(e["code"]): (int(e["base"]), dt.date.fromisoformat(str(e["first_day"])))
            for e in project["vars"]["wareki_eras"]}
    if sorted(eras) != list(range(1, len(eras) + 1)):
        raise ValueError("dbt_project.yml: wareki_eras must list codes 1, 2, … in order")
    return eras


ERAS: dict[int, tuple[int, dt.date]] = _eras()
HEISEI, REIWA = 4, 5


def era_of(day: dt.date) -> int:
    """The era a day belongs to."""
    code = 1
    for candidate, (_, start) in ERAS.items():
        if day >= start:
            code = candidate
    return code


def to_ymd7(day: dt.date | None, *, era: int | None = None) -> str:
    """``GYYMMDD``; ``era`` forces an era (the legacy screens that kept writing 平成)."""
    if day is None:
        return "0000000"
    code = era if era is not None else era_of(day)
    year = day.year - ERAS[code][0]
    return f"{code}{year:02d}{day.month:02d}{day.day:02d}"


def to_ym5(year: int, month: int) -> str:
    code = era_of(dt.date(year, month, 28))
    return f"{code}{year - ERAS[code][0]:02d}{month:02d}"


def to_ymd8(day: dt.date | None) -> str:
    return "00000000" if day is None else day.strftime("%Y%m%d")


def to_nen3(fiscal_year: int) -> str:
    """年度 ``GYY``: the era of the fiscal year's first day (1 April)."""
    code = era_of(dt.date(fiscal_year, 4, 1))
    return f"{code}{fiscal_year - ERAS[code][0]:02d}"
