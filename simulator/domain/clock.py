"""The sandbox clock: real time shifted by an offset, or frozen at an instant.

Ages, daily limits and timeline entries are computed on this clock, so a scenario can say "it is the
15th of January" and a test can advance a day without waiting for one.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

#: The instants the sandbox clock may show: far enough inside ``datetime``'s years that date arithmetic on them
#: (ages, cache expiry, a week of history) cannot overflow.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def parse_instant(text: str, now: datetime | None = None) -> datetime:
    """ISO-8601 (a trailing ``Z`` allowed; naive means UTC), or relative to ``now``: ``now``, ``-2d``, ``-3h``,
    ``+30m`` — so a scenario's history stays "earlier today" or "this week" whenever it is loaded."""
    text = text.strip()
    if now is not None and (text == "now" or (text[:1] in "+-" and text[-1:] in _UNITS)):
        if text == "now":
            return now
        return now + timedelta(seconds=float(text[:-1]) * _UNITS[text[-1]])
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_DATE_PART = re.compile(r"([+-])(\d+)([ymd])")


def parse_date(text: str, today: date) -> date:
    """ISO-8601 (``1990-06-15``), or relative to ``today`` in years, months and days (``-18y+1d``: eighteen
    tomorrow), so a member stays on the same side of an age boundary whenever the scenario is loaded."""
    text = text.strip()
    parts = _DATE_PART.findall(text)
    if not parts or "".join(f"{s}{n}{u}" for s, n, u in parts) != text:
        return date.fromisoformat(text)
    years = months = days = 0
    for sign, number, unit in parts:
        value = int(number) * (-1 if sign == "-" else 1)
        years, months, days = (
            years + value * (unit == "y"),
            months + value * (unit == "m"),
            days + value * (unit == "d"),
        )
    month_index = today.year * 12 + today.month - 1 + years * 12 + months
    year, month = divmod(month_index, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day) + timedelta(days=days)


class ClockRangeError(ValueError):
    def __init__(self) -> None:
        super().__init__(f"The sandbox clock stays between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}.")


@dataclass(slots=True, frozen=True)
class ClockSetting:
    frozen_at: datetime | None = None
    offset_seconds: float = 0.0

    def now(self, wall: datetime | None = None) -> datetime:
        if self.frozen_at is not None:
            return self.frozen_at
        return (wall or datetime.now(UTC)) + timedelta(seconds=self.offset_seconds)

    def set_to(self, instant: datetime, frozen: bool, wall: datetime | None = None) -> ClockSetting:
        if frozen:
            return ClockSetting(frozen_at=instant)
        wall = wall or datetime.now(UTC)
        return ClockSetting(offset_seconds=(instant - wall).total_seconds())

    def advance(self, seconds: float) -> ClockSetting:
        if self.frozen_at is not None:
            try:
                return ClockSetting(frozen_at=self.frozen_at + timedelta(seconds=seconds)).checked()
            except (OverflowError, ValueError):
                raise ClockRangeError() from None
        return ClockSetting(offset_seconds=self.offset_seconds + seconds).checked()

    def checked(self) -> ClockSetting:
        """This setting, or a ``ClockRangeError`` when its clock would leave ``EARLIEST`` .. ``LATEST``."""
        try:
            now = self.now()
        except (OverflowError, ValueError):  # an offset too large for a timedelta, or not a number
            raise ClockRangeError() from None
        if not EARLIEST <= now <= LATEST:
            raise ClockRangeError()
        return self

    def to_dict(self, wall: datetime | None = None) -> dict[str, object]:
        return {
            "Now": self.now(wall).isoformat().replace("+00:00", "Z"),
            "Frozen": self.frozen_at is not None,
            "OffsetSeconds": self.offset_seconds,
        }
