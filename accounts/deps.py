"""Who is calling: bearer token or session cookie, and role checks for routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, status
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from accounts import service
from accounts.exceptions import AuthenticationError
from accounts.models import StaffUser
from accounts.roles import Role
from config.settings import Settings
from runtime.deps import RuntimeDep, SessionDep
from runtime.scope import current_scope, enter_scope, scoped

SESSION_COOKIE = "anxin_session"

# What a path names (senior_id, alarm_id, …) must be in the caller's areas before a route
# that checks roles (require_roles) runs: each guard, registered by the app, raises that
# record's own 404 when it is missing or outside them, so a route added later with such a
# parameter is covered too.
PathGuard = Callable[[AsyncSession, str], Awaitable[None]]
PATH_GUARDS: dict[str, PathGuard] = {}


def login_policy(settings: Settings) -> service.LoginPolicy:
    return service.LoginPolicy(
        max_failures=settings.login_max_failures,
        lock_for=timedelta(minutes=settings.login_lock_minutes),
        failure_delay_seconds=settings.login_failure_delay_seconds,
        session_lifetime=timedelta(hours=settings.session_hours),
    )


def presented_token(connection: HTTPConnection) -> str | None:
    """The bearer token from the Authorization header, else from the session cookie."""
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return connection.cookies.get(SESSION_COOKIE) or None


async def current_user(
    connection: HTTPConnection, runtime: RuntimeDep, session: SessionDep
) -> StaffUser:
    token = presented_token(connection)
    if token is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not logged in",
                            headers={"WWW-Authenticate": "Bearer"})
    try:
        user = await service.user_for_token(session, token=token, now=runtime.clock.now())
    except AuthenticationError as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error),
                            headers={"WWW-Authenticate": "Bearer"}) from error
    # The one place scope is applied: every query of the rest of this request sees only the
    # caller's areas (storage/scope.py), and a 404 names who asked (dashboard/errors.py).
    memberships = (await service.memberships_of(session, [user.id]))[user.id]
    enter_scope(service.scope_where(user, memberships))
    connection.state.staff_username = user.username
    connection.state.memberships = memberships
    # End the read so the request gives its pooled connection back while it waits elsewhere
    # (the routing desk's lock, a worker): twenty desks waiting with one connection each
    # exhausted the pool, and the lock's holder could not get one.
    await session.commit()
    return user


CurrentUser = Annotated[StaffUser, Depends(current_user)]


async def guard_path(connection: HTTPConnection, session: AsyncSession) -> None:
    """After the role check (a role that may not act still gets its 403): the records the
    path names must be in the caller's areas."""
    for name, value in connection.path_params.items():
        guard = PATH_GUARDS.get(name)
        if guard is not None:
            await guard(session, str(value))


def require_roles(roles: Iterable[Role]
                  ) -> Callable[[StaffUser, HTTPConnection, AsyncSession], Awaitable[StaffUser]]:
    """A dependency that lets in staff holding one of the given roles (or admin) in some
    centre, and answers 403 to the rest. The rest of the request sees only the centres where
    the role holds; a record the path names in another of the caller's centres gets a 403
    (their role there may not do this), one in none of them its 404."""
    allowed = frozenset(roles) | {Role.ADMIN}

    async def check(user: CurrentUser, connection: HTTPConnection,
                    session: SessionDep) -> StaffUser:
        memberships: list[service.Membership] = connection.state.memberships
        held = service.scope_where(user, memberships, allowed)
        if held.prefixes is not None and not held.prefixes:
            raise HTTPException(status.HTTP_403_FORBIDDEN, _refusal(user, memberships, allowed))
        seen = current_scope()
        enter_scope(held)
        try:
            await guard_path(connection, session)
        except HTTPException as missing:
            if missing.status_code != status.HTTP_404_NOT_FOUND or held == seen:
                raise
            with scoped(seen):
                await guard_path(connection, session)  # not theirs at all: its own 404
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                _refusal(user, memberships, allowed, here=True)) from None
        # Give the pooled connection back again: the route's flow opens its own session, and
        # forty requests holding one each while asking for a second emptied the pool.
        await session.commit()
        return user

    return check


def _refusal(user: StaffUser, memberships: Sequence[service.Membership],
             allowed: frozenset[Role], *, here: bool = False) -> str:
    roles = sorted({m.role for m in memberships}) or [user.role]
    where = " in the centre this record belongs to" if here else ""
    return (f"role {'/'.join(repr(r) for r in roles)}{where} may not do this; needs one of "
            f"{', '.join(sorted(allowed))}")
