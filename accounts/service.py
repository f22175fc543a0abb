"""Staff accounts: creating users, logging in with throttling, sessions, and the audit log."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.exceptions import AccountLockedError, AuthenticationError, UsernameTakenError
from accounts.models import AuditEntry, StaffSession, StaffUser
from accounts.passwords import DUMMY_HASH, hash_password, verify_password
from accounts.roles import Role


@dataclass(frozen=True)
class LoginPolicy:
    """How log-ins are throttled: each failure waits longer; enough failures lock the account."""

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)
    failure_delay_seconds: float = 0.5
    session_lifetime: timedelta = timedelta(hours=12)


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    now: datetime,
) -> StaffUser:
    user = StaffUser(
        username=username,
        display_name=display_name,
        role=role.value,
        password_hash=hash_password(password),
        active=True,
        failed_logins=0,
        created_at=now,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:
        raise UsernameTakenError(f"username {username!r} is already taken") from error
    return user


async def get_user_by_username(session: AsyncSession, username: str) -> StaffUser | None:
    result = await session.execute(select(StaffUser).where(StaffUser.username == username))
    return result.scalar_one_or_none()


async def list_users(session: AsyncSession) -> Sequence[StaffUser]:
    return (await session.execute(select(StaffUser).order_by(StaffUser.username))).scalars().all()


async def authenticate(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    now: datetime,
    policy: LoginPolicy,
) -> StaffUser:
    """The user, if the password is right and the account is neither locked nor disabled."""
    user = await get_user_by_username(session, username)
    if user is None:
        verify_password(DUMMY_HASH, password)
        await asyncio.sleep(policy.failure_delay_seconds)
        raise AuthenticationError("wrong username or password")
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLockedError(user.locked_until.isoformat())
    if not user.active or not verify_password(user.password_hash, password):
        await _record_failure(session, user, now=now, policy=policy)
        raise AuthenticationError("wrong username or password")
    user.failed_logins = 0
    user.locked_until = None
    return user


async def _record_failure(
    session: AsyncSession, user: StaffUser, *, now: datetime, policy: LoginPolicy
) -> None:
    user.failed_logins += 1
    failures = user.failed_logins
    if failures >= policy.max_failures:
        user.locked_until = now + policy.lock_for
        user.failed_logins = 0
    await record_audit(
        session, actor=user.username, action="auth.login_failed", subject_type="staff",
        subject_id=str(user.id), now=now, detail={"failures": failures},
    )
    await session.commit()
    # Each further failure in a row waits a little longer before it is answered.
    await asyncio.sleep(policy.failure_delay_seconds * failures)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    session: AsyncSession, *, user: StaffUser, now: datetime, policy: LoginPolicy
) -> tuple[str, datetime]:
    """A new bearer token for ``user`` and its expiry; only the token's hash is stored."""
    token = secrets.token_urlsafe(32)
    expires_at = now + policy.session_lifetime
    session.add(StaffSession(token_hash=_token_hash(token), user_id=user.id, created_at=now,
                             expires_at=expires_at))
    await session.flush()
    return token, expires_at


async def user_for_token(session: AsyncSession, *, token: str, now: datetime) -> StaffUser:
    result = await session.execute(
        select(StaffUser, StaffSession.expires_at)
        .join(StaffSession, StaffSession.user_id == StaffUser.id)
        .where(StaffSession.token_hash == _token_hash(token))
    )
    row = result.one_or_none()
    if row is None or row.expires_at <= now or not row.StaffUser.active:
        raise AuthenticationError("session missing or expired; log in again")
    user: StaffUser = row.StaffUser
    return user


async def close_session(session: AsyncSession, *, token: str) -> None:
    await session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


async def record_audit(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | None,
    now: datetime,
    detail: dict[str, object] | None = None,
) -> None:
    """Add one audit entry to the caller's transaction."""
    session.add(AuditEntry(at=now, actor=actor, action=action, subject_type=subject_type,
                           subject_id=subject_id, detail=detail or {}))


async def list_audit(
    session: AsyncSession,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    actor: str | None = None,
    limit: int = 200,
) -> Sequence[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if subject_type:
        query = query.where(AuditEntry.subject_type == subject_type)
    if subject_id:
        query = query.where(AuditEntry.subject_id == subject_id)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return (await session.execute(query)).scalars().all()
