"""The roster of certifications, the payment hold list for finance, and reminders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from liveness import service
from liveness.certification import Standing, standing
from liveness.models import (
    Certification,
    DecisionRecord,
    FaceTemplate,
    LivenessTask,
    ReviewRequest,
)
from liveness.reminders import Reminder, ReminderSender
from seniors import service as seniors_service


@dataclass(frozen=True)
class RosterRow:
    senior_id: int
    name: str
    category: str
    certified_until: date | None
    standing: Standing
    under_review: bool
    held_since: date | None
    back_pay_due: bool
    consent: bool = False  # biometric consent on record
    enrolled: bool = False  # face templates on file


# What the roster page filters on; each a test of one row.
ROSTER_FILTERS: dict[str, Callable[[RosterRow], bool]] = {
    "all": lambda row: True,
    "due_soon": lambda row: row.standing == Standing.DUE_SOON,
    "overdue": lambda row: row.standing == Standing.OVERDUE,
    "held": lambda row: row.held_since is not None,
    "no_consent": lambda row: not row.consent,
    "no_enrolment": lambda row: not row.enrolled,
}


async def roster(session: AsyncSession, *, today: date, due_soon_days: int,
                 district: str | None = None) -> list[RosterRow]:
    """Every active senior × subsidy category (of one district, found by its index), with
    standing and whether staff are on it."""
    seniors = await seniors_service.subsidised(session, district=district)
    certified = select(Certification)
    if district is not None:
        certified = certified.where(Certification.senior_id.in_(
            seniors_service.ids_in_district(district)))
    certs = {(c.senior_id, c.category): c for c in (await session.scalars(certified)).all()}
    busy = set((await session.scalars(select(LivenessTask.senior_id).where(
        LivenessTask.done_at.is_(None)))).all())
    pending = set((await session.scalars(select(DecisionRecord.senior_id).join(
        ReviewRequest, ReviewRequest.decision_id == DecisionRecord.id).where(
        ReviewRequest.approved_by.is_(None)))).all())
    consent = await seniors_service.consenting(session, purpose=service.BIOMETRIC_PURPOSE)
    enrolled = set((await session.scalars(select(FaceTemplate.senior_id).distinct())).all())
    rows = []
    for senior in seniors:
        for category in senior.subsidy_categories:
            cert = certs.get((senior.id, category))
            until = cert.certified_until if cert else None
            rows.append(RosterRow(
                senior.id, senior.name, category, until, standing(until, today, due_soon_days),
                senior.id in busy or senior.id in pending, cert.held_since if cert else None,
                bool(cert and cert.back_pay_due), senior.id in consent, senior.id in enrolled))
    return rows


async def payment_holds(session: AsyncSession, *, today: date, due_soon_days: int
                        ) -> list[RosterRow]:
    """Overdue and not under review: held from today unless already held."""
    held = []
    for row in await roster(session, today=today, due_soon_days=due_soon_days):
        if row.standing != Standing.OVERDUE or row.under_review:
            continue
        cert = await service.certification_row(session, senior_id=row.senior_id,
                                               category=row.category)
        cert.held_since = cert.held_since or today
        held.append(RosterRow(row.senior_id, row.name, row.category, row.certified_until,
                              row.standing, False, cert.held_since, cert.back_pay_due))
    await session.flush()
    return held


async def send_reminders(session: AsyncSession, *, sender: ReminderSender, today: date,
                         days_before: int) -> int:
    """One reminder per due date, ``days_before`` days ahead, through the telephony port."""
    certs = (await session.scalars(select(Certification).where(
        Certification.certified_until.is_not(None),
        Certification.certified_until <= today + timedelta(days=days_before),
        Certification.certified_until >= today))).all()
    sent = 0
    for cert in certs:
        if cert.reminded_for == cert.certified_until or cert.certified_until is None:
            continue
        senior = await seniors_service.get_senior(session, cert.senior_id)
        await sender.send(Reminder(senior.id, [p.number for p in senior.phones], cert.category,
                                   cert.certified_until,
                                   f"{senior.name}，您的{cert.category}生存认证将于"
                                   f"{cert.certified_until.isoformat()}到期，请及时认证。"))
        cert.reminded_for = cert.certified_until
        sent += 1
    await session.flush()
    return sent
