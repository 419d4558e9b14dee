"""Dates and times as Toluna and the panel's own files write them.

Toluna's timestamps come in several shapes (``2026-12-06T10:00:00.1234567Z`` in GetQuotas, seven fractional digits
that ``datetime.fromisoformat`` refuses before Python 3.11's relaxed parser and that ``strptime`` cannot read at all;
``2018-10-22 19:58:42.99 +00:00`` in quota notifications), so one tolerant parser reads them all. The panel's CSV
may hold birth dates relative to today (``-18y+1d``: eighteen tomorrow) so that test members stay on the same side
of an age boundary whatever the day.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta, timezone

_STAMP = re.compile(
    r"\s*(\d{4})-(\d{1,2})-(\d{1,2})"  # date
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"  # time, optional seconds and fraction
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*",  # zone: Z, +00:00, +0000, +00; none means UTC
    re.IGNORECASE,
)
_RELATIVE_PART = re.compile(r"([+-])(\d+)([ymd])", re.IGNORECASE)


def parse_toluna_time(text: str) -> datetime:
    """An aware UTC datetime from any of Toluna's timestamp shapes; ``ValueError`` when it is none of them."""
    found = _STAMP.fullmatch(str(text))
    if not found:
        raise ValueError(f"not a timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    naive = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro)
    return naive.replace(tzinfo=_zone(zone)).astimezone(UTC)


def _zone(text: str | None) -> timezone:
    if not text or text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def shift_months(day: date, months: int) -> date:
    """``day`` moved by whole months, the day of month clamped to the target month's length (31 Mar - 1m = 28/29
    Feb), which is how "N years and M months ago" is meant for a birthday."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def resolve_birth_date(text: str, today: date) -> date:
    """A birth date from the panel's CSV: ISO ``YYYY-MM-DD``, or relative to ``today`` as signed years, months and
    days (``-29y-40d``, ``-25y-7m``, ``-35y``); years and months first, then days."""
    value = text.strip()
    parts = _RELATIVE_PART.findall(value)
    if parts and "".join(sign + n + unit for sign, n, unit in parts).lower() == value.lower():
        months = days = 0
        for sign, number, unit in parts:
            amount = int(number) * (1 if sign == "+" else -1)
            unit = unit.lower()
            if unit == "y":
                months += 12 * amount
            elif unit == "m":
                months += amount
            else:
                days += amount
        return shift_months(today, months) + timedelta(days=days)
    return date.fromisoformat(value)


def age_on(birth: date, day: date) -> int:
    """Whole years from ``birth`` to ``day`` (a birthday counts on the day itself; 29 Feb on 1 Mar in other years)."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def utc_today() -> date:
    """Today in UTC: Toluna computes ages on the UTC day, so the panel does too."""
    return datetime.now(UTC).date()
