"""The KPI arithmetic, on plain records, so that it can be checked by hand.

Definitions (for one interval, counting work *offered* inside it):
- service level = answered within the threshold / offered; the second variant leaves out
  callers who hung up within ``short_abandon`` seconds (they never gave us a chance);
- average speed of answer (ASA) = mean wait of answered calls;
- abandonment = offered calls that hung up unanswered / offered;
- average handle time (AHT) = mean talk time of answered calls plus the wrap-up time the
  routing rules give that kind of call;
- alarms: the share acknowledged within 60 s and within 180 s, and every alarm that waited
  longer than 180 s (still-unacknowledged ones count as waiting until the end of the interval);
- occupancy = (talk + hold + wrap-up time) / (logged-in time excluding breaks), from the
  operators' state history: ``busy`` is talk and hold (the desk has no separate hold state),
  ``wrap_up`` is wrap-up, and logged-in excluding breaks is available + reserved + busy +
  wrap-up. Per queue: the handle time of the queue's answered calls (talk inside the interval
  plus wrap-up) over the logged-in time, breaks excluded, of the operators who answered them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class CallRecord:
    queue: str
    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    operator: str | None


@dataclass(frozen=True)
class AlarmRecord:
    id: int
    senior_id: int
    kind: str
    priority: int
    raised_at: datetime
    acknowledged_at: datetime | None


@dataclass
class CallFigures:
    offered: int = 0
    answered: int = 0
    answered_in_threshold: int = 0
    abandoned: int = 0
    short_abandons: int = 0
    total_wait_seconds: float = 0.0
    total_handle_seconds: float = 0.0

    def add(self, call: CallRecord, *, threshold: float, short_abandon: float,
            wrap_up: float) -> None:
        self.offered += 1
        if call.answered_at is not None:
            wait = (call.answered_at - call.offered_at).total_seconds()
            self.answered += 1
            self.answered_in_threshold += wait <= threshold
            self.total_wait_seconds += wait
            if call.ended_at is not None:
                self.total_handle_seconds += (call.ended_at - call.answered_at).total_seconds()
            self.total_handle_seconds += wrap_up
        elif call.ended_at is not None:
            self.abandoned += 1
            self.short_abandons += (call.ended_at - call.offered_at).total_seconds() < \
                short_abandon

    def summary(self) -> dict[str, float | int | None]:
        counted = self.offered - self.short_abandons
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "service_level": _share(self.answered_in_threshold, self.offered),
            "service_level_excluding_short_abandons": _share(self.answered_in_threshold,
                                                             counted),
            "average_speed_of_answer_s": _mean(self.total_wait_seconds, self.answered),
            "abandonment_rate": _share(self.abandoned, self.offered),
            "average_handle_time_s": _mean(self.total_handle_seconds, self.answered),
        }


@dataclass
class AlarmFigures:
    raised: int = 0
    within_60: int = 0
    within_180: int = 0
    late: list[dict[str, object]] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {"raised": self.raised, "share_within_60s": _share(self.within_60, self.raised),
                "share_within_180s": _share(self.within_180, self.raised),
                "waited_over_180s": self.late}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 1) if count else None


def call_figures(calls: Iterable[CallRecord], *, threshold: float = 20.0,
                 short_abandon: float = 5.0, wrap_up: float = 30.0
                 ) -> tuple[CallFigures, dict[str, CallFigures], dict[str, CallFigures]]:
    """Totals, per queue, and per operator (answered calls only)."""
    total = CallFigures()
    by_queue: dict[str, CallFigures] = defaultdict(CallFigures)
    by_operator: dict[str, CallFigures] = defaultdict(CallFigures)
    options = {"threshold": threshold, "short_abandon": short_abandon, "wrap_up": wrap_up}
    for call in calls:
        total.add(call, **options)
        by_queue[call.queue].add(call, **options)
        if call.operator and call.answered_at is not None:
            by_operator[call.operator].add(call, **options)
    return total, dict(by_queue), dict(by_operator)


@dataclass(frozen=True)
class StateRecord:
    """An operator entered ``state`` at ``at``."""

    username: str
    state: str
    at: datetime


WORKING_STATES = frozenset({"busy", "wrap_up"})
PRESENT_STATES = frozenset({"available", "reserved", "busy", "wrap_up"})


def state_seconds(changes: Iterable[StateRecord], *, start: datetime, end: datetime
                  ) -> dict[str, dict[str, float]]:
    """Seconds each operator spent in each state inside [start, end).

    ``changes`` must include, for each operator, the last change at or before ``start`` (the
    state in force when the interval opens); earlier ones are ignored.
    """
    by_operator: dict[str, list[StateRecord]] = defaultdict(list)
    for change in sorted(changes, key=lambda c: c.at):
        by_operator[change.username].append(change)
    totals: dict[str, dict[str, float]] = {}
    for username, history in by_operator.items():
        spent: dict[str, float] = defaultdict(float)
        for change, following in zip(history, [*history[1:], None], strict=True):
            since = max(change.at, start)
            until = min(following.at if following else end, end)
            if until > since:
                spent[change.state] += (until - since).total_seconds()
        totals[username] = dict(spent)
    return totals


def occupancy_of(spent: dict[str, float]) -> float | None:
    working = sum(spent.get(state, 0.0) for state in WORKING_STATES)
    present = sum(spent.get(state, 0.0) for state in PRESENT_STATES)
    return round(working / present, 4) if present else None


def occupancy_summary(spent: dict[str, float]) -> dict[str, float | None]:
    return {"occupancy": occupancy_of(spent),
            "talk_and_hold_s": round(spent.get("busy", 0.0), 1),
            "wrap_up_s": round(spent.get("wrap_up", 0.0), 1),
            "logged_in_excluding_break_s": round(
                sum(spent.get(state, 0.0) for state in PRESENT_STATES), 1),
            "break_s": round(spent.get("break", 0.0), 1)}


def queue_occupancy(calls: Iterable[CallRecord], spent: dict[str, dict[str, float]], *,
                    start: datetime, end: datetime, wrap_up: float) -> dict[str, float | None]:
    """Per queue: its calls' handle time over the present time of the operators who took them."""
    handled: dict[str, float] = defaultdict(float)
    staff: dict[str, set[str]] = defaultdict(set)
    for call in calls:
        if call.answered_at is None or call.operator is None:
            continue
        talk_end = min(call.ended_at or end, end)
        handled[call.queue] += max(0.0, (talk_end - max(call.answered_at, start))
                                   .total_seconds()) + wrap_up
        staff[call.queue].add(call.operator)
    found: dict[str, float | None] = {}
    for queue, seconds in handled.items():
        present = sum(spent.get(name, {}).get(state, 0.0) for name in staff[queue]
                      for state in PRESENT_STATES)
        found[queue] = round(seconds / present, 4) if present else None
    return found


def alarm_figures(alarms: Sequence[AlarmRecord], *, until: datetime) -> AlarmFigures:
    figures = AlarmFigures()
    for alarm in alarms:
        figures.raised += 1
        waited = ((alarm.acknowledged_at or until) - alarm.raised_at).total_seconds()
        answered = alarm.acknowledged_at is not None
        figures.within_60 += answered and waited <= 60
        figures.within_180 += answered and waited <= 180
        if waited > 180:
            figures.late.append({"id": alarm.id, "senior_id": alarm.senior_id,
                                 "kind": alarm.kind, "priority": alarm.priority,
                                 "raised_at": alarm.raised_at.isoformat(),
                                 "waited_s": round(waited), "acknowledged": answered})
    return figures
