"""What an extract is asked for (Options) and what was written (Summary, counts only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DEFAULT_HOUSEHOLDS = 46_565  # the seed document's figure
DEFAULT_SEED = 20171110
DEFAULT_AS_OF = dt.date(2017, 11, 10)  # the seed document's first test extraction


@dataclass(frozen=True)
class Options:
    households: int = DEFAULT_HOUSEHOLDS
    seed: int = DEFAULT_SEED
    as_of: dt.date = DEFAULT_AS_OF
    faults: frozenset[str] = frozenset()


@dataclass
class Summary:
    """What was written, for the caller's report (counts only)."""

    in_scope_households: int = 0
    records: dict[str, int] = field(default_factory=dict)
    amount_totals: dict[str, int] = field(default_factory=dict)

