"""HTTP routes for proof-of-life: enrolment, sessions, frames, reviews, roster and holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Query, UploadFile, status
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from config.settings import Settings
from liveness import capture, service
from liveness import roster as roster_service
from liveness.actions import ACTIONS, Action, script_for
from liveness.events import announce_decision
from liveness.exceptions import (
    ConsentMissingError,
    DecisionNotFoundError,
    FramesRefusedError,
    LinkExpiredError,
    LivenessError,
    NotEnrolledError,
    PhotoRefusedError,
    RateLimitedError,
    ReviewError,
    SessionNotFoundError,
    SessionRefusedError,
    TemplateKeyError,
)
from liveness.image_format import PHOTO_LIMITS
from liveness.imaging import PhotoRules, TimedFrame
from liveness.links import CaptureLink, read_link, retry_link, sign_link
from liveness.models import ChallengeSession, DecisionRecord
from liveness.runtime import LivenessDep, LivenessRuntime
from liveness.schemas import (
    CaptureRequestIn,
    CaptureResultOut,
    CaptureStatusOut,
    ChainOut,
    DecisionOut,
    EnrolmentOut,
    FramesIn,
    LinkIn,
    LinkOut,
    ReviewIn,
    ReviewOut,
    RosterFilter,
    RosterPageOut,
    RosterRowOut,
    SessionIn,
    SessionOut,
    StepOut,
    TaskOut,
)
from runtime.context import Runtime
from runtime.csv_export import CsvExport, CsvResponse
from runtime.deps import RuntimeDep, SessionDep
from seniors import service as seniors_service
from seniors.exceptions import SeniorNotFoundError
from storage.bounds import Limit, Offset, RowId

router = APIRouter(prefix="/api/v1/liveness", tags=["liveness"])
# The camera page's own calls (the page itself is served by dashboard/pages.py).
pages = APIRouter(include_in_schema=False)
LIVENESS_STAFF = (Role.SUBSIDY_STAFF, Role.SUPERVISOR)
Staff = Annotated[StaffUser, Depends(require_roles(LIVENESS_STAFF))]
Supervisor = Annotated[StaffUser, Depends(require_roles((Role.SUPERVISOR,)))]

_STATUS: list[tuple[type[Exception], int]] = [
    (SeniorNotFoundError, status.HTTP_404_NOT_FOUND),
    (SessionNotFoundError, status.HTTP_404_NOT_FOUND),
    (DecisionNotFoundError, status.HTTP_404_NOT_FOUND),
    (ConsentMissingError, status.HTTP_409_CONFLICT),
    (NotEnrolledError, status.HTTP_409_CONFLICT),
    (SessionRefusedError, status.HTTP_409_CONFLICT),
    (ReviewError, status.HTTP_409_CONFLICT),
    (PhotoRefusedError, 422),
    (FramesRefusedError, 422),
    (RateLimitedError, status.HTTP_429_TOO_MANY_REQUESTS),
    (TemplateKeyError, status.HTTP_500_INTERNAL_SERVER_ERROR),
]
TOO_MANY_FAILURES: dict[str, Any] = {
    "description": "Too many failed checks for this senior; the answer says when to try again"}


def http_error(error: Exception) -> HTTPException:
    """The one place where domain errors become HTTP answers."""
    code = next((c for kind, c in _STATUS if isinstance(error, kind)), 400)
    return HTTPException(code, str(error))


def _limit(settings: Settings) -> service.RateLimit:
    return service.RateLimit(settings.liveness_max_failures,
                             timedelta(minutes=settings.liveness_failure_window_minutes),
                             timedelta(minutes=settings.liveness_cooloff_minutes))


@router.post("/seniors/{senior_id}/enrolment", status_code=201)
async def enrol(senior_id: RowId, photos: Annotated[list[UploadFile], File()], user: Staff,
                runtime: RuntimeDep, liveness: LivenessDep, session: SessionDep) -> EnrolmentOut:
    """Replace the senior's face templates with those of 1–5 usable photos."""
    now = runtime.clock.now()
    # One byte past the limit is enough to refuse a photo as too large.
    data = [await photo.read(PHOTO_LIMITS.max_bytes + 1) for photo in photos]
    try:
        rows = await service.enrol(session, liveness, senior_id=senior_id, photos=data,
                                   staff=user.username, now=now, rules=PhotoRules())
    except SeniorNotFoundError as error:
        raise http_error(error) from error
    except LivenessError as error:
        await session.commit()  # keep the home-visit task offered without consent
        raise http_error(error) from error
    await accounts_service.record_audit(
        session, actor=user.username, action="liveness.enrol", subject_type="senior",
        subject_id=str(senior_id), now=now, detail={"photos": len(rows)})
    await session.commit()
    return EnrolmentOut(senior_id=senior_id, templates=len(rows),
                        photo_sha256=[row.photo_sha256 for row in rows])


def _session_out(challenge: ChallengeSession) -> SessionOut:
    steps = script_for([Action(a) for a in challenge.actions])
    return SessionOut(id=challenge.id, nonce=challenge.nonce, senior_id=challenge.senior_id,
                      expires_at=challenge.expires_at, steps=[
                          StepOut(action=s.action.value, prompt_zh=ACTIONS[s.action].prompt_zh,
                                  prompt_en=ACTIONS[s.action].prompt_en, starts_at=s.starts_at,
                                  ends_at=s.ends_at) for s in steps])


@router.post("/sessions", status_code=201, responses={429: TOO_MANY_FAILURES})
async def start_session(body: SessionIn, user: Staff, runtime: RuntimeDep, session: SessionDep
                        ) -> SessionOut:
    """A one-time challenge: id, nonce, expiry and a random script of 2–3 actions."""
    settings, now = runtime.settings, runtime.clock.now()
    try:
        challenge = await service.start_session(
            session, senior_id=body.senior_id, channel=body.channel, category=body.category,
            staff=user.username, now=now,
            lifetime=timedelta(minutes=settings.liveness_session_minutes), limit=_limit(settings))
    except SeniorNotFoundError as error:
        raise http_error(error) from error
    except LivenessError as error:
        await session.commit()
        raise http_error(error) from error
    await accounts_service.record_audit(
        session, actor=user.username, action="liveness.session", subject_type="senior",
        subject_id=str(body.senior_id), now=now, detail={"session": challenge.id})
    await session.commit()
    return _session_out(challenge)


async def _check(session: AsyncSession, runtime: Runtime, liveness: LivenessRuntime, *,
                 session_id: str, body: FramesIn, actor: str,
                 link: CaptureLink | None = None) -> DecisionRecord:
    """Spend the session (and its link), analyse its frames, record (audited) and announce the
    decision."""
    settings, now = runtime.settings, runtime.clock.now()
    try:
        challenge = await service.claim_session(session, session_id=session_id,
                                                nonce=body.nonce, now=now, link=link)
        await session.commit()
        record = await service.run_check(
            session, liveness, challenge=challenge,
            frames=[TimedFrame(f.t, f.jpeg) for f in body.frames], now=now,
            audit_days=settings.liveness_audit_frame_days,
            certification_months=settings.liveness_certification_months, actor=actor)
    except LivenessError as error:
        raise http_error(error) from error
    announce_decision(runtime.bus, record)
    return record


@router.post("/sessions/{session_id}/frames")
async def submit_frames(session_id: str, body: FramesIn, user: Staff, runtime: RuntimeDep,
                        liveness: LivenessDep, session: SessionDep) -> DecisionOut:
    """Frames bound to the session's nonce; the session is spent by this call."""
    record = await _check(session, runtime, liveness, session_id=session_id, body=body,
                          actor=user.username)
    return DecisionOut.model_validate(record)


@router.post("/links", status_code=201)
async def create_link(body: LinkIn, user: Staff, runtime: RuntimeDep, liveness: LivenessDep,
                      session: SessionDep) -> LinkOut:
    """A signed link to the capture page for the kiosk or the senior's own phone."""
    now = runtime.clock.now()
    try:
        await service.require_consent(session, senior_id=body.senior_id, now=now)
    except SeniorNotFoundError as error:
        raise http_error(error) from error
    except LivenessError as error:
        await session.commit()
        raise http_error(error) from error
    expires = now + timedelta(minutes=runtime.settings.liveness_link_minutes)
    token = sign_link(liveness.link_key, CaptureLink(body.senior_id, body.channel,
                                                     user.username, expires))
    await accounts_service.record_audit(
        session, actor=user.username, action="liveness.link", subject_type="senior",
        subject_id=str(body.senior_id), now=now, detail={"channel": body.channel})
    await session.commit()
    return LinkOut(url=f"/liveness/capture?token={token}", expires_at=expires)


def _link(token: str, runtime: Runtime, liveness: LivenessRuntime) -> CaptureLink:
    try:
        return read_link(liveness.link_key, token, now=runtime.clock.now())
    except (LivenessError, ValueError, KeyError) as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error) or "invalid link") from error


# The capture routes are authorised by the signed link instead of a staff role: the senior's
# phone has no staff log-in. The link names the staff member who sent it, who is audited.
# They live beside the page, outside /api/, where every route needs a staff log-in.
@pages.post("/liveness/capture/{token}/sessions", status_code=201,
            responses={429: TOO_MANY_FAILURES})
async def capture_session(token: str, runtime: RuntimeDep, liveness: LivenessDep,
                          session: SessionDep) -> SessionOut:
    link = _link(token, runtime, liveness)
    settings, now = runtime.settings, runtime.clock.now()
    try:
        challenge = await service.start_session(
            session, senior_id=link.senior_id, channel=link.channel, category=None,
            staff=link.staff, now=now,
            lifetime=timedelta(minutes=settings.liveness_session_minutes), limit=_limit(settings),
            link=link)
    except LivenessError as error:
        await session.commit()
        raise http_error(error) from error
    await session.commit()
    return _session_out(challenge)


@pages.post("/liveness/capture/{token}/sessions/{session_id}/frames")
async def capture_frames(token: str, session_id: str, body: FramesIn, runtime: RuntimeDep,
                         liveness: LivenessDep, session: SessionDep) -> CaptureResultOut:
    """The check; a failed one with tries left hands back the next try's link."""
    link = _link(token, runtime, liveness)
    record = await _check(session, runtime, liveness, session_id=session_id, body=body,
                          actor=f"link:{link.staff}", link=link)
    attempts = runtime.settings.liveness_link_attempts
    retry = None
    if record.outcome == "fail" and link.attempt < attempts:
        retry = sign_link(liveness.link_key, retry_link(link))
    return CaptureResultOut(decision_id=record.id, outcome=record.outcome,
                            reasons=record.reasons, attempt=link.attempt, attempts=attempts,
                            retry_token=retry)


@pages.get("/liveness/capture/{token}/status")
async def capture_status(token: str, runtime: RuntimeDep, liveness: LivenessDep,
                         session: SessionDep) -> CaptureStatusOut:
    """Where the link stands (ready, or why not), before the camera opens; changes nothing."""
    settings, now = runtime.settings, runtime.clock.now()
    attempts = settings.liveness_link_attempts
    try:
        link = read_link(liveness.link_key, token, now=now)
    except LinkExpiredError:
        return CaptureStatusOut(state=capture.LinkState.EXPIRED, attempts=attempts)
    except (LivenessError, ValueError, KeyError):
        return CaptureStatusOut(state=capture.LinkState.INVALID, attempts=attempts)
    found = await capture.standing(session, link=link, now=now, limit=_limit(settings))
    return CaptureStatusOut(state=found.state, attempt=link.attempt, attempts=attempts,
                            expires_at=link.expires_at, retry_after=found.retry_after)


@pages.post("/liveness/capture/{token}/requests", status_code=201)
async def capture_request(token: str, body: CaptureRequestIn, runtime: RuntimeDep,
                          liveness: LivenessDep, session: SessionDep) -> TaskOut:
    """The senior asks for a phone call or a home visit instead: a task for subsidy staff
    (one open task per kind), audited under the staff member who sent the link."""
    link = _link(token, runtime, liveness)
    now = runtime.clock.now()
    task = await capture.ask_for_staff(session, link=link, kind=body.kind, now=now)
    await accounts_service.record_audit(
        session, actor=f"link:{link.staff}", action="liveness.request", subject_type="senior",
        subject_id=str(link.senior_id), now=now, detail={"task": task.id, "kind": body.kind})
    await session.commit()
    return TaskOut.model_validate(task)


@router.post("/decisions/{decision_id}/reviews", status_code=201)
async def request_review(decision_id: RowId, body: ReviewIn, user: Staff, runtime: RuntimeDep,
                         session: SessionDep) -> ReviewOut:
    """Propose another outcome with a reason; a second staff member must approve it."""
    now = runtime.clock.now()
    try:
        review = await service.request_review(session, decision_id=decision_id,
                                              outcome=body.outcome, reason=body.reason,
                                              staff=user.username, now=now)
    except LivenessError as error:
        raise http_error(error) from error
    decision = await service.get_decision(session, decision_id)
    await accounts_service.record_audit(
        session, actor=user.username, action="liveness.review", subject_type="senior",
        subject_id=str(decision.senior_id), now=now, detail={"decision": decision_id})
    await session.commit()
    return ReviewOut.model_validate(review)


@router.post("/reviews/{review_id}/approve")
async def approve_review(review_id: RowId, user: Staff, runtime: RuntimeDep, liveness: LivenessDep,
                         session: SessionDep) -> DecisionOut:
    now = runtime.clock.now()
    async with liveness.chain_lock:
        try:
            record = await service.approve_review(
                session, review_id=review_id, staff=user.username, now=now,
                certification_months=runtime.settings.liveness_certification_months)
        except LivenessError as error:
            raise http_error(error) from error
        await accounts_service.record_audit(
            session, actor=user.username, action="liveness.override", subject_type="senior",
            subject_id=str(record.senior_id), now=now, detail={"decision": record.id})
        await session.commit()
    return DecisionOut.model_validate(record)


@router.get("/tasks")
async def open_tasks(user: Staff, session: SessionDep) -> list[TaskOut]:
    """Calls and home visits waiting for subsidy staff, each with the senior's name."""
    tasks = await service.open_tasks(session)
    names = await seniors_service.names_of(session, sorted({task.senior_id for task in tasks}))
    return [TaskOut.model_validate(task).model_copy(update={"senior_name": names.get(
        task.senior_id)}) for task in tasks]


@router.post("/tasks/{task_id}/done")
async def finish_task(task_id: RowId, user: Staff, runtime: RuntimeDep, session: SessionDep
                      ) -> TaskOut:
    """Close a call or visit that did not end in a certification."""
    now = runtime.clock.now()
    try:
        task = await service.finish_task(session, task_id=task_id, now=now)
    except LivenessError as error:
        raise http_error(error) from error
    await accounts_service.record_audit(
        session, actor=user.username, action="liveness.task_done", subject_type="senior",
        subject_id=str(task.senior_id), now=now, detail={"task": task.id})
    await session.commit()
    return TaskOut.model_validate(task)


@router.get("/reviews")
async def pending_reviews(user: Staff, session: SessionDep) -> list[ReviewOut]:
    """Proposed overrides waiting for a second staff member."""
    return [ReviewOut.model_validate(r) for r in await service.pending_reviews(session)]


@router.get("/chain")
async def verify_chain(user: Supervisor, session: SessionDep) -> ChainOut:
    """Whether every decision record still matches its hash and its predecessor."""
    broken = await service.verify_chain(session)
    return ChainOut(intact=broken is None, first_broken_id=broken)


@router.get("/roster")
async def roster(user: Staff, runtime: RuntimeDep, session: SessionDep,
                 district: Annotated[str | None, Query(max_length=64)] = None,
                 ) -> list[RosterRowOut]:
    """The roster, of one district when ``district`` is given."""
    rows = await roster_service.roster(session, today=runtime.clock.now().date(),
                                       due_soon_days=runtime.settings.liveness_due_soon_days,
                                       district=district)
    return [RosterRowOut.model_validate(row) for row in rows]


@router.get("/roster/page")
async def roster_page(user: Staff, runtime: RuntimeDep, session: SessionDep,
                      show: RosterFilter = "all", limit: Limit = 25,
                      offset: Offset = 0,
                      district: Annotated[str | None, Query(max_length=64)] = None,
                      ) -> RosterPageOut:
    """The roster a page at a time under one filter (due soon, overdue, held, no biometric
    consent, no enrolment), with the count behind every filter; of one district if given."""
    rows = await roster_service.roster(session, today=runtime.clock.now().date(),
                                       due_soon_days=runtime.settings.liveness_due_soon_days,
                                       district=district)
    counts = {name: sum(1 for row in rows if test(row))
              for name, test in roster_service.ROSTER_FILTERS.items()}
    shown = [row for row in rows if roster_service.ROSTER_FILTERS[show](row)]
    return RosterPageOut(show=show, total=len(shown), counts=counts, items=[
        RosterRowOut.model_validate(row) for row in shown[offset:offset + limit]])


CSV_HEADER = ["senior_id", "name", "category", "certified_until", "standing", "under_review",
              "held_since", "back_pay_due"]


def _csv(rows: Sequence[roster_service.RosterRow], filename: str) -> Response:
    export = CsvExport()
    export.row(CSV_HEADER)
    for row in rows:
        export.row([row.senior_id, row.name, row.category, row.certified_until or "",
                    row.standing.value, int(row.under_review), row.held_since or "",
                    int(row.back_pay_due)])
    return export.response(filename)


@router.get("/roster.csv", response_class=CsvResponse)
async def roster_csv(user: Staff, runtime: RuntimeDep, session: SessionDep) -> Response:
    rows = await roster_service.roster(session, today=runtime.clock.now().date(),
                                due_soon_days=runtime.settings.liveness_due_soon_days)
    return _csv(rows, "liveness-roster.csv")


@router.get("/holds.csv", response_class=CsvResponse)
async def holds_csv(user: Staff, runtime: RuntimeDep, session: SessionDep) -> Response:
    """The payment hold list for finance: overdue and not under review."""
    now = runtime.clock.now()
    rows = await roster_service.payment_holds(session, today=now.date(),
                                       due_soon_days=runtime.settings.liveness_due_soon_days)
    await accounts_service.record_audit(
        session, actor=user.username, action="liveness.holds", subject_type="liveness",
        subject_id=None, now=now, detail={"held": len(rows)})
    await session.commit()
    return _csv(rows, "payment-holds.csv")
