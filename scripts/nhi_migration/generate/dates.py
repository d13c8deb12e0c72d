"""Calendar rules of the synthetic ward: fiscal years, 納期限, anniversaries (pure)."""

from __future__ import annotations

import calendar
import datetime as dt


def fiscal_year_of(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def due_date(fiscal_year: int, period: int) -> dt.date:
    """納期限: the last day of the period's month, June (01) to March (10)."""
    month = 6 + period - 1
    year = fiscal_year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)

