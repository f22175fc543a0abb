"""Messages in the database: queue, claim an attempt, and move state forward with guarded
UPDATEs (the row count says whether this writer won); never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from messaging.models import Message, MessageReceipt, WechatBinding
from messaging.port import Channel, MessageState, Outgoing
from seniors import service as seniors_service

PENDING, SENT, DELIVERED, FAILED = (s.value for s in MessageState)


def queue(session: AsyncSession, outgoing: Outgoing, *, channel: Channel, gateway: str,
          address: str, now: datetime, fallback_of: int | None = None) -> Message:
    message = Message(
        purpose=outgoing.purpose, template=outgoing.template, channel=channel.value,
        gateway=gateway, to_number=outgoing.to, address=address, body=outgoing.text,
        params=[list(pair) for pair in outgoing.params], state=PENDING, attempts=0,
        next_attempt_at=now, senior_id=outgoing.senior_id, case_id=outgoing.case_id,
        alarm_id=outgoing.alarm_id, fallback_of=fallback_of, created_at=now)
    session.add(message)
    return message


async def claim(session: AsyncSession, *, message_id: int, now: datetime,
                hold: timedelta) -> int | None:
    """Take the next attempt of a pending message that is due and not held by another
    attempt; returns the attempt's number, or None if someone else has it (or it is done)."""
    result = await session.execute(
        update(Message).where(
            Message.id == message_id, Message.state == PENDING,
            Message.next_attempt_at <= now,
            or_(Message.claimed_until.is_(None), Message.claimed_until <= now))
        .values(attempts=Message.attempts + 1, claimed_until=now + hold)
        .returning(Message.attempts))
    return result.scalar_one_or_none()


def _ours(message_id: int, attempt: int) -> ColumnElement[bool]:
    return and_(Message.id == message_id, Message.state == PENDING, Message.attempts == attempt)


async def mark_sent(session: AsyncSession, *, message_id: int, attempt: int,
                    provider_id: str, now: datetime) -> bool:
    result = await session.execute(update(Message).where(_ours(message_id, attempt)).values(
        state=SENT, provider_id=provider_id, sent_at=now, claimed_until=None, last_error=None))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_retry(session: AsyncSession, *, message_id: int, attempt: int, error: str,
                     at: datetime) -> bool:
    result = await session.execute(update(Message).where(_ours(message_id, attempt)).values(
        next_attempt_at=at, claimed_until=None, last_error=error[:255]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_failed(session: AsyncSession, *, message_id: int, attempt: int | None,
                      error: str, now: datetime) -> bool:
    """Fail a pending message (this attempt's, or any pending one when ``attempt`` is None)."""
    where = _ours(message_id, attempt) if attempt is not None else and_(
        Message.id == message_id, Message.state == PENDING)
    result = await session.execute(update(Message).where(where).values(
        state=FAILED, failed_at=now, claimed_until=None, next_attempt_at=None,
        last_error=error[:255]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def record_receipt(session: AsyncSession, *, gateway: str, provider_id: str,
                         delivered: bool, status: str, raw: dict[str, object],
                         now: datetime) -> Message | None:
    """Keep the receipt; a sent message becomes delivered, or failed if it never arrived."""
    message = await session.scalar(select(Message).where(
        Message.gateway == gateway, Message.provider_id == provider_id))
    session.add(MessageReceipt(gateway=gateway, provider_id=provider_id, delivered=delivered,
                               status=status[:64], raw=raw, received_at=now,
                               message_id=message.id if message else None))
    if message is None:
        return None
    values = {"state": DELIVERED, "delivered_at": now} if delivered else {
        "state": FAILED, "failed_at": now, "last_error": f"not delivered: {status}"[:255]}
    result = await session.execute(update(Message).where(
        Message.id == message.id, Message.state == SENT).values(**values))
    if result.rowcount:  # type: ignore[attr-defined]
        await session.refresh(message)
    return message


async def due_ids(session: AsyncSession, *, now: datetime, limit: int = 100) -> list[int]:
    rows = await session.scalars(select(Message.id).where(
        Message.state == PENDING, Message.next_attempt_at <= now,
        or_(Message.claimed_until.is_(None), Message.claimed_until <= now))
        .order_by(Message.next_attempt_at, Message.id).limit(limit))
    return list(rows)


async def already_told(session: AsyncSession, *, case_id: int, template: str) -> bool:
    """Whether this case's family was already sent (or is being sent) this notice."""
    found = await session.scalar(select(Message.id).where(
        Message.case_id == case_id, Message.template == template,
        Message.fallback_of.is_(None)).limit(1))
    return found is not None


async def of_case(session: AsyncSession, case_id: int) -> Sequence[Message]:
    return (await session.scalars(select(Message).where(Message.case_id == case_id)
                                  .order_by(Message.id))).all()


@dataclass(frozen=True, slots=True)
class NoticeView:
    """A message as another domain's timeline tells it: where it went and where it ended up."""

    id: int
    channel: str
    gateway: str
    to_number: str
    template: str
    body: str
    attempts: int
    sent_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    last_error: str | None


def _notice(message: Message) -> NoticeView:
    return NoticeView(id=message.id, channel=message.channel, gateway=message.gateway,
                      to_number=message.to_number, template=message.template, body=message.body,
                      attempts=message.attempts, sent_at=message.sent_at,
                      delivered_at=message.delivered_at, failed_at=message.failed_at,
                      last_error=message.last_error)


async def of_alarms(session: AsyncSession, *, alarm_ids: Sequence[int],
                    case_ids: Sequence[int]) -> list[NoticeView]:
    """The messages sent about these alarms or their call cases, oldest first."""
    if not alarm_ids and not case_ids:
        return []
    messages = await session.scalars(select(Message).where(or_(
        Message.alarm_id.in_(alarm_ids), Message.case_id.in_(case_ids))).order_by(Message.id))
    return [_notice(message) for message in messages]


async def binding_for(session: AsyncSession, *, phone: str) -> WechatBinding | None:
    """The live WeChat binding of whoever has this phone number, if they agreed to one."""
    return await session.scalar(select(WechatBinding).where(
        WechatBinding.phone == phone, WechatBinding.revoked_at.is_(None))
        .order_by(WechatBinding.id.desc()).limit(1))


async def family_binding(session: AsyncSession, *, senior_id: int) -> WechatBinding | None:
    """The live WeChat binding of the senior's first family contact (in calling order) who
    agreed to one."""
    contacts = [c.id for c in await seniors_service.contacts_of(session, senior_id=senior_id)]
    if not contacts:
        return None
    bindings = {b.contact_id: b for b in await session.scalars(select(WechatBinding).where(
        WechatBinding.contact_id.in_(contacts), WechatBinding.revoked_at.is_(None)))}
    return next((bindings[c] for c in contacts if c in bindings), None)


async def bind(session: AsyncSession, *, contact_id: int, phone: str, openid: str,
               consent_text: str, sent_by: str, now: datetime) -> WechatBinding:
    """Store (or replace) the contact's openid with the consent they gave."""
    binding = await session.scalar(select(WechatBinding).where(
        WechatBinding.contact_id == contact_id))
    if binding is None:
        binding = WechatBinding(contact_id=contact_id)
        session.add(binding)
    binding.phone, binding.openid, binding.consent_text = phone, openid, consent_text
    binding.consented_at, binding.link_sent_by, binding.revoked_at = now, sent_by, None
    return binding
