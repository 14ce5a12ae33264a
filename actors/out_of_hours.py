"""Out of hours, as the evidence counts it: 17:00–09:00 UK time, weekends, and bank holidays
in England and Wales — the hours when no service is open, which SHaRON was built to cover.

Bank holidays come from the `holidays` library (its "GB"/"ENG" calendar, which England and
Wales share), never a hand-written list, so future years are right without a code change.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
OPENS = time(9, 0)
CLOSES = time(17, 0)


class OutOfHours:
    """`of(at)`: whether a moment falls out of hours. Holds one holiday calendar, which fills
    in each year as it is first asked about."""

    def __init__(self) -> None:
        self._bank_holidays = holidays.country_holidays("GB", subdiv="ENG")

    def of(self, at: datetime) -> bool:
        if at.tzinfo is None:
            raise ValueError("give an aware time")
        local = at.astimezone(LONDON)
        if local.weekday() >= 5 or local.date() in self._bank_holidays:
            return True
        return not OPENS <= local.time() < CLOSES
