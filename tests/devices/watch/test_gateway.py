"""A watch on a real TCP socket through the gateway, the broker and the ingest to an alarm."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import func, select

from alarms.models import Alarm
from devices.models import DeadLetter, DeviceReading, StoredDeviceEvent
from devices.mosquitto import MosquittoProcess
from runtime.context import Runtime
from tests.devices.conftest import wait_for
from tests.devices.watch.conftest import Watch, alarm, gateway_port, registered_watch


async def stored_events(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(
            select(func.count()).select_from(StoredDeviceEvent)) or 0)


async def test_watch_from_init_to_a_p1_sos_alarm_with_its_position(
        watch_app: FastAPI, watch_runtime: Runtime, broker: MosquittoProcess) -> None:
    """INIT is answered, an AL SOS becomes a P1 alarm with its position, and the AL reply
    comes only once the event is committed."""
    senior_id = await registered_watch(watch_app, broker)
    watch = await Watch.connect(gateway_port(watch_runtime))
    await watch.send("INIT,13800000000,1,1,1")
    reply = await watch.reply()
    assert reply is not None and reply.content == b"INIT,1"
    await watch.send(alarm(watch_runtime.clock.now()))
    reply = await watch.reply()
    assert reply is not None and reply.content == b"AL"
    assert await stored_events(watch_runtime) == 1  # committed before the reply

    async def raised() -> bool:
        async with watch_runtime.sessions() as session:
            return bool(await session.scalar(select(func.count()).select_from(Alarm)))

    await wait_for(raised)
    async with watch_runtime.sessions() as session:
        sos = (await session.execute(select(Alarm))).scalar_one()
        readings = dict((await session.execute(
            select(DeviceReading.metric, DeviceReading.value))).all())
    assert (sos.kind, sos.priority, sos.senior_id) == ("sos", 1, senior_id)
    assert sos.device_id == "8308373902"
    assert (sos.details["latitude"], sos.details["longitude"]) == (39.9042, 116.4074)
    assert readings["latitude"] == 39.9042 and readings["battery"] == 80
    await watch.close()


async def test_heartbeat_is_answered_and_its_battery_stored(
        watch_app: FastAPI, watch_runtime: Runtime, broker: MosquittoProcess) -> None:
    """LK is answered LK; its steps and battery arrive as the watch's readings."""
    await registered_watch(watch_app, broker)
    watch = await Watch.connect(gateway_port(watch_runtime))
    await watch.send("LK,4120,0,63")
    reply = await watch.reply()
    assert reply is not None and reply.content == b"LK"

    async def stored() -> bool:
        async with watch_runtime.sessions() as session:
            rows = dict((await session.execute(
                select(DeviceReading.metric, DeviceReading.value))).all())
        return rows == {"steps": 4120, "battery": 63}

    await wait_for(stored)
    await watch.close()


async def dead_letters(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return list((await session.execute(
            select(DeadLetter.reason).order_by(DeadLetter.id))).scalars())


async def test_bad_frames_are_dead_letters_and_the_connection_survives(
        watch_app: FastAPI, watch_runtime: Runtime, broker: MosquittoProcess) -> None:
    """Wrong length, unknown type, bad escape, garbage and an unknown watch become dead
    letters with their bytes; the same connection's alarm still gets through."""
    await registered_watch(watch_app, broker)
    watch = await Watch.connect(gateway_port(watch_runtime))
    await watch.send_raw(b"[3G*8308373902*0009*LK,0,10,100]")
    await watch.send("ZZZZ,1")
    await watch.send_raw(b"[3G*8308373902*0005*TK,}\x09]\xff\xfe\x00binary")
    await watch.send_raw(b"[3G*5555555555*0002*LK]")
    await watch.send(alarm(watch_runtime.clock.now()))
    reply = await watch.reply()
    assert reply is not None and reply.content == b"AL"
    reasons = await dead_letters(watch_runtime)
    assert any("length field says 9" in r for r in reasons)
    assert any("'ZZZZ' is not one Anxin reads" in r for r in reasons)
    assert any("bad escape" in r for r in reasons)
    assert any("bytes outside a frame" in r for r in reasons)
    assert any("unknown watch '5555555555'" in r for r in reasons)
    await watch.close()


async def test_endless_frame_and_flood_close_only_their_connection(
        watch_app: FastAPI, watch_runtime: Runtime, broker: MosquittoProcess) -> None:
    """1 MiB without ``]`` and thousands of frames at once each close their own connection,
    named in a dead letter, while another watch's alarm is answered."""
    await registered_watch(watch_app, broker)
    port = gateway_port(watch_runtime)
    endless, flood = await Watch.connect(port), await Watch.connect(port)
    await endless.send_raw(b"[3G*8308373902*FFFF*" + b"A" * (1 << 20))
    await flood.send_raw(b"[3G*8308373902*0004*TKQ2]" * 5000)
    assert await endless.reply() is None  # closed, never answered
    while (frame := await flood.reply()) is not None:
        assert frame.content == b"TKQ2"  # answered until the budget ran out, then closed
    watch = await Watch.connect(port)
    await watch.send(alarm(watch_runtime.clock.now()))
    reply = await watch.reply()
    assert reply is not None and reply.content == b"AL"
    reasons = await dead_letters(watch_runtime)
    assert any("without a closing bracket" in r for r in reasons)
    assert any(r.startswith("flood:") for r in reasons)
    await watch.close()
