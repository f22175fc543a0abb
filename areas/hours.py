"""A centre's opening hours, as data: time ranges per weekday in the centre's own time zone.

Stored on the centre as ``{"mon": [["08:00", "20:00"]], …}``; a day left out is closed, and
no hours at all (None) means open around the clock, as the league and city centres are. A
range that runs past midnight is written as two (``["20:00", "24:00"]`` and the next day's
``["00:00", "08:00"]``), so every range reads the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from areas.exceptions import OpeningHoursError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TIME_ZONE = "Asia/Shanghai"
MINUTES_PER_DAY = 24 * 60

StoredHours = dict[str, list[list[str]]]


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Open minutes of the day, [start, end), per weekday (0 is Monday); None: always open."""

    days: tuple[tuple[tuple[int, int], ...], ...] | None
    time_zone: str = DEFAULT_TIME_ZONE

    def is_open(self, at: datetime) -> bool:
        if self.days is None:
            return True
        local = at.astimezone(ZoneInfo(self.time_zone))
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.days[local.weekday()])


ALWAYS_OPEN = OpeningHours(None)


def _minute(text: object, *, day: str) -> int:
    if not isinstance(text, str):
        raise OpeningHoursError(f"{day}: {text!r} is not a time like 08:00")
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise OpeningHoursError(f"{day}: {text!r} is not a time like 08:00")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise OpeningHoursError(f"{day}: {text!r} is not a time of day (00:00 to 24:00)")
    return value


def _ranges(day: str, ranges: Sequence[Sequence[str]]) -> tuple[tuple[int, int], ...]:
    if isinstance(ranges, str) or not isinstance(ranges, Sequence):
        raise OpeningHoursError(f"{day}: expected a list of [opens, closes], got {ranges!r}")
    parsed = []
    for pair in ranges:
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise OpeningHoursError(f"{day}: each range is [opens, closes], got {list(pair)!r}")
        start, end = _minute(pair[0], day=day), _minute(pair[1], day=day)
        if start >= end:
            raise OpeningHoursError(f"{day}: {pair[0]}–{pair[1]} closes before it opens "
                                    "(split a range past midnight in two)")
        parsed.append((start, end))
    return tuple(sorted(parsed))


def parse_hours(stored: Mapping[str, Sequence[Sequence[str]]] | None,
                time_zone: str = DEFAULT_TIME_ZONE) -> OpeningHours:
    """Opening hours from their stored form; raises OpeningHoursError naming what is wrong."""
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise OpeningHoursError(f"{time_zone!r} is not a time zone") from error
    if stored is None:
        return OpeningHours(None, time_zone)
    unknown = sorted(set(stored) - set(WEEKDAYS))
    if unknown:
        raise OpeningHoursError(f"{', '.join(unknown)}: not a weekday (use {', '.join(WEEKDAYS)})")
    return OpeningHours(tuple(_ranges(day, stored.get(day, ())) for day in WEEKDAYS), time_zone)


def daily(opens: str, closes: str) -> StoredHours:
    """The stored form of the same hours every day."""
    return {day: [[opens, closes]] for day in WEEKDAYS}
