"""What the ingest refuses before or instead of storing: oversized payloads, impossible
timestamps, floods of dead letters; reserved device ids; the dead-letter purge."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from accounts.roles import Role
from devices import service
from devices.consumer import Delivery
from devices.dead_letters import PER_WINDOW
from devices.ingest import BrokerAddress, Ingest
from devices.lifespan import purge_dead_letters
from devices.models import DeadLetter, DeviceReading, StoredDeviceEvent
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import LoginAs


def message(topic: str, payload: bytes, mid: int = 1) -> Delivery:
    return Delivery(topic, payload, qos=1, retain=False, mid=mid)


async def ingest_with(runtime: Runtime, device_id: str, model: str = "anxin-watch") -> Ingest:
    async with runtime.sessions() as session:
        await service.provision_device(session, model_id=model, senior_id=None, location="",
                                       device_id=device_id, now=runtime.clock.now())
        await session.commit()
    return Ingest(sessions=runtime.sessions, clock=runtime.clock,
                  broker=BrokerAddress("127.0.0.1", 1, "unused", "unused"))


async def reasons(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return list((await session.execute(
            select(DeadLetter.reason).order_by(DeadLetter.id))).scalars())


async def count(runtime: Runtime, table: Any) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


def iso(runtime: Runtime, shift: timedelta = timedelta()) -> str:
    return (runtime.clock.now() + shift).isoformat()


async def test_oversized_payloads_become_dead_letters_unread(runtime: Runtime) -> None:
    """Telemetry over 16 KiB and events over 8 KiB are dead letters that name the limit, even
    when they are valid JSON; smaller ones are stored."""
    ingest = await ingest_with(runtime, "watch-big")
    padding = " " * (16 * 1024)
    telemetry = json.dumps({"ts": iso(runtime), "values": {"heart_rate": 70}}) + padding
    event = json.dumps({"event_id": "e1", "ts": iso(runtime), "type": "sos"}) + padding[:8200]
    small = json.dumps({"event_id": "e2", "ts": iso(runtime), "type": "sos"})
    outcome = await ingest.store([
        message("anxin/v1/devices/watch-big/telemetry", telemetry.encode()),
        message("anxin/v1/devices/watch-big/event", event.encode()),
        message("anxin/v1/devices/watch-big/event", small.encode())])
    assert outcome.dead_letters == 2 and len(outcome.stored) == 1
    assert await reasons(runtime) == [
        f"telemetry payload of {len(telemetry)} bytes is over the 16 KiB limit; not read",
        f"event payload of {len(event)} bytes is over the 8 KiB limit; not read"]


async def test_a_large_event_detail_is_capped_and_the_event_kept(runtime: Runtime) -> None:
    """An SOS whose detail is over 1 KiB is stored with a note of the detail's size instead."""
    ingest = await ingest_with(runtime, "watch-detail")
    detail = {f"k{n}": "x" * 100 for n in range(20)}
    await ingest.store([message("anxin/v1/devices/watch-detail/event", json.dumps(
        {"event_id": "e1", "ts": iso(runtime), "type": "sos", "detail": detail}).encode())])
    async with runtime.sessions() as session:
        stored = (await session.execute(select(StoredDeviceEvent))).scalar_one()
    assert stored.detail == {"truncated": True,
                             "bytes": len(json.dumps(detail, ensure_ascii=False).encode())}


async def test_impossible_timestamps_become_dead_letters_that_name_the_problem(
        runtime: Runtime) -> None:
    """A ts more than 24 h ahead, or older than the model keeps messages (also a wristband's
    epoch number), is a dead letter saying which; a ts an hour ahead is stored."""
    ingest = await ingest_with(runtime, "watch-time")
    await ingest_with(runtime, "band-time", model="tb-wristband")
    await ingest.store([
        message("anxin/v1/devices/watch-time/telemetry", json.dumps(
            {"ts": iso(runtime, timedelta(hours=25)), "values": {"heart_rate": 70}}).encode()),
        message("anxin/v1/devices/watch-time/event", json.dumps(
            {"event_id": "old", "ts": iso(runtime, -timedelta(days=8)), "type": "sos"}).encode()),
        message("anxin/v1/devices/band-time/telemetry", json.dumps(
            {"pulse": 80, "ts": 5}).encode()),
        message("anxin/v1/devices/watch-time/telemetry", json.dumps(
            {"ts": iso(runtime, timedelta(hours=1)), "values": {"heart_rate": 71}}).encode())])
    found = await reasons(runtime)
    assert len(found) == 3
    assert "is more than 24 h in the future" in found[0]
    assert "is older than the 168 h model anxin-watch may keep a message" in found[1]
    assert found[2].startswith("ts 1970-01-01T00:00:05+00:00 is older than the 24 h")
    assert await count(runtime, DeviceReading) == 1


async def test_wristband_times_in_seconds_and_milliseconds_are_both_read(
        runtime: Runtime) -> None:
    """ThingsBoard firmware sends epoch milliseconds, some seconds: both name the same moment."""
    ingest = await ingest_with(runtime, "band-units", model="tb-wristband")
    seconds = int(runtime.clock.now().timestamp())
    outcome = await ingest.store([
        message("anxin/v1/devices/band-units/telemetry", json.dumps(
            {"pulse": 80, "ts": seconds - 60}).encode()),
        message("anxin/v1/devices/band-units/telemetry", json.dumps(
            {"pulse": 81, "ts": seconds * 1000}).encode())])
    assert outcome.dead_letters == 0
    assert [r.measured_at for i in outcome.stored for r in i.readings] == [
        runtime.clock.now() - timedelta(seconds=60), runtime.clock.now()]


async def test_a_dead_letter_flood_is_counted_not_stored(runtime: Runtime,
                                                         client: httpx.AsyncClient,
                                                         login_as: LoginAs) -> None:
    """Past its limit in the hour, a device's dead letters add to the last stored one's
    repeats, shown by the API; after the hour they are stored again."""
    ingest = await ingest_with(runtime, "watch-flood")
    junk = [message("anxin/v1/devices/watch-flood/telemetry", b"not json", n)
            for n in range(PER_WINDOW + 30)]
    outcome = await ingest.store(junk[:25])
    await ingest.store(junk[25:])
    assert outcome.dead_letters == 25
    assert await count(runtime, DeadLetter) == PER_WINDOW
    listed = (await client.get("/api/v1/devices/dead-letters",
                               headers=await login_as(Role.SUPERVISOR))).json()
    assert listed[0]["device_id"] == "watch-flood" and listed[0]["repeats"] == 30
    assert sum(letter["repeats"] for letter in listed) == 30
    assert isinstance(runtime.clock, ManualClock)
    runtime.clock.advance(3601)
    await ingest.store(junk[:1])
    assert await count(runtime, DeadLetter) == PER_WINDOW + 1


async def test_dead_letters_older_than_30_days_are_purged(runtime: Runtime) -> None:
    """The devices' purge job deletes dead letters past 30 days and keeps younger ones."""
    ingest = await ingest_with(runtime, "watch-old")
    await ingest.store([message("anxin/v1/devices/watch-old/telemetry", b"old junk")])
    assert isinstance(runtime.clock, ManualClock)
    runtime.clock.advance(timedelta(days=29).total_seconds())
    await ingest.store([message("anxin/v1/devices/watch-old/telemetry", b"newer junk")])
    runtime.clock.advance(timedelta(days=2).total_seconds())
    job = asyncio.create_task(purge_dead_letters(runtime))
    try:
        async def purged() -> bool:
            return await count(runtime, DeadLetter) == 1

        for _ in range(100):
            if await purged():
                break
            await asyncio.sleep(0.02)
        assert await purged()
    finally:
        job.cancel()
    async with runtime.sessions() as session:
        assert (await session.execute(select(DeadLetter.payload))).scalar_one() == b"newer junk"


async def test_device_ids_cannot_take_reserved_names(client: httpx.AsyncClient,
                                                     login_as: LoginAs) -> None:
    """`anxin-*` ids (the service account's, the ingest's) are refused with 422 naming the
    rule, and nothing is registered."""
    headers = await login_as(Role.SUPERVISOR)
    for device_id in ("anxin-server", "anxin-ingest", "anxin-x1"):
        answer = await client.post("/api/v1/devices", headers=headers,
                                   json={"model": "anxin-pendant", "id": device_id})
        assert answer.status_code == 422, answer.text
        assert "reserved for Anxin's own clients" in answer.json()["detail"]
    listed = (await client.get("/api/v1/devices", headers=headers)).json()
    assert listed == []
