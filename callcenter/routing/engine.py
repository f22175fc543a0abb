"""The routing engine: pure, in memory, driven by the rules table and the time it is told.

It never reads a clock or a database: callers pass ``now`` and persist what it reports as
changed. Waiting tasks sit in a heap keyed so that priority ages with waiting time, which keeps
routing a task or an operator's accept independent of how many tasks wait.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from callcenter.routing.rules import (
    AGING_SECONDS,
    MISSES_BEFORE_BREAK,
    RESERVATION_SECONDS,
    WRAP_UP_SECONDS,
    OperatorState,
    Step,
    StepKind,
    TaskKind,
    rule_for,
)


class TaskState(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # broadcast to several operators; first accept wins
    RESERVED = "reserved"  # exclusively held for one operator until it expires
    ASSIGNED = "assigned"
    DONE = "done"
    CANCELLED = "cancelled"


class OverflowReason(StrEnum):
    CLOSED = "closed"  # outside its centre's opening hours
    NO_ONE_ON_DUTY = "no_one_on_duty"  # nobody of its centre at the desk (or reachable)
    UNANSWERED = "unanswered"  # a P1 nobody there took within the overflow time


@dataclass
class Operator:
    username: str
    skills: frozenset[str]
    languages: frozenset[str]
    state: OperatorState = OperatorState.OFFLINE
    idle_since: datetime | None = None
    misses: int = 0
    wrap_until: datetime | None = None
    # A supervisor who took an emergency without being on the desk: leaves it afterwards.
    stand_in: bool = False

    def speaks(self, language: str | None) -> bool:
        return language is None or language in self.languages


@dataclass
class Task:
    id: int
    kind: TaskKind
    priority: int
    created_at: datetime
    ref: str = ""
    skills: frozenset[str] = frozenset()
    language: str | None = None
    preferred: str | None = None  # the owner of the senior's open incident
    state: TaskState = TaskState.WAITING
    step: int = -1  # the last rule step applied
    exclusive: bool = False  # a longest-idle step has started
    offered_to: frozenset[str] = frozenset()
    refused_by: frozenset[str] = frozenset()
    reserved_to: str | None = None
    reservation_expires: datetime | None = None
    assigned_to: str | None = None
    done_at: datetime | None = None
    area: str | None = None  # the area code of the work's senior (None: every centre's)
    overflowed: bool = False  # a P1 its own centre left too long: the parents ring too
    # Why it first rang outside its own centre (closed, no_one_on_duty, unanswered).
    overflow_reason: OverflowReason | None = None

    @property
    def open(self) -> bool:
        return self.state in (TaskState.WAITING, TaskState.OFFERED, TaskState.RESERVED)

    def sort_key(self) -> float:
        return self.priority * AGING_SECONDS + self.created_at.timestamp()


@dataclass(frozen=True)
class Offer:
    task_id: int
    operators: tuple[str, ...]
    exclusive: bool
    expires_at: datetime | None


@dataclass(frozen=True)
class Withdrawn:
    task_id: int
    operators: tuple[str, ...]


class AlertKind(StrEnum):
    P1_WAITING = "p1_waiting"  # an emergency nobody took within the all-hands step (20 s)
    P1_UNANSWERED = "p1_unanswered"  # still nobody at the supervisor step (60 s)
    TASK_WAITING = "task_waiting"  # other work past its supervisor step
    OPERATOR_BREAK = "operator_break"  # put on a break after missed reservations


@dataclass(frozen=True)
class SupervisorAlert:
    task_id: int | None
    reason: str
    kind: AlertKind = AlertKind.TASK_WAITING
    operator: str | None = None
    waited_seconds: int = 0


Action = Offer | Withdrawn | SupervisorAlert


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# An operator the desk logged off because their desk went away (a closed browser, a cut link)
# and who is back within this long is put back on the queue: an outage, not the next shift.
RETURN_SECONDS = 3600.0
# At the desk: their centre counts as staffed (on a break or logged off, it does not).
ON_DUTY = frozenset({OperatorState.AVAILABLE, OperatorState.RESERVED, OperatorState.BUSY,
                     OperatorState.WRAP_UP})


def _broadcast_step(task: Task) -> Step | None:
    """The widest broadcast step the task has reached, if it is rung at all."""
    steps = rule_for(task.kind, task.priority).steps[:task.step + 1]
    broadcast = (StepKind.SKILLED, StepKind.EVERYONE, StepKind.ALL_HANDS)
    return next((step for step in reversed(steps) if step.kind in broadcast), None)


def _covering_depth(served: frozenset[str], area: str) -> int:
    """The length of the most specific prefix in ``served`` over ``area`` (0: none)."""
    return max((len(prefix) for prefix in served if area.startswith(prefix)), default=0)


def _holds_offer(task: Task, username: str) -> bool:
    if task.state == TaskState.RESERVED:
        return task.reserved_to == username
    return task.state == TaskState.OFFERED and username in task.offered_to


class RoutingError(Exception):
    """The operator may not do this to this task (not offered, already taken, unknown)."""


@dataclass
class Router:
    operators: dict[str, Operator] = field(default_factory=dict)
    tasks: dict[int, Task] = field(default_factory=dict)
    dirty_tasks: set[int] = field(default_factory=set)
    dirty_operators: set[str] = field(default_factory=set)
    _queue: list[tuple[float, int]] = field(default_factory=list)
    # Indexes that keep every call independent of how many tasks wait.
    _held: dict[str, int] = field(default_factory=dict)  # operator → task reserved for them
    _assigned: dict[str, int] = field(default_factory=dict)  # operator → task they work on
    _ringing: set[int] = field(default_factory=set)  # open tasks in a broadcast step
    # Supervisors are offered emergencies nobody took in time, on the desk or not.
    supervisors: frozenset[str] = frozenset()
    # People whose desk went away (browser closed): rung for nothing until they come back.
    away: set[str] = field(default_factory=set)
    # Operators logged off by ``leave`` (not by themselves), and when.
    dropped: dict[str, datetime] = field(default_factory=dict)
    # Area-code prefixes each operator's centres serve (areas/); one missing serves every
    # area. A task rings its own centre's operators first: the most specific centre over its
    # area with someone on duty (so a station with nobody there passes it to its parent),
    # and every centre above it once a P1 waited ``overflow_seconds``.
    operator_areas: dict[str, frozenset[str]] = field(default_factory=dict)
    overflow_seconds: float = 30.0
    # The area prefixes of every centre (whose work a task is), and of those closed now
    # (outside their opening hours): a closed centre counts as having nobody on duty.
    centre_prefixes: frozenset[str] = frozenset()
    closed: frozenset[str] = frozenset()

    # --- loading and bookkeeping -------------------------------------------------------
    def load(self, operators: list[Operator], tasks: list[Task]) -> None:
        """Resume from stored state (after a restart)."""
        self.operators = {op.username: op for op in operators}
        self.tasks = {task.id: task for task in tasks if task.open or task.state ==
                      TaskState.ASSIGNED}
        self._queue = [(t.sort_key(), t.id) for t in self.tasks.values() if t.open]
        heapq.heapify(self._queue)
        for task in self.tasks.values():
            if task.state == TaskState.RESERVED and task.reserved_to:
                self._held[task.reserved_to] = task.id
            elif task.state == TaskState.ASSIGNED and task.assigned_to:
                self._assigned[task.assigned_to] = task.id
            elif task.open and not task.exclusive and task.step >= 0:
                self._ringing.add(task.id)

    def _touch(self, task: Task | None = None, operator: Operator | None = None) -> None:
        if task is not None:
            self.dirty_tasks.add(task.id)
        if operator is not None:
            self.dirty_operators.add(operator.username)

    def take_dirty(self) -> tuple[list[Task], list[Operator]]:
        tasks = [self.tasks[i] for i in self.dirty_tasks if i in self.tasks]
        operators = [self.operators[u] for u in self.dirty_operators if u in self.operators]
        self.dirty_tasks.clear()
        self.dirty_operators.clear()
        return tasks, operators

    # --- operators ---------------------------------------------------------------------
    def set_operator(self, username: str, *, skills: frozenset[str], languages: frozenset[str],
                     state: OperatorState, now: datetime) -> list[Action]:
        operator = self.operators.get(username) or Operator(username, skills, languages)
        if state == OperatorState.AVAILABLE and username in self._assigned:
            raise RoutingError(f"{username} still has a task: complete it first")
        operator.skills, operator.languages = skills, languages
        self.operators[username] = operator
        self.dropped.pop(username, None)  # their own choice from now on
        actions = self._release_reservations_of(operator, now) if state != operator.state \
            else []
        operator.state = state
        if state == OperatorState.AVAILABLE:
            operator.idle_since = now
            operator.misses = 0
        self._touch(operator=operator)
        return actions + self._match(now)

    def _release_reservations_of(self, operator: Operator, now: datetime) -> list[Action]:
        actions: list[Action] = []
        held = self._held.get(operator.username)
        if held is not None:
            actions.append(Withdrawn(held, (operator.username,)))
            self._requeue(self.tasks[held])
        for task_id in self._ringing:
            task = self.tasks[task_id]
            if operator.username in task.offered_to:
                task.offered_to -= {operator.username}
                self._touch(task)
        return actions

    def leave(self, username: str, now: datetime) -> list[Action]:
        """The person's desk closed: every offer to them goes back at once, and an operator
        who was free is logged off the queue (a closed browser answers nothing)."""
        self.away.add(username)
        actions: list[Action] = []
        for task_id in list(self._ringing):
            task = self.tasks[task_id]
            if username in task.offered_to:
                task.offered_to -= {username}
                task.state = TaskState.OFFERED if task.offered_to else TaskState.WAITING
                actions.append(Withdrawn(task.id, (username,)))
                self._touch(task)
        operator = self.operators.get(username)
        if operator is not None and operator.state in (
                OperatorState.AVAILABLE, OperatorState.RESERVED, OperatorState.WRAP_UP):
            actions += self._release_reservations_of(operator, now)
            operator.state = OperatorState.OFFLINE
            self.dropped[username] = now
            self._touch(operator=operator)
        return actions + self._match(now)

    def arrive(self, username: str) -> None:
        """The person's desk is connected again."""
        self.away.discard(username)

    def come_back(self, username: str, now: datetime) -> list[Action]:
        """The person's desk is connected again; an operator ``leave`` logged off within
        RETURN_SECONDS is available again (one who logged off themselves stays off)."""
        self.arrive(username)
        left_at = self.dropped.pop(username, None)
        operator = self.operators.get(username)
        if left_at is None or operator is None or operator.state != OperatorState.OFFLINE \
                or username in self._assigned or \
                (now - left_at).total_seconds() > RETURN_SECONDS:
            return []
        return self.set_operator(username, skills=operator.skills,
                                 languages=operator.languages,
                                 state=OperatorState.AVAILABLE, now=now)

    # --- tasks -------------------------------------------------------------------------
    def add_task(self, task: Task, now: datetime) -> list[Action]:
        self.tasks[task.id] = task
        heapq.heappush(self._queue, (task.sort_key(), task.id))
        self._touch(task)
        return self._advance(task, now) + self._match(now)

    def cancel(self, task_id: int, now: datetime) -> list[Action]:
        task = self.tasks.get(task_id)
        if task is None or not task.open:
            return []
        actions = self._withdraw_all(task)
        if task.reserved_to:
            self._free(self.operators[task.reserved_to], now)
            self._held.pop(task.reserved_to, None)
        task.state = TaskState.CANCELLED
        task.reserved_to = None
        self._ringing.discard(task.id)
        self._touch(task)
        return actions + self._match(now)

    def accept(self, task_id: int, username: str, now: datetime) -> list[Action]:
        """The operator takes the task; raises RoutingError if it was not theirs to take."""
        task = self.tasks.get(task_id)
        operator = self.operators.get(username)
        if operator is None and task is not None and username in self.supervisors \
                and _holds_offer(task, username):
            operator = Operator(username, frozenset(), frozenset(), stand_in=True)
            self.operators[username] = operator
        if task is None or operator is None:
            raise RoutingError(f"task {task_id} or operator {username} is unknown")
        if task.state == TaskState.ASSIGNED:
            raise RoutingError(f"task {task_id} was already taken by {task.assigned_to}")
        if not _holds_offer(task, username):
            raise RoutingError(f"task {task_id} is not offered to {username}")
        others = tuple(sorted(task.offered_to - {username}))
        # Taking an emergency broadcast hands back any task held for this operator.
        released: list[Action] = []
        held = self._held.pop(username, None)
        if held is not None and held != task.id:
            released.append(Withdrawn(held, (username,)))
            self._requeue(self.tasks[held])
        self._ringing.discard(task.id)
        self._assigned[username] = task.id
        # A busy operator leaves every other broadcast they were ringing in.
        for other_id in self._ringing:
            other = self.tasks[other_id]
            if username in other.offered_to:
                other.offered_to -= {username}
                if not other.offered_to:
                    other.state = TaskState.WAITING
                released.append(Withdrawn(other.id, (username,)))
                self._touch(other)
        task.state = TaskState.ASSIGNED
        task.assigned_to = username
        task.reserved_to = None
        task.offered_to = frozenset()
        operator.state = OperatorState.BUSY
        operator.misses = 0
        self._touch(task, operator)
        return released + ([Withdrawn(task.id, others)] if others else []) + self._match(now)

    def refuse(self, task_id: int, username: str, now: datetime) -> list[Action]:
        """The operator declines an offer; the task goes to someone else."""
        task = self.tasks.get(task_id)
        if task is None or not task.open:
            raise RoutingError(f"task {task_id} is not open")
        task.refused_by |= {username}
        if task.state == TaskState.RESERVED and task.reserved_to == username:
            self._requeue(task)
            self._free(self.operators[username], now)
        elif username in task.offered_to:
            task.offered_to -= {username}
        self._touch(task)
        return self._match(now)

    def complete(self, task_id: int, username: str, now: datetime) -> list[Action]:
        task = self.tasks.get(task_id)
        if task is None or task.state != TaskState.ASSIGNED or task.assigned_to != username:
            raise RoutingError(f"task {task_id} is not assigned to {username}")
        task.state = TaskState.DONE
        task.done_at = now
        self._assigned.pop(username, None)
        operator = self.operators[username]
        if operator.stand_in:
            operator.state, operator.stand_in = OperatorState.OFFLINE, False
        else:
            operator.state = OperatorState.WRAP_UP
            operator.wrap_until = now + timedelta(seconds=WRAP_UP_SECONDS[task.kind])
        self._touch(task, operator)
        del self.tasks[task_id]
        return []

    # --- time ----------------------------------------------------------------------------
    def tick(self, now: datetime) -> list[Action]:
        """Expire reservations, end wrap-ups, apply steps whose time has come, then match."""
        actions: list[Action] = []
        for operator in self.operators.values():
            if operator.state == OperatorState.WRAP_UP and operator.wrap_until and \
                    operator.wrap_until <= now:
                self._free(operator, now)
        for task in list(self.tasks.values()):
            if task.state == TaskState.RESERVED and task.reservation_expires and \
                    task.reservation_expires <= now:
                actions += self._missed(task, now)
            if task.open:
                self._overflow(task, now)
                actions += self._advance(task, now)
        return actions + self._match(now)

    def _missed(self, task: Task, now: datetime) -> list[Action]:
        operator = self.operators[task.reserved_to or ""]
        task.refused_by |= {operator.username}
        self._requeue(task)
        operator.misses += 1
        actions: list[Action] = [Withdrawn(task.id, (operator.username,))]
        # Nobody leaves the desk by themselves while an emergency waits for someone.
        if operator.misses >= MISSES_BEFORE_BREAK and not self._emergency_waiting():
            operator.state = OperatorState.BREAK
            actions.append(SupervisorAlert(
                None, f"{operator.username} missed {operator.misses} offers in a row: on break",
                AlertKind.OPERATOR_BREAK, operator=operator.username))
        else:
            self._free(operator, now)
        self._touch(task, operator)
        return actions

    def _advance(self, task: Task, now: datetime) -> list[Action]:
        rule = rule_for(task.kind, task.priority)
        waited = (now - task.created_at).total_seconds()
        actions: list[Action] = []
        while task.step + 1 < len(rule.steps) and rule.steps[task.step + 1].after_seconds <= \
                waited:
            task.step += 1
            step = rule.steps[task.step]
            self._touch(task)
            if step.kind == StepKind.SUPERVISOR:
                actions.append(self._waiting_alert(task, emergency=task.priority == 1,
                                                   waited=waited, final=True))
            elif step.kind == StepKind.LONGEST_IDLE:
                task.exclusive = True
            elif task.state in (TaskState.WAITING, TaskState.OFFERED):
                actions += self._broadcast(task, step=step)
                if step.kind == StepKind.ALL_HANDS:
                    actions.append(self._waiting_alert(task, emergency=True, waited=waited,
                                                       final=False))
        return actions

    @staticmethod
    def _waiting_alert(task: Task, *, emergency: bool, waited: float,
                       final: bool) -> SupervisorAlert:
        kind = (AlertKind.P1_UNANSWERED if final else AlertKind.P1_WAITING) if emergency \
            else AlertKind.TASK_WAITING
        return SupervisorAlert(task.id, f"{task.ref or task.kind} has waited {int(waited)} s",
                               kind, waited_seconds=int(waited))

    def _emergency_waiting(self) -> bool:
        return any(self.tasks[i].priority == 1 and self.tasks[i].open for i in self._ringing)

    def _broadcast(self, task: Task, *, step: Step) -> list[Action]:
        """Ring every operator the step reaches at once; first accept wins. Operators holding
        a reservation of less urgent work hand it back to ring for this one."""
        audience = self._audience(task, step)
        new = audience - task.offered_to
        self._note_overflow(task, new)
        task.offered_to |= audience
        self._ringing.add(task.id)
        task.state = TaskState.OFFERED if task.offered_to else task.state
        task.exclusive = False
        self._touch(task)
        actions: list[Action] = []
        for username in sorted(new):
            actions += self._hand_back(username, below=task.priority)
        return actions + ([Offer(task.id, tuple(sorted(new)), False, None)] if new else [])

    def _audience(self, task: Task, step: Step) -> frozenset[str]:
        free = [op for op in self.operators.values()
                if self._free_for(op, task) and self._reaches(op.username, task)]
        if step.kind == StepKind.ALL_HANDS:
            resting = [op.username for op in self.operators.values()
                       if op.state == OperatorState.BREAK and op.username not in self._assigned
                       and self._reaches(op.username, task)]
            absent = [name for name in self.supervisors if (name not in self.operators
                      or self.operators[name].state == OperatorState.OFFLINE)
                      and self._reaches(name, task)]
            return frozenset([op.username for op in free] + resting + absent) - self.away
        free = [op for op in free if op.username not in task.refused_by]
        if step.kind == StepKind.SKILLED:
            # The incident's owner knows the senior: they ring too, skilled or not.
            skilled = [op for op in free if op.speaks(task.language) and (
                step.skill in op.skills or op.username == task.preferred)]
            free = skilled or free
        return frozenset(op.username for op in free)

    def _reaches(self, username: str, task: Task) -> bool:
        """Whether the task may ring this person now (their centre's turn has come)."""
        served = self.operator_areas.get(username)
        if task.area is None or served is None:
            return True
        # A closed centre's operators (still at the desk) are not rung for its work, unless
        # no open centre over it has anyone on duty.
        handling = self._handling_depth(task.area)
        depth = _covering_depth(served - self.closed if handling else served, task.area)
        return depth > 0 and (task.overflowed or depth >= handling)

    def _handling_depth(self, area: str) -> int:
        """How specific the centre that handles ``area`` now is: the deepest open one over
        it with an operator on duty (0 when none: then every centre over it)."""
        return max((_covering_depth(served - self.closed, area)
                    for name, served in self.operator_areas.items()
                    if name in self.operators and name not in self.away
                    and self.operators[name].state in ON_DUTY), default=0)

    def home_of(self, area: str) -> str | None:
        """The prefix of the centre whose work ``area`` is: the most specific one over it."""
        known = self.centre_prefixes.union(*self.operator_areas.values())
        return max((prefix for prefix in known if area.startswith(prefix)), key=len,
                   default=None)

    def for_whom(self, task: Task, username: str) -> str | None:
        """The centre (its area prefix) a task taken by ``username`` was handled for when
        that is not their own centre's work (a parent taking a station's task); None when
        it is their own."""
        served = self.operator_areas.get(username)
        if task.area is None or served is None:
            return None
        home = self.home_of(task.area)
        return home if home is not None and _covering_depth(served, task.area) < len(home) \
            else None

    def _why_away(self, task: Task) -> OverflowReason:
        home = self.home_of(task.area or "") or ""
        if home in self.closed:
            return OverflowReason.CLOSED
        if self._handling_depth(task.area or "") < len(home):
            return OverflowReason.NO_ONE_ON_DUTY
        return OverflowReason.UNANSWERED

    def _note_overflow(self, task: Task, audience: frozenset[str]) -> None:
        """Record why a task first rings someone outside its own centre."""
        if task.overflow_reason is None and task.area is not None and any(
                self.for_whom(task, name) is not None for name in audience):
            task.overflow_reason = self._why_away(task)
            self._touch(task)

    def _overflow(self, task: Task, now: datetime) -> None:
        if task.priority == 1 and not task.overflowed and task.area is not None and \
                (now - task.created_at).total_seconds() >= self.overflow_seconds:
            task.overflowed = True
            self._touch(task)

    def _free_for(self, operator: Operator, task: Task) -> bool:
        """Whether the operator can be rung for this task now."""
        if operator.username in self.away:
            return False
        if operator.state in (OperatorState.AVAILABLE, OperatorState.WRAP_UP):
            return True
        held = self._held.get(operator.username)
        return operator.state == OperatorState.RESERVED and held is not None and \
            self.tasks[held].priority > task.priority

    def _hand_back(self, username: str, *, below: int) -> list[Action]:
        """Withdraw a reservation of work less urgent than ``below`` (no miss counted)."""
        held = self._held.get(username)
        if held is None or self.tasks[held].priority <= below:
            return []
        self._requeue(self.tasks[held])
        operator = self.operators[username]
        operator.state = OperatorState.AVAILABLE
        self._touch(operator=operator)
        return [Withdrawn(held, (username,))]

    # --- matching ------------------------------------------------------------------------
    def _match(self, now: datetime) -> list[Action]:
        actions = self._widen_broadcasts()
        # An operator rung for an emergency is not reserved for anything less urgent meanwhile.
        ringing = {name for i in self._ringing if self.tasks[i].open
                   for name in self.tasks[i].offered_to}
        available = [op for op in self.operators.values()
                     if op.state == OperatorState.AVAILABLE and op.username not in ringing]
        if not available:
            return actions
        skipped: list[tuple[float, int]] = []
        while self._queue and available:
            key, task_id = heapq.heappop(self._queue)
            task = self.tasks.get(task_id)
            if task is None or not task.open:
                continue  # finished or cancelled: drop the stale heap entry
            if task.state != TaskState.WAITING or not task.exclusive:
                skipped.append((key, task_id))
                continue
            operator = self._longest_idle(task, available)
            if operator is None:
                skipped.append((key, task_id))
                continue
            available.remove(operator)
            actions.append(self._reserve(task, operator, now))
            skipped.append((key, task_id))
        for entry in skipped:
            heapq.heappush(self._queue, entry)
        return actions

    def _widen_broadcasts(self) -> list[Action]:
        """Operators who became free join the audience of broadcasts still waiting, the most
        urgent first."""
        actions: list[Action] = []
        for task_id in sorted(self._ringing, key=lambda i: self.tasks[i].sort_key()):
            task = self.tasks[task_id]
            if task.state in (TaskState.OFFERED, TaskState.WAITING):
                step = _broadcast_step(task)
                if step is not None:
                    actions += self._broadcast(task, step=step)
        return actions

    def _longest_idle(self, task: Task, available: list[Operator]) -> Operator | None:
        """The qualified operator idle longest; the incident's owner first if qualified."""
        qualified = [op for op in available if task.skills <= op.skills and
                     op.speaks(task.language) and op.username not in task.refused_by
                     and self._reaches(op.username, task)]
        owner = next((op for op in qualified if op.username == task.preferred), None)
        return owner or min(qualified, key=lambda op: op.idle_since or EPOCH, default=None)

    def _reserve(self, task: Task, operator: Operator, now: datetime) -> Offer:
        self._note_overflow(task, frozenset({operator.username}))
        task.state = TaskState.RESERVED
        task.reserved_to = operator.username
        task.reservation_expires = now + timedelta(seconds=RESERVATION_SECONDS)
        operator.state = OperatorState.RESERVED
        self._held[operator.username] = task.id
        self._touch(task, operator)
        return Offer(task.id, (operator.username,), True, task.reservation_expires)

    def _requeue(self, task: Task) -> None:
        if task.reserved_to:
            self._held.pop(task.reserved_to, None)
        task.state = TaskState.WAITING
        task.reserved_to = None
        task.reservation_expires = None
        self._touch(task)

    def _free(self, operator: Operator, now: datetime) -> None:
        operator.state = OperatorState.AVAILABLE
        operator.idle_since = now
        operator.wrap_until = None
        self._touch(operator=operator)

    def _withdraw_all(self, task: Task) -> list[Action]:
        holders = tuple(sorted(task.offered_to | ({task.reserved_to} if task.reserved_to
                                                  else set())))
        task.offered_to = frozenset()
        return [Withdrawn(task.id, holders)] if holders else []
