"""Times as ward staff read them: Japan Standard Time, with the offset written.

The audit log keeps UTC (one clock for every machine); everything a person reads — the
audit report, compare, the certificate, the validation report — shows JST through here.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def now() -> dt.datetime:
    return dt.datetime.now(JST)


def shown(moment: dt.datetime | str) -> str:
    """``2026-12-02 05:15:03 +09:00``: a moment (aware, or an ISO text) in JST."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    local = moment.astimezone(JST)
    return local.strftime("%Y-%m-%d %H:%M:%S ") + local.strftime("%z")[:3] + ":" \
        + local.strftime("%z")[3:]
