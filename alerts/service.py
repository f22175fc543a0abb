"""Raising, seeing and closing supervisor alerts; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from alerts.exceptions import AlertNotFoundError, AlertStateError
from alerts.kinds import ALERT_KINDS, AlertState
from alerts.models import SupervisorAlert


async def raise_alert(session: AsyncSession, *, kind: str, ref: str, now: datetime,
                      detail: dict[str, object] | None = None,
                      senior_id: int | None = None) -> SupervisorAlert:
    """Open an alert, or count a repeat on the one still open for the same kind and subject."""
    if kind not in ALERT_KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    key = f"{kind}:{ref}"
    existing = await _open(session, key)
    if existing is None:
        alert = SupervisorAlert(kind=kind, ref=ref, open_key=key, senior_id=senior_id,
                                state=AlertState.OPEN.value, detail=detail or {}, count=1,
                                raised_at=now, last_at=now)
        try:
            async with session.begin_nested():
                session.add(alert)
                await session.flush()
            return alert
        except IntegrityError:  # raised by another writer between our look and our insert
            existing = await _open(session, key)
            if existing is None:
                raise
    await session.execute(
        update(SupervisorAlert).where(SupervisorAlert.id == existing.id).values(
            count=SupervisorAlert.count + 1, last_at=now,
            detail={**existing.detail, **(detail or {})})
        .execution_options(synchronize_session=False))
    return await _reloaded(session, existing.id)


async def mark_seen(session: AsyncSession, *, alert_id: int, by: str,
                    now: datetime) -> SupervisorAlert:
    """A supervisor has looked at it (once: the first look is the one recorded)."""
    return await _move(session, alert_id, to=AlertState.SEEN, only_from=(AlertState.OPEN,),
                       by=by, now=now)


async def close(session: AsyncSession, *, alert_id: int, by: str, now: datetime,
                note: str = "") -> SupervisorAlert:
    """A supervisor closes it; the next occurrence opens a new alert."""
    return await _move(session, alert_id, to=AlertState.CLOSED, note=note,
                       only_from=(AlertState.OPEN, AlertState.SEEN), by=by, now=now)


async def _move(session: AsyncSession, alert_id: int, *, to: AlertState,
                only_from: tuple[AlertState, ...], by: str, now: datetime,
                note: str = "") -> SupervisorAlert:
    """One guarded UPDATE, so two supervisors never both close the same alert."""
    values: dict[str, object] = {"state": to.value}
    if to == AlertState.SEEN:
        values |= {"seen_at": now, "seen_by": by}
    else:
        values |= {"closed_at": now, "closed_by": by, "open_key": None}
    moved = await session.execute(
        update(SupervisorAlert).where(SupervisorAlert.id == alert_id,
                                      SupervisorAlert.state.in_([s.value for s in only_from]))
        .values(**values).execution_options(synchronize_session=False))
    alert = await _reloaded(session, alert_id)
    if getattr(moved, "rowcount", 0) != 1:
        who = alert.closed_by or alert.seen_by
        raise AlertStateError(f"alert {alert_id} is already {alert.state}"
                              + (f" by {who}" if who else ""))
    if note:
        alert.detail = {**alert.detail, "note": note}
        await session.flush()
    return alert


async def list_alerts(session: AsyncSession, *, states: Sequence[AlertState] = (),
                      senior_id: int | None = None, limit: int = 200
                      ) -> Sequence[SupervisorAlert]:
    """Alerts, newest first; by default those not yet closed."""
    wanted = states or (AlertState.OPEN, AlertState.SEEN)
    query = select(SupervisorAlert).where(
        SupervisorAlert.state.in_([s.value for s in wanted]))
    if senior_id is not None:
        query = query.where(SupervisorAlert.senior_id == senior_id)
    query = query.order_by(SupervisorAlert.raised_at.desc(), SupervisorAlert.id.desc())
    return (await session.execute(query.limit(limit))).scalars().all()


async def _open(session: AsyncSession, key: str) -> SupervisorAlert | None:
    return (await session.execute(select(SupervisorAlert).where(
        SupervisorAlert.open_key == key))).scalar_one_or_none()


async def _reloaded(session: AsyncSession, alert_id: int) -> SupervisorAlert:
    alert = await session.get(SupervisorAlert, alert_id, populate_existing=True)
    if alert is None:
        raise AlertNotFoundError(alert_id)
    return alert
