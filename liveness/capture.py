"""What the senior's capture page needs besides the check: where a link stands before the
camera opens, and the senior's own request for a call or a home visit instead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from liveness import service
from liveness.links import CaptureLink
from liveness.models import CaptureLinkUse, LivenessTask
from seniors import service as seniors_service


class LinkState(StrEnum):
    """Why a capture link can or cannot start a check; the page words each one."""

    READY = "ready"
    INVALID = "invalid"
    EXPIRED = "expired"
    SPENT = "spent"
    NO_CONSENT = "no_consent"
    NOT_ENROLLED = "not_enrolled"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class LinkStanding:
    state: LinkState
    retry_after: datetime | None = None


async def standing(session: AsyncSession, *, link: CaptureLink, now: datetime,
                   limit: service.RateLimit) -> LinkStanding:
    """The first reason a check from this link would be refused, or ready; changes nothing."""
    if await session.get(CaptureLinkUse, link.link_id) is not None:
        return LinkStanding(LinkState.SPENT)
    if not await seniors_service.has_consent(session, senior_id=link.senior_id,
                                             purpose=service.BIOMETRIC_PURPOSE):
        return LinkStanding(LinkState.NO_CONSENT)
    if not await service.is_enrolled(session, senior_id=link.senior_id):
        return LinkStanding(LinkState.NOT_ENROLLED)
    until = await service.blocked_until(session, senior_id=link.senior_id, now=now, limit=limit)
    if until is not None:
        return LinkStanding(LinkState.RATE_LIMITED, until)
    return LinkStanding(LinkState.READY)


async def ask_for_staff(session: AsyncSession, *, link: CaptureLink, kind: str,
                        now: datetime) -> LivenessTask:
    """The senior chose a phone call or a home visit instead of the camera: a staff task."""
    return await service.open_task(session, senior_id=link.senior_id, kind=kind,
                                   reason="senior_request", now=now)
