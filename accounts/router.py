"""HTTP routes: log in and out, who am I, staff accounts, the audit log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import audit_names, events, service
from accounts.deps import SESSION_COOKIE, CurrentUser, login_policy, presented_token, require_roles
from accounts.exceptions import AuthenticationError, StaffNotFoundError, UsernameTakenError
from accounts.models import AuditEntry, StaffUser
from accounts.roles import AUDIT_READERS, STAFF_ADMINS
from accounts.runtime import AccountsDep
from accounts.schemas import (
    AuditOut,
    CentreOut,
    LoginRequest,
    LoginResponse,
    MembershipOut,
    MembershipsIn,
    SessionsEnded,
    StaffCreate,
    StaffOut,
    StaffUpdate,
)
from areas import service as areas_service
from areas.exceptions import CentreNotFoundError
from runtime.context import Runtime
from runtime.csv_export import CsvExport, CsvResponse
from runtime.deps import RuntimeDep, SessionDep
from runtime.problems import Refusal
from runtime.times import QueryTime
from storage.bounds import MAX_LIMIT, Limit, Offset, RowId

router = APIRouter(prefix="/api/v1", tags=["accounts"])
Admin = Annotated[StaffUser, Depends(require_roles(STAFF_ADMINS))]
AuditReader = Annotated[StaffUser, Depends(require_roles(AUDIT_READERS))]


@router.post("/auth/login", response_model=LoginResponse, responses={
    401: {"description": "Refused: the same answer for every reason"},
    429: {"description": "Too many log-ins from this address; see Retry-After"},
})
async def login(
    body: LoginRequest, request: Request, response: Response, runtime: RuntimeDep,
    accounts: AccountsDep, session: SessionDep,
) -> LoginResponse:
    """Exchange a username and password for a bearer token and a session cookie."""
    now = runtime.clock.now()
    address = request.client.host if request.client else "unknown"
    wait = accounts.throttle.take(address, now=now.timestamp())
    if wait > 0:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            "too many log-ins from this address; try again later",
                            headers={"Retry-After": accounts.throttle.retry_after(wait)})
    policy = login_policy(runtime.settings)
    try:
        user = await service.authenticate(
            session, username=body.username, password=body.password, address=address, now=now,
            policy=policy, hashing=accounts.hashing,
        )
    except AuthenticationError as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from error
    token, expires_at = await service.open_session(session, user=user, now=now, policy=policy)
    await service.record_audit(session, actor=user.username, action="auth.login",
                               subject_type="staff", subject_id=str(user.id), now=now,
                               detail={"address": address})
    await session.commit()
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="strict", path="/",
        secure=runtime.settings.cookie_secure, max_age=int(policy.session_lifetime.total_seconds()),
    )
    return LoginResponse(access_token=token, expires_at=expires_at,
                         user=StaffOut.model_validate(user))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    request: Request, response: Response, user: CurrentUser, session: SessionDep,
    runtime: RuntimeDep,
) -> None:
    """End the current session; the user's open live feeds close."""
    token = presented_token(request)
    if token:
        await service.close_session(session, token=token)
        await session.commit()
        events.publish_session_ended(runtime.bus, user_id=user.id)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/auth/me", response_model=StaffOut)
async def me(user: CurrentUser) -> StaffUser:
    """The logged-in staff member."""
    return user


@router.get("/staff")
async def list_staff(user: Admin, runtime: RuntimeDep, session: SessionDep) -> list[StaffOut]:
    """Every staff account, and whether some address is locked out of it (admin only)."""
    now = runtime.clock.now()
    staff = await service.list_users(session)
    centres = await service.memberships_of(session, [member.id for member in staff])
    return [StaffOut.model_validate(member).model_copy(update={
        "locked": await service.is_locked(session, username=member.username, now=now),
        "centres": _centres_out(centres[member.id])})
        for member in staff]


def _centres_out(memberships: Sequence[service.Membership]) -> list[MembershipOut]:
    return [MembershipOut.model_validate(m) for m in memberships]


@router.get("/centres")
async def list_centres(user: Admin, session: SessionDep) -> list[CentreOut]:
    """Every centre, in words, for choosing where staff work (admin only)."""
    return [CentreOut.model_validate(c) for c in await areas_service.centres(session)]


@router.put("/staff/{staff_id}/centres", responses={
    404: {"description": "No such account"},
    409: {"description": "Admins cannot change their own centres"},
    422: {"description": "No centre, a centre twice, or an unknown centre"},
})
async def set_staff_centres(body: MembershipsIn, target: Target, user: Admin,
                            runtime: RuntimeDep, session: SessionDep) -> StaffOut:
    """Set the centres an account works for and its role in each (admin only; audited).
    Open live feeds of the account re-check it at once."""
    if target.id == user.id:
        raise HTTPException(status.HTTP_409_CONFLICT, "you cannot change your own centres")
    before = (await service.memberships_of(session, [target.id]))[target.id]
    try:
        after = await service.set_memberships(
            session, user=target, centres=[(c.centre, c.role) for c in body.centres])
    except (ValueError, CentreNotFoundError) as error:
        await session.rollback()
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    await _audit_change(session, runtime, admin=user, target=target, action="staff.centres",
                        detail={"from": {m.centre_slug: m.role for m in before},
                                "to": {m.centre_slug: m.role for m in after}})
    await session.commit()
    events.publish_session_ended(runtime.bus, user_id=target.id)
    return StaffOut.model_validate(target).model_copy(update={"centres": _centres_out(after)})


async def _staff(admin: Admin, session: SessionDep, staff_id: RowId) -> StaffUser:
    """The account the route acts on; the admin check comes first, so strangers learn no ids."""
    try:
        return await service.get_user(session, staff_id)
    except StaffNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


Target = Annotated[StaffUser, Depends(_staff)]


async def _audit_change(session: AsyncSession, runtime: Runtime, *, admin: StaffUser,
                        target: StaffUser, action: str,
                        detail: dict[str, object] | None = None) -> None:
    """The audit entry of an admin's change to a staff account."""
    await service.record_audit(session, actor=admin.username, action=action,
                               subject_type="staff", subject_id=str(target.id),
                               now=runtime.clock.now(), detail=detail)


@router.post("/staff/{staff_id}/unlock", responses={404: {"description": "No such account"}})
async def unlock_staff(target: Target, user: Admin, runtime: RuntimeDep,
                       session: SessionDep) -> StaffOut:
    """Lift every log-in lock and failure count of the account (admin only; audited)."""
    lifted = await service.unlock(session, user=target)
    await _audit_change(session, runtime, admin=user, target=target, action="staff.unlock",
                        detail={"locks": lifted})
    await session.commit()
    return StaffOut.model_validate(target)


@router.post("/staff/{staff_id}/disable", responses={
    404: {"description": "No such account"},
    409: {"description": "Admins cannot disable themselves"},
})
async def disable_staff(target: Target, user: Admin, runtime: RuntimeDep,
                        session: SessionDep) -> StaffOut:
    """Disable the account and end all its sessions at once (admin only; audited)."""
    if target.id == user.id:
        raise Refusal(status.HTTP_409_CONFLICT, "own_account",
                      detail="you cannot disable your own account")
    ended = await service.set_active(session, user=target, active=False)
    await _audit_change(session, runtime, admin=user, target=target, action="staff.disable",
                        detail={"sessions_ended": ended})
    await session.commit()
    events.publish_session_ended(runtime.bus, user_id=target.id)  # open feeds close at once
    return StaffOut.model_validate(target)


@router.post("/staff/{staff_id}/enable", responses={404: {"description": "No such account"}})
async def enable_staff(target: Target, user: Admin, runtime: RuntimeDep,
                       session: SessionDep) -> StaffOut:
    """Let a disabled account log in again (admin only; audited)."""
    await service.set_active(session, user=target, active=True)
    await _audit_change(session, runtime, admin=user, target=target, action="staff.enable")
    await session.commit()
    return StaffOut.model_validate(target)


@router.patch("/staff/{staff_id}", responses={
    404: {"description": "No such account"},
    409: {"description": "Admins cannot change their own role"},
})
async def update_staff(body: StaffUpdate, target: Target, user: Admin, runtime: RuntimeDep,
                       session: SessionDep) -> StaffOut:
    """Change an account's display name or role (admin only; audited). Open live feeds of the
    account re-check it at once, so a new role takes effect everywhere."""
    if body.role is not None and target.id == user.id and body.role != user.role:
        raise HTTPException(status.HTTP_409_CONFLICT, "you cannot change your own role")
    changed = await service.update_user(session, user=target, display_name=body.display_name,
                                        role=body.role)
    if changed:
        await _audit_change(session, runtime, admin=user, target=target, action="staff.update",
                            detail=changed)
    await session.commit()
    if "role" in changed:
        events.publish_session_ended(runtime.bus, user_id=target.id)
    return StaffOut.model_validate(target)


@router.post("/staff/{staff_id}/sessions/revoke", responses={
    404: {"description": "No such account"}})
async def revoke_staff_sessions(target: Target, user: Admin, runtime: RuntimeDep,
                                session: SessionDep) -> SessionsEnded:
    """Sign the account out everywhere; it may log in again (admin only; audited)."""
    ended = await service.end_sessions(session, user=target)
    await _audit_change(session, runtime, admin=user, target=target, action="staff.revoke_sessions",
                        detail={"sessions_ended": ended})
    await session.commit()
    events.publish_session_ended(runtime.bus, user_id=target.id)
    return SessionsEnded(sessions_ended=ended)


@router.post("/staff", response_model=StaffOut, status_code=status.HTTP_201_CREATED)
async def create_staff(
    body: StaffCreate, user: Admin, runtime: RuntimeDep, session: SessionDep
) -> StaffUser:
    """Create a staff account (admin only)."""
    now = runtime.clock.now()
    try:
        created = await service.create_user(
            session, username=body.username, display_name=body.display_name, role=body.role,
            password=body.password, now=now,
        )
    except UsernameTakenError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    await service.record_audit(session, actor=user.username, action="staff.create",
                               subject_type="staff", subject_id=str(created.id), now=now,
                               detail={"role": body.role.value})
    await session.commit()
    return created


def audit_filter(
    subject_type: str | None = None,
    subject_id: str | None = None,
    actor: str | None = None,
    action: Annotated[str | None, Query(description="an action, or its family: liveness")] = None,
    since: Annotated[QueryTime | None, Query(description="from this time (with a zone)")] = None,
    until: Annotated[QueryTime | None, Query(description="before this time (with a zone)")] = None,
) -> service.AuditFilter:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                f"{name} needs a time zone, e.g. 2026-01-05T00:00:00+08:00")
    if since is not None and until is not None and until <= since:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "until must be after since")
    return service.AuditFilter(subject_type=subject_type, subject_id=subject_id, actor=actor,
                               action=action, since=since, until=until)


AuditFilterDep = Annotated[service.AuditFilter, Depends(audit_filter)]


async def _named(session: SessionDep, entries: Sequence[AuditEntry]) -> list[AuditOut]:
    names = await audit_names.names_for(session, entries)
    actors = await service.display_names(session, {entry.actor for entry in entries})
    return [AuditOut.model_validate(entry).model_copy(update={
        "subject_name": names.get((entry.subject_type, entry.subject_id or "")),
        "actor_name": actors.get(entry.actor, entry.actor)})
        for entry in entries]


@router.get("/audit", response_model=list[AuditOut])
async def audit_log(user: AuditReader, session: SessionDep, where: AuditFilterDep,
                    limit: Limit = 200, offset: Offset = 0) -> list[AuditOut]:
    """The newest audit entries, filtered by subject, actor, action and time (supervisor,
    admin); each subject named where its domain can name it."""
    entries = await service.list_audit(session, where=where, limit=limit, offset=offset)
    return await _named(session, entries)


AUDIT_CSV = ["at", "actor", "action", "subject_type", "subject_id", "subject_name", "detail"]


@router.get("/audit.csv", response_class=CsvResponse)
async def audit_csv(user: AuditReader, runtime: RuntimeDep, session: SessionDep,
                    where: AuditFilterDep) -> Response:
    """The filtered entries as CSV (at most 1,000, newest first); the export is audited."""
    rows = await _named(session, await service.list_audit(session, where=where,
                                                          limit=MAX_LIMIT))
    export = CsvExport()
    export.row(AUDIT_CSV)
    for row in rows:
        export.row([row.at.isoformat(), row.actor, row.action, row.subject_type,
                    row.subject_id or "", row.subject_name or "",
                    json.dumps(row.detail, ensure_ascii=False, sort_keys=True)])
    await service.record_audit(session, actor=user.username, action="audit.export",
                               subject_type="audit", subject_id=None,
                               now=runtime.clock.now(), detail={"rows": len(rows)})
    await session.commit()
    return export.response("anxin-audit.csv")

