"""Two operators acknowledging the same alarms at once, over real HTTP, while a real Mosquitto
carries telemetry to an ingest in a child process: every alarm gets exactly one owner."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from accounts import service as accounts_service
from accounts.roles import Role
from alarms import flows as alarm_flows
from alarms.models import Alarm, AlarmStep
from config.settings import Settings
from dashboard.app import create_app
from devices import credentials, mosquitto
from devices.mosquitto import MosquittoProcess
from runtime.context import Runtime
from seniors import demo as seniors_demo
from seniors.models import Senior
from tests.conftest import TEST_PASSWORD, serve
from tests.devices.conftest import device_client, provision

ALARMS = 20


async def _login(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    answer = await http.post("/api/v1/auth/login",
                             json={"username": username, "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def _telemetry(broker: MosquittoProcess, username: str, password: str) -> None:
    """A watch reporting its pulse from several loops at once, as fast as the broker takes it
    (so the ingest child keeps the database's writer busy)."""
    async with device_client(broker, username, password) as device:
        async def report(start: int) -> None:
            for n in range(start, 10_000_000, 8):
                await device.publish(f"anxin/v1/devices/{username}/telemetry", qos=1,
                                     payload=json.dumps({"ts": _at(n), "seq": n,
                                                         "values": {"heart_rate": 72}}))

        await asyncio.gather(*(report(start) for start in range(8)))


def _at(n: int) -> str:
    return (datetime.now(UTC) - timedelta(milliseconds=n)).isoformat()


@contextlib.asynccontextmanager
async def _running(task: asyncio.Future[object]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_two_operators_racing_for_twenty_alarms_never_both_own_one(
    mqtt_settings: Settings, broker: MosquittoProcess,
) -> None:
    """Finding: with Mosquitto and an ingest child under telemetry load, both operators got
    200 on the same acknowledgement. Now exactly one wins each alarm, the other gets 409
    naming the owner, and each alarm has one `acknowledged` step."""
    settings = mqtt_settings.model_copy(update={"mqtt_ingest_processes": 1})
    service_hash = credentials.hash_password(credentials.service_password(settings.data_dir))
    mosquitto.export(broker.directory, [credentials.BrokerUser(
        credentials.SERVICE_USERNAME, service_hash, is_service=True)],
        service_username=credentials.SERVICE_USERNAME)
    broker.reload()
    async for server in serve(create_app(settings)):
        runtime = server.runtime
        async with runtime.sessions() as session:
            await seniors_demo.seed_seniors(session, now=runtime.clock.now(), count=ALARMS)
            for name in ("op_a", "op_b", "sup"):
                await accounts_service.create_user(
                    session, username=name, display_name=name.upper(),
                    role=Role.SUPERVISOR if name == "sup" else Role.OPERATOR,
                    password=TEST_PASSWORD, now=runtime.clock.now())
            await session.commit()
            senior_ids = list((await session.execute(select(Senior.id))).scalars())
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            sup = await _login(http, "sup")
            band = await provision(http, sup, runtime, broker, model="anxin-watch",
                                   id="watch-1", senior_id=senior_ids[0])
            alarm_ids = [(await alarm_flows.raise_and_announce(
                runtime, senior_id=senior_id, kind="sos", at=runtime.clock.now())).alarm.id
                for senior_id in senior_ids]
            a, b = await _login(http, "op_a"), await _login(http, "op_b")
            async with _running(asyncio.ensure_future(_telemetry(broker, *band))):
                await asyncio.sleep(0.5)  # telemetry flowing through the ingest child
                answers = await asyncio.gather(*(
                    http.post(f"/api/v1/alarms/{alarm_id}/ack", headers=headers)
                    for alarm_id in alarm_ids for headers in (a, b)))
        await _check(runtime, alarm_ids, answers)


async def _check(runtime: Runtime, alarm_ids: list[int],
                 answers: list[httpx.Response]) -> None:
    pairs = list(zip(answers[::2], answers[1::2], strict=True))
    double = [alarm_id for alarm_id, pair in zip(alarm_ids, pairs, strict=True)
              if [answer.status_code for answer in pair] == [200, 200]]
    assert double == []
    for pair in pairs:
        assert sorted(answer.status_code for answer in pair) == [200, 409]
        lost = next(answer for answer in pair if answer.status_code == 409).json()
        won = next(answer for answer in pair if answer.status_code == 200).json()
        assert lost["owner"] == won["acknowledged_by"]
        assert lost["owner_name"] == won["acknowledged_by"].upper()
    async with runtime.sessions() as session:
        steps = dict((await session.execute(
            select(AlarmStep.alarm_id, func.count()).where(AlarmStep.action == "acknowledged")
            .group_by(AlarmStep.alarm_id))).all())
        owners = dict((await session.execute(
            select(Alarm.id, Alarm.acknowledged_by))).all())
    assert steps == dict.fromkeys(alarm_ids, 1)
    assert all(owners[alarm_id] in ("op_a", "op_b") for alarm_id in alarm_ids)
