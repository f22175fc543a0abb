"""HTTP routes: log in and out, who am I, staff accounts, the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status

from accounts import events, service
from accounts.deps import SESSION_COOKIE, CurrentUser, login_policy, presented_token, require_roles
from accounts.exceptions import AccountLockedError, AuthenticationError, UsernameTakenError
from accounts.models import StaffUser
from accounts.roles import AUDIT_READERS, STAFF_ADMINS
from accounts.schemas import AuditOut, LoginRequest, LoginResponse, StaffCreate, StaffOut
from runtime.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["accounts"])
Admin = Annotated[StaffUser, Depends(require_roles(STAFF_ADMINS))]
AuditReader = Annotated[StaffUser, Depends(require_roles(AUDIT_READERS))]


@router.post("/auth/login", response_model=LoginResponse)
async def login(
    body: LoginRequest, response: Response, runtime: RuntimeDep, session: SessionDep
) -> LoginResponse:
    """Exchange a username and password for a bearer token and a session cookie."""
    now = runtime.clock.now()
    policy = login_policy(runtime.settings)
    try:
        user = await service.authenticate(
            session, username=body.username, password=body.password, now=now, policy=policy
        )
    except AccountLockedError as error:
        raise HTTPException(status.HTTP_423_LOCKED, str(error)) from error
    except AuthenticationError as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from error
    token, expires_at = await service.open_session(session, user=user, now=now, policy=policy)
    await service.record_audit(session, actor=user.username, action="auth.login",
                               subject_type="staff", subject_id=str(user.id), now=now)
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


@router.get("/staff", response_model=list[StaffOut])
async def list_staff(user: Admin, session: SessionDep) -> list[StaffUser]:
    """Every staff account (admin only)."""
    return list(await service.list_users(session))


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


@router.get("/audit", response_model=list[AuditOut])
async def audit_log(
    user: AuditReader,
    session: SessionDep,
    subject_type: str | None = None,
    subject_id: str | None = None,
    actor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditOut]:
    """The newest audit entries, filtered by subject or actor (supervisor, admin)."""
    entries = await service.list_audit(session, subject_type=subject_type, subject_id=subject_id,
                                       actor=actor, limit=limit)
    return [AuditOut.model_validate(entry) for entry in entries]

