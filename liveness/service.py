"""Proof-of-life services: consent gate, enrolment, challenge sessions, checks, decisions,
four-eyes reviews, certification and purges (the roster and holds are in ``roster``)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib.metadata import version

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from config.keys import BiometricKey
from liveness import chain, imaging
from liveness.actions import Action, random_actions, script_for
from liveness.analysis import Analysis, analyse
from liveness.certification import add_months
from liveness.decision import Outcome
from liveness.exceptions import (
    ConsentMissingError,
    DecisionNotFoundError,
    NotEnrolledError,
    PhotoRefusedError,
    RateLimitedError,
    ReviewError,
    SessionNotFoundError,
    SessionRefusedError,
    TemplateKeyError,
)
from liveness.image_format import PHOTO_LIMITS, ImageRefused, check_image
from liveness.imaging import PhotoRules, TimedFrame
from liveness.links import CaptureLink
from liveness.models import (
    AuditFrame,
    CaptureLinkUse,
    Certification,
    ChallengeSession,
    DecisionRecord,
    FaceTemplate,
    LivenessTask,
    ReviewRequest,
)
from liveness.runtime import LivenessRuntime
from liveness.templates import open_template, photo_digest, seal_frame, seal_template
from seniors import service as seniors_service

BIOMETRIC_PURPOSE = "biometric"
LIBRARIES = ("face-recognition", "dlib-bin", "opencv-python-headless", "numpy")


@dataclass(frozen=True)
class RateLimit:
    max_failures: int
    window: timedelta
    cool_off: timedelta


async def require_consent(session: AsyncSession, *, senior_id: int, now: datetime) -> None:
    """Without biometric consent, offer the non-face route: a staff home-visit task."""
    await seniors_service.get_senior(session, senior_id)
    if await seniors_service.has_consent(session, senior_id=senior_id, purpose=BIOMETRIC_PURPOSE):
        return
    await open_task(session, senior_id=senior_id, kind="home_visit", reason="no_biometric_consent",
                    now=now)
    raise ConsentMissingError(
        "the senior has not consented to biometric processing; a home visit has been offered")


async def open_task(session: AsyncSession, *, senior_id: int, kind: str, reason: str,
                    now: datetime, decision_id: int | None = None) -> LivenessTask:
    """One open task per senior and kind: an existing one is reused."""
    existing = await session.scalar(select(LivenessTask).where(
        LivenessTask.senior_id == senior_id, LivenessTask.kind == kind,
        LivenessTask.done_at.is_(None)))
    if existing is not None:
        return existing
    task = LivenessTask(senior_id=senior_id, kind=kind, reason=reason, decision_id=decision_id,
                        created_at=now)
    session.add(task)
    await session.flush()
    return task


async def enrol(session: AsyncSession, runtime: LivenessRuntime, *, senior_id: int,
                photos: Sequence[bytes], staff: str, now: datetime, rules: PhotoRules
                ) -> list[FaceTemplate]:
    """Judge every photo (all must pass), then replace the senior's templates."""
    await require_consent(session, senior_id=senior_id, now=now)
    if not 1 <= len(photos) <= 5:
        raise PhotoRefusedError("upload between 1 and 5 photos")
    for number, photo in enumerate(photos, start=1):
        try:
            check_image(photo, PHOTO_LIMITS)
        except ImageRefused as error:
            raise PhotoRefusedError(f"photo {number} refused: {error}") from None
    loop = asyncio.get_running_loop()
    verdicts = await asyncio.gather(*(
        loop.run_in_executor(runtime.pool, imaging.judge_photo, photo, rules) for photo in photos))
    for number, verdict in enumerate(verdicts, start=1):
        if verdict.reason is not None:
            raise PhotoRefusedError(f"photo {number} refused: {verdict.reason}")
    for old in (await session.scalars(select(FaceTemplate).where(
            FaceTemplate.senior_id == senior_id))).all():
        await session.delete(old)
    rows = []
    key = runtime.keys.current
    for photo, verdict in zip(photos, verdicts, strict=True):
        assert verdict.template is not None
        rows.append(FaceTemplate(
            senior_id=senior_id, photo_sha256=photo_digest(photo), enrolled_by=staff,
            enrolled_at=now, key_id=key.key_id,
            sealed=seal_template(key.templates, verdict.template, senior_id=senior_id)))
    session.add_all(rows)
    await session.flush()
    return rows


async def templates_of(session: AsyncSession, runtime: LivenessRuntime, *, senior_id: int
                       ) -> list[list[float]]:
    rows = (await session.scalars(select(FaceTemplate).where(
        FaceTemplate.senior_id == senior_id))).all()
    return [open_template(_key_of(runtime, row).templates, row.sealed, senior_id=senior_id)
            for row in rows]


def _key_of(runtime: LivenessRuntime, row: FaceTemplate) -> BiometricKey:
    key = runtime.keys.by_id(row.key_id)
    if key is None:
        raise TemplateKeyError(
            f"a face template of senior {row.senior_id} is sealed with key id "
            f"{row.key_id or '(none)'}, which is neither ANXIN_BIOMETRIC_KEY nor "
            "ANXIN_BIOMETRIC_KEY_PREVIOUS")
    return key


async def blocked_until(session: AsyncSession, *, senior_id: int, now: datetime,
                        limit: RateLimit) -> datetime | None:
    """When the cool-off after max_failures failed checks inside the window ends, or None."""
    since = now - limit.window - limit.cool_off
    failures = (await session.scalars(select(DecisionRecord.decided_at).where(
        DecisionRecord.senior_id == senior_id, DecisionRecord.kind == "check",
        DecisionRecord.outcome == Outcome.FAIL, DecisionRecord.decided_at >= since,
    ).order_by(DecisionRecord.decided_at))).all()
    for i in range(len(failures) - limit.max_failures + 1):
        burst = failures[i:i + limit.max_failures]
        if burst[-1] - burst[0] <= limit.window and now < burst[-1] + limit.cool_off:
            return burst[-1] + limit.cool_off
    return None


async def check_rate_limit(session: AsyncSession, *, senior_id: int, now: datetime,
                           limit: RateLimit) -> None:
    """After max_failures failed checks inside the window, refuse until the cool-off ends."""
    until = await blocked_until(session, senior_id=senior_id, now=now, limit=limit)
    if until is not None:
        raise RateLimitedError(
            f"{limit.max_failures} failed checks in {limit.window}; try again after "
            f"{until.isoformat()}")


async def is_enrolled(session: AsyncSession, *, senior_id: int) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(FaceTemplate).where(
        FaceTemplate.senior_id == senior_id)))


async def start_session(session: AsyncSession, *, senior_id: int, channel: str,
                        category: str | None, staff: str, now: datetime, lifetime: timedelta,
                        limit: RateLimit, actions: list[Action] | None = None,
                        link: CaptureLink | None = None) -> ChallengeSession:
    """A challenge for the senior; from a capture link, only while the link is unspent."""
    if link is not None and await session.get(CaptureLinkUse, link.link_id) is not None:
        raise SessionRefusedError(SPENT_LINK)
    await require_consent(session, senior_id=senior_id, now=now)
    await check_rate_limit(session, senior_id=senior_id, now=now, limit=limit)
    if not await is_enrolled(session, senior_id=senior_id):
        raise NotEnrolledError("the senior has no enrolled face; enrol 1–5 photos first")
    senior = await seniors_service.get_senior(session, senior_id)
    challenge = ChallengeSession(
        id=secrets.token_hex(16), senior_id=senior_id, nonce=secrets.token_urlsafe(24),
        actions=[a.value for a in (actions or random_actions())], channel=channel,
        category=category or (senior.subsidy_categories or ["general"])[0], staff=staff,
        created_at=now, expires_at=now + lifetime,
        link_id=link.link_id if link is not None else None)
    session.add(challenge)
    await session.flush()
    return challenge


def refusal(challenge: ChallengeSession, *, nonce: str, now: datetime) -> str | None:
    """Why an upload for this session is refused, or None: the pure session rule."""
    if not secrets.compare_digest(challenge.nonce, nonce):
        return "the nonce does not belong to this session"
    if challenge.used_at is not None:
        return "this session has already been used"
    if now >= challenge.expires_at:
        return "this session has expired"
    return None


SPENT_LINK = "this capture link has already been used; ask the staff for a new one"


async def claim_session(session: AsyncSession, *, session_id: str, nonce: str, now: datetime,
                        link: CaptureLink | None = None) -> ChallengeSession:
    """Mark the session used before any analysis, so a replay is refused even mid-check; a
    session from a capture link must be that link's, and spends it."""
    challenge = await session.get(ChallengeSession, session_id)
    if challenge is None or (link is not None and (
            challenge.senior_id != link.senior_id or challenge.link_id != link.link_id)):
        raise SessionNotFoundError(f"no liveness session {session_id}")
    reason = refusal(challenge, nonce=nonce, now=now)
    if reason is not None:
        raise SessionRefusedError(reason)
    challenge.used_at = now
    if link is not None:
        await spend_link(session, link=link, session_id=session_id, now=now)
    await session.flush()
    return challenge


async def spend_link(session: AsyncSession, *, link: CaptureLink, session_id: str,
                     now: datetime) -> None:
    """Record the link as used. The flush before the look-up takes the write lock, so of two
    racing checks the second sees the first's row (or, on PostgreSQL, hits its primary key)."""
    await session.flush()
    if await session.get(CaptureLinkUse, link.link_id) is not None:
        raise SessionRefusedError(SPENT_LINK)
    session.add(CaptureLinkUse(link_id=link.link_id, session_id=session_id, used_at=now,
                               expires_at=link.expires_at))
    try:
        await session.flush()
    except IntegrityError:
        raise SessionRefusedError(SPENT_LINK) from None


def library_versions() -> dict[str, str]:
    return {name: version(name) for name in LIBRARIES}


async def append_decision(session: AsyncSession, record: DecisionRecord) -> DecisionRecord:
    """Link the record to the newest one and seal it with its hash."""
    last = await session.scalar(select(DecisionRecord).order_by(DecisionRecord.id.desc())
                                .limit(1))
    record.previous_hash = last.record_hash if last is not None else chain.GENESIS
    record.record_hash = chain.hash_of(record, record.previous_hash)
    session.add(record)
    await session.flush()
    return record


async def run_check(session: AsyncSession, runtime: LivenessRuntime, *, challenge: ChallengeSession,
                    frames: list[TimedFrame], now: datetime, audit_days: float,
                    certification_months: int, actor: str) -> DecisionRecord:
    """Analyse the frames, then (under the chain lock, so no two records share a predecessor)
    record the decision, keep two small audit frames, act on it, audit and commit."""
    templates = await templates_of(session, runtime, senior_id=challenge.senior_id)
    script = script_for([Action(a) for a in challenge.actions])
    result = await analyse(runtime.pool, frames=frames, script=script, templates=templates,
                           thresholds=runtime.thresholds, workers=runtime.workers,
                           width=runtime.analysis_width)
    thumbnails = await audit_thumbnails(runtime, frames=frames, result=result)
    key = runtime.keys.current
    async with runtime.chain_lock:
        record = await append_decision(session, DecisionRecord(
            kind="check", senior_id=challenge.senior_id, session_id=challenge.id,
            overrides_id=None, outcome=result.verdict.outcome.value,
            reasons=result.verdict.reasons, scores=result.verdict.scores,
            thresholds=runtime.thresholds.as_dict(), versions=library_versions(),
            channel=challenge.channel, category=challenge.category, staff=challenge.staff,
            approved_by=None, note="", decided_at=now))
        session.add_all(AuditFrame(decision_id=record.id, key_id=key.key_id,
                                   sealed=seal_frame(key.audit_frames, jpeg,
                                                     decision_id=record.id),
                                   purge_after=now + timedelta(days=audit_days))
                        for jpeg in thumbnails)
        await act_on(session, record=record, today=now.date(), months=certification_months,
                     now=now)
        await accounts_service.record_audit(
            session, actor=actor, action="liveness.check", subject_type="senior",
            subject_id=str(challenge.senior_id), now=now,
            detail={"decision": record.id, "outcome": record.outcome})
        await session.commit()
    return record


async def audit_thumbnails(runtime: LivenessRuntime, *, frames: list[TimedFrame],
                           result: Analysis) -> list[bytes]:
    """At most two small frames of the attempt for disputes; never the video."""
    picks = list(dict.fromkeys((result.chosen_frames or [0, len(frames) - 1])[:2]))
    loop = asyncio.get_running_loop()
    small = await asyncio.gather(*(
        loop.run_in_executor(runtime.pool, imaging.thumbnail, frames[i].jpeg) for i in picks))
    return [jpeg for jpeg in small if jpeg is not None]


async def act_on(session: AsyncSession, *, record: DecisionRecord, today: date, months: int,
                 now: datetime) -> None:
    """A pass certifies; a fail or doubt opens a staff task first (a hold comes only later)."""
    if record.outcome == Outcome.PASS:
        await certify(session, senior_id=record.senior_id, category=record.category,
                      today=today, months=months, now=now)
        return
    kind = "call" if record.outcome == Outcome.REVIEW else "home_visit"
    await open_task(session, senior_id=record.senior_id, kind=kind,
                    reason=",".join(record.reasons)[:64] or record.outcome, now=now,
                    decision_id=record.id)


async def certify(session: AsyncSession, *, senior_id: int, category: str, today: date,
                  months: int, now: datetime) -> Certification:
    """Certified for ``months``; a payment held meanwhile becomes back-pay due."""
    row = await certification_row(session, senior_id=senior_id, category=category)
    row.certified_until = add_months(today, months)
    if row.held_since is not None:
        row.back_pay_due, row.back_pay_from, row.held_since = True, row.held_since, None
    for task in (await session.scalars(select(LivenessTask).where(
            LivenessTask.senior_id == senior_id, LivenessTask.done_at.is_(None)))).all():
        task.done_at = now
    await session.flush()
    return row


async def certification_row(session: AsyncSession, *, senior_id: int, category: str
                         ) -> Certification:
    row = await session.scalar(select(Certification).where(
        Certification.senior_id == senior_id, Certification.category == category))
    if row is None:
        row = Certification(senior_id=senior_id, category=category, back_pay_due=False)
        session.add(row)
    return row


async def get_decision(session: AsyncSession, decision_id: int) -> DecisionRecord:
    record = await session.get(DecisionRecord, decision_id)
    if record is None:
        raise DecisionNotFoundError(f"no liveness decision {decision_id}")
    return record


async def request_review(session: AsyncSession, *, decision_id: int, outcome: Outcome,
                         reason: str, staff: str, now: datetime) -> ReviewRequest:
    """The first pair of eyes: a proposed outcome with its reason, not yet in force."""
    await get_decision(session, decision_id)
    if not reason.strip():
        raise ReviewError("a review needs a reason")
    review = ReviewRequest(decision_id=decision_id, outcome=outcome.value, reason=reason.strip(),
                           requested_by=staff, requested_at=now)
    session.add(review)
    await session.flush()
    return review


async def approve_review(session: AsyncSession, *, review_id: int, staff: str, now: datetime,
                         certification_months: int) -> DecisionRecord:
    """The second pair of eyes: a different staff member puts the override in force."""
    review = await session.get(ReviewRequest, review_id)
    if review is None:
        raise ReviewError(f"no review request {review_id}")
    if review.approved_by is not None:
        raise ReviewError("this review has already been approved")
    if review.requested_by == staff:
        raise ReviewError("a second staff member must approve (four-eyes rule)")
    review.approved_by, review.approved_at = staff, now
    original = await get_decision(session, review.decision_id)
    record = await append_decision(session, DecisionRecord(
        kind="override", senior_id=original.senior_id, session_id=original.session_id,
        overrides_id=original.id, outcome=review.outcome, reasons=["staff_override"],
        scores=original.scores, thresholds=original.thresholds, versions=original.versions,
        channel=original.channel, category=original.category, staff=review.requested_by,
        approved_by=staff, note=review.reason, decided_at=now))
    await act_on(session, record=record, today=now.date(), months=certification_months, now=now)
    return record


async def verify_chain(session: AsyncSession) -> int | None:
    records = (await session.scalars(select(DecisionRecord).order_by(DecisionRecord.id))).all()
    return chain.first_broken(records)


async def purge_audit_frames(session: AsyncSession, *, now: datetime) -> int:
    frames = (await session.scalars(select(AuditFrame).where(AuditFrame.purge_after <= now))
              ).all()
    for frame in frames:
        await session.delete(frame)
    await session.execute(delete(CaptureLinkUse).where(CaptureLinkUse.expires_at <= now))
    await session.flush()
    return len(frames)


async def open_tasks(session: AsyncSession) -> Sequence[LivenessTask]:
    return (await session.scalars(select(LivenessTask).where(LivenessTask.done_at.is_(None))
                                  .order_by(LivenessTask.id))).all()


async def pending_reviews(session: AsyncSession) -> Sequence[ReviewRequest]:
    return (await session.scalars(select(ReviewRequest).where(ReviewRequest.approved_by.is_(None))
                                  .order_by(ReviewRequest.id))).all()


async def finish_task(session: AsyncSession, *, task_id: int, now: datetime) -> LivenessTask:
    """A call made or a visit done without a certification: the senior may now be held."""
    task = await session.get(LivenessTask, task_id)
    if task is None or task.done_at is not None:
        raise ReviewError(f"no open liveness task {task_id}")
    task.done_at = now
    await session.flush()
    return task
