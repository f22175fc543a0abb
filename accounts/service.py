"""Staff accounts: creating users, logging in with throttling, sessions, and the audit log."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.exceptions import AuthenticationError, StaffNotFoundError, UsernameTakenError
from accounts.models import AuditEntry, CentreMember, LoginFailures, StaffSession, StaffUser
from accounts.passwords import DUMMY_HASH, PasswordWork, hash_password
from accounts.roles import Role
from areas import service as areas_service
from areas.codes import REGION
from areas.models import Centre
from runtime.scope import EVERYWHERE, AreaScope, current_scope

REGION_CENTRE = "region"  # the regional supervision centre every installation starts with


@dataclass(frozen=True)
class LoginPolicy:
    """How log-ins are throttled: each failure from an address waits longer; enough failures
    lock that username for that address."""

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)
    failure_delay_seconds: float = 0.5
    session_lifetime: timedelta = timedelta(hours=12)


# The one answer to every failed log-in: unknown user, wrong password, disabled or locked.
LOGIN_REFUSED = "wrong username or password, or too many failed log-ins; try again later"


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    now: datetime,
    centres: Sequence[str] = (REGION_CENTRE,),
) -> StaffUser:
    """A staff account working for ``centres`` (slugs) with ``role`` in each; its own area
    is its first centre's."""
    served = [await areas_service.centre_by_slug(session, slug) for slug in centres]
    user = StaffUser(
        username=username,
        display_name=display_name,
        role=role.value,
        password_hash=await asyncio.to_thread(hash_password, password),
        active=True,
        failed_logins=0,
        created_at=now,
        area_code=served[0].area_code if served else None,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:
        raise UsernameTakenError(f"username {username!r} is already taken") from error
    session.add_all(CentreMember(user_id=user.id, centre_id=centre.id, role=role.value)
                    for centre in served)
    await session.flush()
    return user


@dataclass(frozen=True, slots=True)
class Membership:
    """One centre a staff member works for, and their role there."""

    centre_slug: str
    name_zh: str
    name_en: str
    area_code: str
    role: str


async def memberships_of(session: AsyncSession, user_ids: Iterable[int]
                         ) -> dict[int, list[Membership]]:
    """Each account's centres with its role in each: its own first (the centre of its area,
    as set_memberships made it), then in centre order."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(CentreMember.user_id, CentreMember.role, Centre.id, Centre.slug, Centre.name_zh,
               Centre.name_en, Centre.area_code, StaffUser.area_code.label("own_area"))
        .join(Centre, Centre.id == CentreMember.centre_id)
        .join(StaffUser, StaffUser.id == CentreMember.user_id)
        .where(CentreMember.user_id.in_(wanted))
        .execution_options(everywhere=True))
    found: dict[int, list[Membership]] = {user_id: [] for user_id in wanted}
    for row in sorted(rows, key=lambda row: (row.area_code != row.own_area, row.id)):
        found[row.user_id].append(Membership(row.slug, row.name_zh, row.name_en,
                                             row.area_code, row.role))
    return found


def scope_where(user: StaffUser, memberships: Sequence[Membership],
                roles: Iterable[str] | None = None) -> AreaScope:
    """The areas ``user`` may see (every area for an admin), or only those of the centres
    where their role is one of ``roles``: a member of the region centre sees the region."""
    if user.role == Role.ADMIN:
        return EVERYWHERE
    wanted = None if roles is None else set(roles)
    return areas_service.scope_of_areas(
        m.area_code for m in memberships
        if wanted is None or m.role in wanted or m.role == Role.ADMIN)


async def scope_of_user(session: AsyncSession, user: StaffUser) -> AreaScope:
    """The areas ``user`` may see, through every centre they work for."""
    return scope_where(user, (await memberships_of(session, [user.id]))[user.id])


async def set_memberships(session: AsyncSession, *, user: StaffUser,
                          centres: Sequence[tuple[str, Role]]) -> list[Membership]:
    """Make ``user`` work for exactly these centres (slug, role), the first being their own
    (their area and the role the account shows). Raises ValueError for none or a centre
    twice, CentreNotFoundError for an unknown one; nothing changes then."""
    if not centres:
        raise ValueError("a staff member works for at least one centre")
    slugs = [slug for slug, _ in centres]
    if len(set(slugs)) != len(slugs):
        raise ValueError("each centre once: a staff member has one role in a centre")
    served = [await areas_service.centre_by_slug(session, slug) for slug in slugs]
    await session.execute(delete(CentreMember).where(CentreMember.user_id == user.id))
    session.add_all(CentreMember(user_id=user.id, centre_id=centre.id, role=role.value)
                    for centre, (_, role) in zip(served, centres, strict=True))
    user.role, user.area_code = centres[0][1].value, served[0].area_code
    await session.flush()
    return (await memberships_of(session, [user.id]))[user.id]


async def get_user_by_username(session: AsyncSession, username: str) -> StaffUser | None:
    result = await session.execute(select(StaffUser).where(StaffUser.username == username))
    return result.scalar_one_or_none()


async def display_names(session: AsyncSession, usernames: Iterable[str]) -> dict[str, str]:
    """Each account's display name by username; usernames with no account are left out."""
    wanted = set(usernames)
    if not wanted:
        return {}
    rows = await session.execute(select(StaffUser.username, StaffUser.display_name)
                                 .where(StaffUser.username.in_(wanted)))
    return {row.username: row.display_name or row.username for row in rows}


async def list_users(session: AsyncSession) -> Sequence[StaffUser]:
    return (await session.execute(select(StaffUser).order_by(StaffUser.username))).scalars().all()


async def authenticate(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    address: str,
    now: datetime,
    policy: LoginPolicy,
    hashing: PasswordWork,
) -> StaffUser:
    """The user, if the password is right, the account active and (username, address) unlocked.

    Every failure takes the same path (a hash is always verified, a failure always recorded)
    and raises the same error, so the answer says nothing about which names exist.
    """
    user = await get_user_by_username(session, username)
    record = await session.get(LoginFailures, (username, address))
    matches = await hashing.verify(user.password_hash if user else DUMMY_HASH, password)
    locked = record is not None and record.locked_until is not None and record.locked_until > now
    if user is None or not user.active or locked or not matches:
        failures = await _record_failure(session, username=username, address=address, user=user,
                                         record=record, now=now, policy=policy)
        await session.commit()
        # Each further failure in a row waits a little longer before it is answered.
        await asyncio.sleep(policy.failure_delay_seconds * min(failures, policy.max_failures))
        raise AuthenticationError(LOGIN_REFUSED)
    if record is not None:
        await session.delete(record)
    return user


async def _record_failure(
    session: AsyncSession, *, username: str, address: str, user: StaffUser | None,
    record: LoginFailures | None, now: datetime, policy: LoginPolicy,
) -> int:
    """Count one more failure for (username, address); lock it after ``max_failures``."""
    if record is None:
        record = LoginFailures(username=username, address=address, failures=0, last_failed_at=now)
        session.add(record)
    if record.locked_until is not None and record.locked_until <= now:
        record.failures, record.locked_until = 0, None  # an expired lock starts afresh
    record.failures += 1
    record.last_failed_at = now
    if record.failures >= policy.max_failures and record.locked_until is None:
        record.locked_until = now + policy.lock_for
    await record_audit(
        session, actor=username, action="auth.login_failed", subject_type="staff",
        subject_id=str(user.id) if user else None, now=now,
        detail={"failures": record.failures, "address": address,
                "locked": record.locked_until is not None},
    )
    return record.failures


async def unlock(session: AsyncSession, *, user: StaffUser) -> int:
    """Lift every lock and failure count of ``user``; how many addresses were locked."""
    result = await session.execute(
        delete(LoginFailures).where(LoginFailures.username == user.username,
                                    LoginFailures.locked_until.is_not(None)))
    await session.execute(delete(LoginFailures).where(LoginFailures.username == user.username))
    return int(getattr(result, "rowcount", 0) or 0)


async def is_locked(session: AsyncSession, *, username: str, now: datetime) -> bool:
    """Whether some address is locked out of ``username`` right now."""
    found = await session.scalar(select(LoginFailures.address).where(
        LoginFailures.username == username, LoginFailures.locked_until > now).limit(1))
    return found is not None


async def set_active(session: AsyncSession, *, user: StaffUser, active: bool) -> int:
    """Enable or disable ``user``; disabling ends every session. How many sessions ended."""
    user.active = active
    if active:
        return 0
    return await end_sessions(session, user=user)


async def end_sessions(session: AsyncSession, *, user: StaffUser) -> int:
    """Sign ``user`` out everywhere; how many sessions ended."""
    result = await session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


async def update_user(session: AsyncSession, *, user: StaffUser, display_name: str | None,
                      role: Role | None) -> dict[str, object]:
    """Change the name or role; what changed (field: new value), for the audit entry."""
    changed: dict[str, object] = {}
    if display_name is not None and display_name != user.display_name:
        user.display_name = changed["display_name"] = display_name
    if role is not None and role != user.role:
        user.role = role
        changed["role"] = role.value
        # One role for the account now: the same in every centre it works for.
        await session.execute(update(CentreMember).where(CentreMember.user_id == user.id)
                              .values(role=role.value))
    await session.flush()
    return changed


async def get_user(session: AsyncSession, user_id: int) -> StaffUser:
    user = await session.get(StaffUser, user_id)
    if user is None:
        raise StaffNotFoundError(f"no staff account with id {user_id}")
    return user


async def forget_old_failures(session: AsyncSession, *, before: datetime) -> None:
    """Drop failure counts and locks whose last failure is older than ``before``."""
    await session.execute(delete(LoginFailures).where(LoginFailures.last_failed_at < before,
                                                      or_(LoginFailures.locked_until.is_(None),
                                                          LoginFailures.locked_until < before)))


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
        .execution_options(everywhere=True)  # who is asking comes before what they may see
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
    area_code: str | None = None,
) -> None:
    """Add one audit entry to the caller's transaction; it belongs to ``area_code``, else to
    the actor's own area (whose supervisors read it)."""
    area = area_code or areas_service.home_area(current_scope()) or REGION
    session.add(AuditEntry(at=now, actor=actor, action=action, subject_type=subject_type,
                           subject_id=subject_id, detail=detail or {}, area_code=area))


@dataclass(frozen=True)
class AuditFilter:
    """Which audit entries to list; an action without a dot also matches its family
    (``liveness`` matches ``liveness.check``)."""

    subject_type: str | None = None
    subject_id: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_audit(
    session: AsyncSession,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    actor: str | None = None,
    limit: int = 200,
    offset: int = 0,
    where: AuditFilter | None = None,
) -> Sequence[AuditEntry]:
    """The newest entries first, filtered."""
    found = where or AuditFilter(subject_type=subject_type, subject_id=subject_id, actor=actor)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    if found.subject_type:
        query = query.where(AuditEntry.subject_type == found.subject_type)
    if found.subject_id:
        query = query.where(AuditEntry.subject_id == found.subject_id)
    if found.actor:
        query = query.where(AuditEntry.actor == found.actor)
    if found.action:
        query = query.where(or_(AuditEntry.action == found.action,
                                AuditEntry.action.startswith(f"{found.action}.",
                                                             autoescape=True)))
    if found.since:
        query = query.where(AuditEntry.at >= found.since)
    if found.until:
        query = query.where(AuditEntry.at < found.until)
    return (await session.execute(query)).scalars().all()
