"""Routing as data: which tasks go to whom, how the audience widens with waiting time.

The first rule whose ``matches`` accepts a task decides its steps. Each step starts after the
task has waited ``after_seconds``:

- ``skilled``: offer at once to every free operator with the rule's skill (or, when none of them
  is free, to every free operator: skills narrow who is offered first, never who is offered);
  first accept wins;
- ``everyone``: offer to every free operator (any skill or language);
- ``all_hands``: offer also to operators on a break and to supervisors, and alert supervisors;
- ``supervisor``: tell the supervisors that the task is still waiting;
- ``longest_idle``: an exclusive reservation for the qualified operator idle longest, who has
  ``reservation_seconds`` to accept before it moves on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TaskKind(StrEnum):
    CALL = "call"
    EMERGENCY_CALL = "emergency_call"
    ALARM = "alarm"
    CALLBACK = "callback"
    CAMPAIGN = "campaign"


class OperatorState(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    RESERVED = "reserved"
    BUSY = "busy"
    WRAP_UP = "wrap_up"
    BREAK = "break"


class StepKind(StrEnum):
    SKILLED = "skilled"
    EVERYONE = "everyone"
    ALL_HANDS = "all_hands"
    SUPERVISOR = "supervisor"
    LONGEST_IDLE = "longest_idle"


@dataclass(frozen=True)
class Step:
    after_seconds: float
    kind: StepKind
    skill: str | None = None


@dataclass(frozen=True)
class RoutingRule:
    name: str
    kinds: frozenset[TaskKind]
    max_priority: int  # the rule applies to tasks with priority <= this (1 = most urgent)
    steps: tuple[Step, ...]


# "Free" for an emergency: available, wrapping up, or holding a reservation of less urgent work
# (which is handed back). Targets: answered within 15-20 s (GB/T 33358, NENA), see domain.md.
EMERGENCY_STEPS = (
    Step(0, StepKind.SKILLED, skill="emergency"),
    Step(5, StepKind.EVERYONE),
    Step(20, StepKind.ALL_HANDS),
    Step(60, StepKind.SUPERVISOR),
)
RULES: tuple[RoutingRule, ...] = (
    RoutingRule("emergencies", frozenset({TaskKind.EMERGENCY_CALL, TaskKind.ALARM}), 1,
                EMERGENCY_STEPS),
    RoutingRule("everything else", frozenset(TaskKind), 5,
                (Step(0, StepKind.LONGEST_IDLE), Step(180, StepKind.SUPERVISOR))),
)
RESERVATION_SECONDS = 15.0
MISSES_BEFORE_BREAK = 2
# A task's effective priority improves by one level for every AGING_SECONDS it waits.
AGING_SECONDS = 120.0
WRAP_UP_SECONDS: dict[TaskKind, float] = {
    TaskKind.CALL: 30, TaskKind.EMERGENCY_CALL: 60, TaskKind.ALARM: 60, TaskKind.CALLBACK: 30,
    TaskKind.CAMPAIGN: 15,
}


def rule_for(kind: TaskKind, priority: int) -> RoutingRule:
    return next(rule for rule in RULES if kind in rule.kinds and priority <= rule.max_priority)
