"""KPIs per time bucket (an hour by default) for the supervisor's charts, on plain records.

Each bucket counts the calls offered and the alarms raised inside it: answered and abandoned
calls, the share of calls answered and of alarms acknowledged within 60 s and within 180 s,
and the longest queue (calls and alarms waiting at once) seen during the bucket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from callcenter.kpis.figures import AlarmRecord, CallRecord

SHORT, LONG = 60.0, 180.0


@dataclass(frozen=True)
class Bucket:
    start: datetime
    offered: int
    answered: int
    abandoned: int
    calls_within_60s: float | None
    calls_within_180s: float | None
    alarms_raised: int
    alarms_within_60s: float | None
    alarms_within_180s: float | None
    queue_peak: int


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _waits(starts_ends: list[tuple[datetime, datetime | None]], *, end: datetime
           ) -> list[tuple[datetime, int]]:
    """+1 when a piece of work starts waiting, -1 when it stops (answered, hung up, acked)."""
    moves = []
    for began, stopped in starts_ends:
        moves.append((began, 1))
        moves.append((min(stopped or end, end), -1))
    # At one instant the ends go first, so work answered the moment the next arrives is not
    # counted as two waiting at once.
    return sorted(moves, key=lambda move: (move[0], move[1]))


def queue_peaks(starts_ends: list[tuple[datetime, datetime | None]], *, start: datetime,
                end: datetime, step: timedelta) -> list[int]:
    """The most pieces of work waiting at once in each bucket of [start, end)."""
    count = (int((end - start) / step) + (1 if (end - start) % step else 0))
    peaks = [0] * count
    moves = _waits(starts_ends, end=end)
    before = [delta for at, delta in moves if at < start]
    waiting, index = sum(before), len(before)
    for bucket in range(count):
        bucket_end = start + step * (bucket + 1)
        peaks[bucket] = waiting
        while index < len(moves) and moves[index][0] < bucket_end:
            waiting += moves[index][1]
            index += 1
            peaks[bucket] = max(peaks[bucket], waiting)
    return peaks


def _answered_within(call: CallRecord, seconds: float) -> bool:
    return call.answered_at is not None and \
        (call.answered_at - call.offered_at).total_seconds() <= seconds


def _acked_within(alarm: AlarmRecord, seconds: float) -> bool:
    return alarm.acknowledged_at is not None and \
        (alarm.acknowledged_at - alarm.raised_at).total_seconds() <= seconds


def buckets(calls: Sequence[CallRecord], alarms: Sequence[AlarmRecord], *, start: datetime,
            end: datetime, step: timedelta) -> list[Bucket]:
    """The figures per bucket of ``step`` from ``start``; the last bucket may be shorter."""
    def index(at: datetime) -> int:
        return int((at - start) / step)

    peaks = queue_peaks(
        [(c.offered_at, c.answered_at or c.ended_at) for c in calls]
        + [(a.raised_at, a.acknowledged_at) for a in alarms], start=start, end=end, step=step)
    found = []
    for number, peak in enumerate(peaks):
        mine = [c for c in calls if index(c.offered_at) == number]
        raised = [a for a in alarms if index(a.raised_at) == number]
        answered = [c for c in mine if c.answered_at is not None]
        found.append(Bucket(
            start=start + step * number, offered=len(mine), answered=len(answered),
            abandoned=sum(1 for c in mine if c.answered_at is None and c.ended_at is not None),
            calls_within_60s=_share(sum(_answered_within(c, SHORT) for c in mine), len(mine)),
            calls_within_180s=_share(sum(_answered_within(c, LONG) for c in mine), len(mine)),
            alarms_raised=len(raised),
            alarms_within_60s=_share(sum(_acked_within(a, SHORT) for a in raised), len(raised)),
            alarms_within_180s=_share(sum(_acked_within(a, LONG) for a in raised), len(raised)),
            queue_peak=peak))
    return found
