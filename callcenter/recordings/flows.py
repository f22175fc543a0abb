"""Recording calls: the notice callers hear first, starting the recording on the network,
collecting the finished audio into the sealed store, audited playback, and retention.

Every adapter renders the notice as an ordinary prompt (``Say``) before anything else the
caller hears, and starts the recording through the telephony port's ``start_recording``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from callcenter import ivr
from callcenter.lifespan import callcenter_of
from callcenter.models import CallLeg
from callcenter.port import CallAction, Say
from callcenter.recordings.models import CallRecording
from callcenter.recordings.store import RecordingStore
from config.keys import Purpose, purpose_key
from runtime.context import Runtime

log = logging.getLogger(__name__)
NOTICE = {ivr.ZH: "为了保证服务质量，本次通话将被录音。",
          ivr.EN: "To keep our service safe, this call is recorded."}


def store_of(runtime: Runtime) -> RecordingStore:
    settings = runtime.settings
    return RecordingStore(settings.data_dir / "recordings",
                          purpose_key(settings, Purpose.RECORDINGS))


def records(runtime: Runtime, call: CallLeg) -> bool:
    return call.purpose in runtime.settings.recording_call_kinds


def with_notice(runtime: Runtime, call: CallLeg,
                actions: tuple[CallAction, ...]) -> tuple[CallAction, ...]:
    """The call's first actions, after the recording notice when this kind is recorded."""
    if not actions or not records(runtime, call):
        return actions
    language = str((call.ivr_state or {}).get("language", ivr.ZH))
    return (Say(NOTICE.get(language, NOTICE[ivr.ZH]), language), *actions)


def start_after_notice(runtime: Runtime, call: CallLeg) -> None:
    """Once the caller has been told (call this after committing the leg), record it."""
    if records(runtime, call) and call.provider_sid:
        callcenter_of(runtime).spawn(start(runtime, call_id=call.id,
                                           call_sid=call.provider_sid))


async def start(runtime: Runtime, *, call_id: int, call_sid: str) -> None:
    provider = callcenter_of(runtime).provider
    ref = await provider.start_recording(call_sid=call_sid, call_id=call_id)
    now = runtime.clock.now()
    days = runtime.settings.recording_retention_days
    async with runtime.sessions() as session:
        session.add(CallRecording(call_id=call_id, provider=provider.name, provider_ref=ref,
                                  state="recording", started_at=now,
                                  expires_at=now + timedelta(days=days)))
        await session.commit()


async def collect(runtime: Runtime) -> int:
    """Seal the audio of recordings whose calls have ended; returns how many were stored."""
    provider = callcenter_of(runtime).provider
    store = store_of(runtime)
    async with runtime.sessions() as session:
        waiting = (await session.execute(select(CallRecording.id, CallRecording.provider_ref)
                   .join(CallLeg, CallLeg.id == CallRecording.call_id).where(
                       CallRecording.state == "recording", CallLeg.ended_at.is_not(None),
                       CallRecording.provider == provider.name))).all()
    stored = 0
    for recording_id, ref in waiting:
        audio = await provider.fetch_recording(recording_ref=ref)
        if audio is None:
            continue
        await store.put(recording_id, audio)
        async with runtime.sessions() as session:
            await session.execute(update(CallRecording).where(
                CallRecording.id == recording_id, CallRecording.state == "recording")
                .values(state="stored", size_bytes=len(audio), stored_at=runtime.clock.now()))
            await session.commit()
        stored += 1
    return stored


async def purge_expired(runtime: Runtime) -> int:
    """Delete the audio of recordings past their retention; the row stays as the record."""
    store = store_of(runtime)
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        due = (await session.scalars(select(CallRecording.id).where(
            CallRecording.state != "purged", CallRecording.expires_at <= now))).all()
        for recording_id in due:
            await store.delete(recording_id)
        if due:
            await session.execute(update(CallRecording).where(
                CallRecording.id.in_(due), CallRecording.state != "purged")
                .values(state="purged", purged_at=now))
        await session.commit()
    return len(due)


async def play(runtime: Runtime, session: AsyncSession, *, recording: CallRecording,
               actor: str) -> bytes:
    """The audio, opened for one listener; the playback is audited in the caller's
    transaction (the caller commits before answering)."""
    call = await session.get(CallLeg, recording.call_id)
    await accounts_service.record_audit(
        session, actor=actor, action="recording.played",
        subject_type="senior" if call and call.senior_id else "call",
        subject_id=str(call.senior_id) if call and call.senior_id else str(recording.call_id),
        now=runtime.clock.now(), detail={"recording_id": recording.id,
                                         "call_id": recording.call_id})
    return await store_of(runtime).get(recording.id)


async def recording_loop(runtime: Runtime) -> None:
    """Background task: collect finished recordings and apply the retention."""
    while True:
        if runtime.settings.recording_call_kinds:
            try:
                await collect(runtime)
            except Exception:  # a network hiccup must not stop retention
                log.exception("collecting recordings failed; trying again later")
        await purge_expired(runtime)
        await runtime.clock.sleep(runtime.settings.recording_tick_seconds)
