"""The routing desk: the engine plus its database rows and the live feed.

One desk per running service owns the engine. Every change is applied to the engine under a
lock, written to the database in the same step, and only then announced; an accept is also
claimed with a conditional UPDATE, so even two desks sharing a database never both win.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from accounts.audiences import audience
from accounts.roles import Role
from alerts import events as alert_events
from alerts import service as alerts_service
from areas import service as areas_service
from callcenter.routing.engine import (
    Action,
    Offer,
    Operator,
    OverflowReason,
    Router,
    RoutingError,
    SupervisorAlert,
    Task,
    TaskState,
    Withdrawn,
)
from callcenter.routing.models import OperatorStateChange, RoutingOperator, RoutingTask
from callcenter.routing.rules import OperatorState, TaskKind
from callcenter.routing.subjects import Subject, subjects_of
from runtime.context import Runtime

if TYPE_CHECKING:  # what alerts_service hands back (the engine has its own SupervisorAlert)
    from alerts.models import SupervisorAlert as StoredAlert

ADD_SLICE = 25  # tasks queued per transaction
DESK_LEASE = "routing_loop"  # the lease of the loop that runs the desk (callcenter/routing/flows)
# Published by an instance not in charge after it changed the stored desk: reload it.
DESK_CHANGED = "routing.desk_changed"
SUPERVISORS_REREAD_SECONDS = 30.0  # supervisor accounts added or disabled reach the desk


@dataclass(frozen=True, slots=True)
class NewTask:
    """Work to queue on the desk; ``ref`` names what it is about (``alarm:7``, ``call:12``)."""

    kind: TaskKind
    priority: int
    ref: str
    skills: tuple[str, ...] = ()
    language: str | None = None
    preferred: str | None = None  # offered first when available (the incident's owner)


@dataclass
class RoutingDesk:
    runtime: Runtime
    router: Router = field(default_factory=Router)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # What each task is about, in words (read when it is queued).
    subjects: dict[str, Subject] = field(default_factory=dict)
    # Every centre with its opening hours (a handful of rows: read afresh before each use).
    centres: list[areas_service.CentreView] = field(default_factory=list)
    _supervisors_read_at: datetime | None = None

    async def load(self) -> None:
        """Read the stored operators and open tasks into the engine (start-up, restart)."""
        async with self.runtime.sessions() as session:
            operators = (await session.execute(select(RoutingOperator))).scalars().all()
            tasks = (await session.execute(select(RoutingTask).where(RoutingTask.state.in_(
                [s.value for s in (TaskState.WAITING, TaskState.OFFERED, TaskState.RESERVED,
                                   TaskState.ASSIGNED)])))).scalars().all()
            self.subjects = await subjects_of(session, [row.ref for row in tasks])
            self.router.supervisors = await _supervisors(session)
            self.centres = await areas_service.centres(session)
        self.router.load([_operator(row) for row in operators], [_task(row) for row in tasks])
        self.router.overflow_seconds = self.runtime.settings.routing_overflow_seconds
        self._place(list(self.router.tasks.values()))
        self._open_or_closed(self.runtime.clock.now())

    def _open_or_closed(self, now: datetime) -> None:
        """Tell the engine every centre's area and which are outside their hours ``now``."""
        self.router.centre_prefixes = frozenset(c.prefix for c in self.centres)
        self.router.closed = frozenset(c.prefix for c in self.centres if not c.hours.is_open(now))

    def handling(self, task: Task, username: str
                 ) -> tuple[areas_service.CentreView | None, areas_service.CentreView | None]:
        """The centre ``task`` belongs to and the one ``username`` takes it for (theirs)."""
        if task.area is None:
            return None, None
        served = self.router.operator_areas.get(username)
        return (areas_service.centre_over(self.centres, task.area),
                areas_service.centre_over(self.centres, task.area, served)
                if served is not None else None)

    def _place(self, tasks: Sequence[Task]) -> None:
        """Each task's area is its subject's: its centre's operators are rung first."""
        for task in tasks:
            subject = self.subjects.get(task.ref)
            task.area = subject.area_code if subject else None

    def serves(self, username: str, prefixes: frozenset[str] | None) -> None:
        """The areas ``username``'s centres serve (None: every area), for routing."""
        if prefixes is None:
            self.router.operator_areas.pop(username, None)
        else:
            self.router.operator_areas[username] = prefixes

    async def reload(self) -> None:
        """Forget the engine's state and read the stored one (a lease taken over)."""
        async with self.lock:
            await self._reload()

    async def _reload(self) -> None:
        self.router = Router(away=self.router.away, dropped=self.router.dropped,
                             operator_areas=self.router.operator_areas,
                             overflow_seconds=self.router.overflow_seconds,
                             centre_prefixes=self.router.centre_prefixes,
                             closed=self.router.closed)
        await self.load()

    @property
    def in_charge(self) -> bool:
        """No other instance runs the desk's loop (holds its lease). Where one does, this
        engine is only a copy, read afresh before each change a request makes here."""
        return DESK_LEASE not in self.runtime.leases.elsewhere

    async def _fresh(self) -> None:
        """Under the lock, before a change: another instance's engine must start from the
        stored state, as the one in charge may have moved on since."""
        if not self.in_charge:
            await self._reload()

    def _tell_the_one_in_charge(self) -> None:
        if not self.in_charge:
            self.runtime.bus.publish(DESK_CHANGED, {"by": self.runtime.leases.holder},
                                     roles=audience(DESK_CHANGED))

    def subject_of(self, task: Task) -> Subject | None:
        return self.subjects.get(task.ref)

    async def add_task(self, *, kind: TaskKind, priority: int, ref: str,
                       skills: Sequence[str] = (), language: str | None = None) -> Task | None:
        """Queue work; returns None if work with the same ``ref`` is already open."""
        added = await self.add_tasks([NewTask(kind, priority, ref, tuple(skills), language)])
        return added[0] if added else None

    async def add_tasks(self, work: Sequence[NewTask]) -> list[Task]:
        """Queue several pieces of work, a slice per transaction (so that a burst never holds
        the database's writer for long); those whose ``ref`` is already open are left out.
        The tasks queued, in the order given."""
        queued: list[Task] = []
        for start in range(0, len(work), ADD_SLICE):
            queued += await self._add_slice(work[start:start + ADD_SLICE])
        return queued

    async def _add_slice(self, work: Sequence[NewTask]) -> list[Task]:
        now = self.runtime.clock.now()
        async with self.lock, self.runtime.sessions() as session:
            await self._fresh()
            open_refs = set((await session.execute(select(RoutingTask.open_ref).where(
                RoutingTask.open_ref.in_([item.ref for item in work])))).scalars())
            rows = []
            for item in work:
                if item.ref in open_refs:
                    continue
                open_refs.add(item.ref)
                rows.append(RoutingTask(
                    kind=item.kind.value, priority=item.priority, ref=item.ref,
                    open_ref=item.ref, skills=list(item.skills), language=item.language,
                    preferred=item.preferred, created_at=now, state=TaskState.WAITING.value))
            if not rows:
                return []
            session.add_all(rows)
            await session.flush()
            tasks = [_task(row) for row in rows]
            self.subjects |= await subjects_of(session, [task.ref for task in tasks])
            self._place(tasks)
            self.centres = await areas_service.centres(session)
            self._open_or_closed(now)
            actions = [action for task in tasks for action in self.router.add_task(task, now)]
            await self._save(session)
            alerts = await self._store_alerts(session, actions)
            await self.runtime.leases.fence(session)  # offers come from the lease holder only
            await session.commit()
        self._tell_the_one_in_charge()
        self._announce(actions, alerts)
        return tasks

    async def accept(self, task_id: int, username: str) -> Task:
        now = self.runtime.clock.now()
        async with self.lock, self.runtime.sessions() as session:
            await self._fresh()
            self.centres = await areas_service.centres(session)
            offered = self.router.tasks.get(task_id)
            home, by = self.handling(offered, username) if offered else (None, None)
            claimed = await session.execute(
                update(RoutingTask)
                .where(RoutingTask.id == task_id,
                       RoutingTask.state.in_([TaskState.OFFERED.value, TaskState.RESERVED.value]))
                .values(state=TaskState.ASSIGNED.value, assigned_to=username, assigned_at=now,
                        for_centre_id=home.id if home else None,
                        handled_by_centre_id=by.id if by else None)
                .execution_options(synchronize_session=False))
            if getattr(claimed, "rowcount", 0) != 1:
                taken = self.router.tasks.get(task_id)
                who = taken.assigned_to if taken else None
                raise RoutingError(f"task {task_id} was already taken" +
                                   (f" by {who}" if who else ""))
            actions = self.router.accept(task_id, username, now)
            await self._save(session)
            await session.commit()
        self._tell_the_one_in_charge()
        self._announce(actions, [])
        task = self.router.tasks[task_id]
        # An overflow's record says for whom it was handled (the station's area and centre).
        on_behalf = home is not None and by is not None and home.id != by.id
        self.runtime.bus.publish("routing.assigned", {
            "task_id": task_id, "to": username,
            "for_area": self.router.for_whom(task, username),
            "for_centre": _names(home) if on_behalf else None,
            "handled_by_centre": _names(by) if on_behalf else None,
            "overflow_reason": task.overflow_reason},
            roles=audience("routing.assigned"), area=task.area)
        return self.router.tasks[task_id]

    async def refuse(self, task_id: int, username: str) -> None:
        await self._apply(lambda now: self.router.refuse(task_id, username, now))

    async def complete(self, task_id: int, username: str) -> None:
        await self._apply(lambda now: self.router.complete(task_id, username, now))

    async def cancel_ref(self, ref: str) -> None:
        task = next((t for t in self.router.tasks.values() if t.ref == ref and t.open), None)
        if task is not None:
            await self._apply(lambda now: self.router.cancel(task.id, now))

    async def set_state(self, username: str, state: OperatorState, *,
                        skills: Sequence[str] | None = None,
                        languages: Sequence[str] | None = None) -> Operator:
        known = self.router.operators.get(username)
        skill_set = frozenset(skills if skills is not None else (known.skills if known else ()))
        language_set = frozenset(languages if languages is not None else
                                 (known.languages if known else ("zh-CN",)))
        await self._apply(lambda now: self.router.set_operator(
            username, skills=skill_set, languages=language_set, state=state, now=now))
        return self.router.operators[username]

    async def set_phone_endpoint(self, username: str, endpoint: str | None) -> None:
        """Where the phone network reaches the operator (stored beside their profile)."""
        async with self.lock, self.runtime.sessions() as session:
            row = await session.get(RoutingOperator, username)
            if row is None:
                raise RoutingError(f"operator {username} is unknown")
            row.phone_endpoint = endpoint
            await session.commit()

    async def leave(self, username: str) -> None:
        """The person's desk went away (browser closed): their offers go to others now."""
        await self._apply(lambda now: self.router.leave(username, now))

    def arrive(self, username: str) -> None:
        self.router.arrive(username)

    async def returned(self, username: str) -> None:
        """The person's live feed is open again: one the desk logged off when it went away
        (a cut link) goes back on the queue."""
        if username in self.router.dropped:
            await self._apply(lambda now: self.router.come_back(username, now))
        else:
            self.router.arrive(username)

    async def tick(self) -> None:
        now = self.runtime.clock.now()
        if self._supervisors_read_at is None or \
                (now - self._supervisors_read_at).total_seconds() >= SUPERVISORS_REREAD_SECONDS:
            async with self.runtime.sessions() as session:
                self.router.supervisors = await _supervisors(session)
            self._supervisors_read_at = now
        async with self.runtime.sessions() as session:
            self.centres = await areas_service.centres(session)
        self._open_or_closed(now)  # a centre closing hands its waiting work up at once
        await self._apply(self.router.tick)
        live = {task.ref for task in self.router.tasks.values()}
        for ref in [ref for ref in self.subjects if ref not in live]:
            del self.subjects[ref]

    async def _apply(self, change: Callable[[datetime], list[Action]]) -> None:
        now = self.runtime.clock.now()
        async with self.lock, self.runtime.sessions() as session:
            await self._fresh()
            actions: list[Action] = change(now)
            await self._save(session)
            alerts = await self._store_alerts(session, actions)
            await self.runtime.leases.fence(session)
            await session.commit()
        self._tell_the_one_in_charge()
        self._announce(actions, alerts)

    async def _store_alerts(self, session: AsyncSession,
                            actions: Sequence[Action]) -> list[StoredAlert]:
        """Supervisor alerts go into the same transaction as the change that raised them."""
        stored = []
        for action in actions:
            if isinstance(action, SupervisorAlert):
                task = self.router.tasks.get(action.task_id) if action.task_id else None
                subject = self.subject_of(task) if task else None
                what = " · ".join(part for part in (
                    subject.senior_name if subject else None,
                    subject.what_zh if subject else None) if part) or (task.ref if task else "")
                ref = task.ref if task else f"operator:{action.operator}"
                stored.append(await alerts_service.raise_alert(
                    session, kind=action.kind.value, ref=ref, now=self.runtime.clock.now(),
                    senior_id=subject.senior_id if subject else None,
                    detail={"what": what, "waited": action.waited_seconds,
                            "operator": action.operator or "",
                            "misses": self.router.operators[action.operator].misses
                            if action.operator in self.router.operators else ""}))
        return stored

    async def _save(self, session: AsyncSession) -> None:
        """Write what the engine changed: all tasks in one statement, operators by row."""
        tasks, operators = self.router.take_dirty()
        if tasks:
            await session.execute(update(RoutingTask), [_task_columns(task) for task in tasks])
        if not operators:
            return
        now = self.runtime.clock.now()
        rows = {row.username: row for row in (await session.execute(select(
            RoutingOperator).where(RoutingOperator.username.in_(
                [operator.username for operator in operators])))).scalars()}
        for operator in operators:
            row = rows.get(operator.username) or RoutingOperator(username=operator.username)
            if row.state != operator.state.value:  # the history occupancy is computed from
                session.add(OperatorStateChange(username=operator.username,
                                                state=operator.state.value, at=now))
            row.skills = sorted(operator.skills)
            row.languages = sorted(operator.languages)
            row.state = operator.state.value
            row.idle_since = operator.idle_since
            row.misses = operator.misses
            row.wrap_until = operator.wrap_until
            row.stand_in = operator.stand_in
            session.add(row)

    def _announce(self, actions: Sequence[Action], alerts: Sequence[StoredAlert]) -> None:
        for action in actions:
            if isinstance(action, Offer):
                task = self.router.tasks.get(action.task_id)
                subject = self.subject_of(task) if task else None
                self.runtime.bus.publish("routing.offer", {
                    "task_id": action.task_id, "to": list(action.operators),
                    "exclusive": action.exclusive,
                    "expires_at": action.expires_at.isoformat() if action.expires_at else None,
                    "kind": task.kind.value if task else None, "ref": task.ref if task else None,
                    "priority": task.priority if task else None,
                    "subject": subject.as_json() if subject else None,
                }, roles=audience("routing.offer"), area=subject.area_code if subject else None)
            elif isinstance(action, Withdrawn):
                self.runtime.bus.publish("routing.withdrawn", {"task_id": action.task_id,
                                                               "to": list(action.operators)},
                                         roles=audience("routing.withdrawn"))
        for alert in alerts:
            alert_events.publish(self.runtime.bus, alert)


def _task_columns(task: Task) -> dict[str, object]:
    """A task's stored columns by primary key, for a bulk UPDATE."""
    return {
        "id": task.id, "state": task.state.value, "step": task.step,
        "exclusive": task.exclusive, "offered_to": sorted(task.offered_to),
        "refused_by": sorted(task.refused_by), "reserved_to": task.reserved_to,
        "reservation_expires": task.reservation_expires, "assigned_to": task.assigned_to,
        "done_at": task.done_at,
        "overflow_reason": task.overflow_reason.value if task.overflow_reason else None,
        "open_ref": task.ref if task.open or task.state == TaskState.ASSIGNED else None,
    }


def _operator(row: RoutingOperator) -> Operator:
    return Operator(row.username, frozenset(row.skills), frozenset(row.languages),
                    OperatorState(row.state), row.idle_since, row.misses, row.wrap_until,
                    stand_in=row.stand_in)


async def _supervisors(session: AsyncSession) -> frozenset[str]:
    """Active supervisor accounts: offered emergencies nobody took in time."""
    return frozenset(user.username for user in await accounts_service.list_users(session)
                     if user.role == Role.SUPERVISOR and user.active)


def _task(row: RoutingTask) -> Task:
    return Task(
        id=row.id, kind=TaskKind(row.kind), priority=row.priority, created_at=row.created_at,
        ref=row.ref, skills=frozenset(row.skills), language=row.language,
        preferred=row.preferred, state=TaskState(row.state), step=row.step, exclusive=row.exclusive,
        offered_to=frozenset(row.offered_to), refused_by=frozenset(row.refused_by),
        reserved_to=row.reserved_to, reservation_expires=row.reservation_expires,
        assigned_to=row.assigned_to,
        overflow_reason=OverflowReason(row.overflow_reason) if row.overflow_reason else None,
    )


def _names(centre: areas_service.CentreView | None) -> dict[str, str] | None:
    return {"id": str(centre.id), "name_zh": centre.name_zh, "name_en": centre.name_en} \
        if centre else None


async def phone_endpoint_of(session: AsyncSession, username: str) -> str | None:
    """The operator's phone endpoint, if they have one."""
    return await session.scalar(select(RoutingOperator.phone_endpoint).where(
        RoutingOperator.username == username))


def waited_seconds(task: Task, now: datetime) -> float:
    return (now - task.created_at).total_seconds()
