"""The state one extract is drawn with: the seeded random generator every choice comes
from (in a fixed order, so the same options give the same bytes), the writers, the ids,
and the small helpers every part of the generation uses."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from .. import wareki
from .dates import fiscal_year_of
from .model import Options, Summary
from .writer import TableWriter


class Draw:
    """Shared by the parts of :class:`extract.Generator` (people, arrears)."""

    w: dict[str, TableWriter]  # one writer per legacy table, opened by Generator.run

    def __init__(self, out: Path, options: Options) -> None:
        self.out = out
        self.o = options
        self.rng = random.Random(options.seed)
        self.as_of = options.as_of
        self.last_fy = fiscal_year_of(options.as_of)
        self.years = list(range(self.last_fy - 4, self.last_fy + 1))
        self.summary = Summary()
        self._y7: dict[dt.date, str] = {}
        self._ids = {"atena": 3_000_000_000, "chotei": 10_000_000, "shuno": 50_000_000,
                     "keika": 700_000, "seiyaku": 80_000, "sashiosae": 90_000, "shobun": 60_000}
        self._pending_faults = set(options.faults)
        self.tanto_codes: list[str] = []
        self.current_kind = ""


    def next_id(self, kind: str, gap: int = 1) -> int:
        self._ids[kind] += 1 if gap == 1 else self.rng.randint(1, gap)
        return self._ids[kind]

    def ymd7(self, day: dt.date | None) -> str:
        """和暦; after 2019-04-30 some screens kept writing 平成 (4310501)."""
        if day is None:
            return "0000000"
        if day >= wareki.ERAS[wareki.REIWA][1] and self.rng.random() < 0.3:
            return wareki.to_ymd7(day, era=wareki.HEISEI)
        text = self._y7.get(day)
        if text is None:
            text = self._y7[day] = wareki.to_ymd7(day)
        return text

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def fault(self, name: str) -> bool:
        """True once, in an in-scope household, for an injected fault not placed yet."""
        if name in self._pending_faults and self.current_kind == "in_scope":
            self._pending_faults.discard(name)
            return True
        return False

    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        span = (last - first).days
        return first + dt.timedelta(days=self.rng.randint(0, max(span, 0)))
