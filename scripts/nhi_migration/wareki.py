"""和暦 as the legacy dump writes it (legacy-extract.md §2), for the Python side only.

The migration's own date conversion is SQL (macros/legacy_values.sql). Python needs
the era table twice outside the models: the generator writes dates in the dump's form,
and the loader compares CHOTEI's 相当年度 as 西暦 to refuse a damaged dump
(``431`` and ``501`` are the same year).
"""

from __future__ import annotations

import datetime as dt

# era code -> (Gregorian base, first day of the era)
ERAS: dict[int, tuple[int, dt.date]] = {
    1: (1867, dt.date(1868, 1, 25)),  # 明治
    2: (1911, dt.date(1912, 7, 30)),  # 大正
    3: (1925, dt.date(1926, 12, 25)),  # 昭和
    4: (1988, dt.date(1989, 1, 8)),  # 平成
    5: (2018, dt.date(2019, 5, 1)),  # 令和
}
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
