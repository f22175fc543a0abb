"""Sending through the port: pick the channel, queue in the caller's transaction, attempt
after commit, retry with backoff, fall back from WeChat to SMS, report what happened.

A message is ``sent`` only once a gateway has answered with its id; an attempt that failed
for a reason that may pass (5xx, timeout) is retried after the configured pauses, and after
the last it is ``failed``, on the bus and on the incident's timeline.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from messaging import events, service
from messaging.lifespan import MessagingRuntime, messaging_of
from messaging.models import Message
from messaging.port import Channel, Delivery, GatewayError, Outgoing
from runtime.context import Runtime

log = logging.getLogger(__name__)


async def send(runtime: Runtime, session: AsyncSession, outgoing: Outgoing) -> Message:
    """Queue ``outgoing`` in the caller's transaction: as a WeChat notice when the person
    bound their WeChat and the template has a WeChat form, else as an SMS. The first attempt
    starts once the caller commits; nothing goes out if it rolls back."""
    message = await _queue(runtime, session, outgoing)
    attempt_after_commit(runtime, session, message.id)
    return message


async def _queue(runtime: Runtime, session: AsyncSession, outgoing: Outgoing) -> Message:
    port = messaging_of(runtime)
    now = runtime.clock.now()
    binding = await service.binding_for(session, phone=outgoing.to) \
        if port.wechat and outgoing.wechat_ok and port.wechat.can_send(outgoing.template) \
        else None
    if binding is not None:
        message = service.queue(session, outgoing, channel=Channel.WECHAT, gateway="wechat",
                                address=binding.openid, now=now)
    else:
        message = service.queue(session, outgoing, channel=Channel.SMS, gateway=port.sms.name,
                                address=outgoing.to, now=now)
    await session.flush()
    return message


def attempt_after_commit(runtime: Runtime, session: AsyncSession, message_id: int) -> None:
    port = messaging_of(runtime)

    def committed(_: Session) -> None:
        port.spawn(attempt(runtime, message_id))

    event.listen(session.sync_session, "after_commit", committed, once=True)


async def send_now(runtime: Runtime, outgoing: Outgoing) -> Message:
    """Queue and commit ``outgoing`` on its own, then make its first attempt (and, if WeChat
    failed, wait for the SMS that replaces it)."""
    async with runtime.sessions() as session:
        message = await _queue(runtime, session, outgoing)
        await session.commit()
    await attempt(runtime, message.id)
    async with runtime.sessions() as session:
        fallback = await session.scalar(select(Message.id).where(
            Message.fallback_of == message.id))
    if fallback is not None:
        await attempt(runtime, fallback)
    async with runtime.sessions() as session:
        return await session.get_one(Message, message.id)


async def attempt(runtime: Runtime, message_id: int) -> None:
    """One attempt at a pending message that is due; a no-op if another attempt holds it."""
    port = messaging_of(runtime)
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        number = await service.claim(session, message_id=message_id, now=now,
                                     hold=timedelta(seconds=port.hold_seconds))
        message = await session.get(Message, message_id) if number is not None else None
        await session.commit()
    if number is None or message is None:
        return
    gateway = port.gateway(message.gateway)
    try:
        if gateway is None:
            raise GatewayError(f"gateway {message.gateway!r} is not configured", temporary=False)
        provider_id = await gateway.deliver(Delivery(
            message_id=message.id, address=message.address, text=message.body,
            template=message.template, params=tuple((k, v) for k, v in message.params)))
    except GatewayError as error:
        await _failed_attempt(runtime, port, message, number, error)
        return
    async with runtime.sessions() as session:
        if await service.mark_sent(session, message_id=message_id, attempt=number,
                                   provider_id=provider_id, now=runtime.clock.now()):
            await session.commit()
            await _publish(runtime, message_id)


async def _failed_attempt(runtime: Runtime, port: MessagingRuntime, message: Message,
                          number: int, error: GatewayError) -> None:
    now = runtime.clock.now()
    retries = port.retry_seconds
    async with runtime.sessions() as session:
        if error.temporary and number <= len(retries):
            later = now + timedelta(seconds=retries[number - 1])
            await service.mark_retry(session, message_id=message.id, attempt=number,
                                     error=str(error), at=later)
            log.info("message %s: attempt %s failed (%s); again at %s", message.id, number,
                     error, later.isoformat())
            await session.commit()
            return
        if not await service.mark_failed(session, message_id=message.id, attempt=number,
                                         error=str(error), now=now):
            return
        log.warning("message %s to %s failed: %s", message.id, message.to_number, error)
        if message.channel == Channel.WECHAT:
            fallback = service.queue(session, _outgoing_of(message), channel=Channel.SMS,
                                     gateway=port.sms.name, address=message.to_number,
                                     now=now, fallback_of=message.id)
            await session.flush()
            attempt_after_commit(runtime, session, fallback.id)
        await session.commit()
    await _publish(runtime, message.id)


def _outgoing_of(message: Message) -> Outgoing:
    return Outgoing(to=message.to_number, text=message.body, template=message.template,
                    purpose=message.purpose, params=tuple((k, v) for k, v in message.params),
                    senior_id=message.senior_id, case_id=message.case_id,
                    alarm_id=message.alarm_id, wechat_ok=False)


async def _publish(runtime: Runtime, message_id: int) -> None:
    async with runtime.sessions() as session:
        message = await session.get(Message, message_id)
    if message is not None:
        events.publish_message(runtime.bus, message)


async def attempt_due(runtime: Runtime) -> int:
    """Attempt every pending message whose time has come (retries, and attempts a crash or
    a lost after-commit hook left behind); returns how many were tried."""
    async with runtime.sessions() as session:
        ids = await service.due_ids(session, now=runtime.clock.now())
    for message_id in ids:
        await attempt(runtime, message_id)
    return len(ids)


async def retry_loop(runtime: Runtime) -> None:
    """Background task: retries when their pause is over."""
    while True:
        await attempt_due(runtime)
        await runtime.clock.sleep(runtime.settings.message_tick_seconds)
