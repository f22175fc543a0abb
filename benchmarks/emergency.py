"""``anxin bench emergency``: from a pendant's SOS to the first operator's desk offering it.

The whole system runs as in production: the app under uvicorn (ingest in a child process,
rules feed, routing desk, live feed) against a Mosquitto started for the run. N operators are
desk clients in a separate process, over the real HTTP and WebSocket API: each goes
available, accepts what it is offered after a random 0.5-3 s, works on it for a while and
resolves it. Background alarms (P3 heart-rate warnings and P4 low batteries) keep most of
them busy or ringing; then SOS events arrive over MQTT at a steady rate. Measured per SOS:
publish → first desk offer, publish → accepted; alarms owned twice; SOS never offered.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import random
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import aiomqtt
import httpx
import typer
import websockets
from sqlalchemy import func, insert, select

from accounts import service as accounts_service
from accounts.roles import Role
from alarms.models import Alarm, AlarmStep
from benchmarks.ingest import Target, percentile
from benchmarks.serving import bench_settings, create_app, served
from devices import credentials
from devices.models import Device
from runtime.context import Runtime
from seniors import demo as seniors_demo
from seniors.models import Senior

BACKGROUND_DEVICES = 40
HOLD_SOS = (3.0, 8.0)  # seconds an operator spends on an SOS before resolving it
HOLD_OTHER = (10.0, 30.0)  # ... on a P3/P4 alarm
ACCEPT_AFTER = (0.5, 3.0)


@dataclass
class DeskLog:
    """What one desk client saw: first offer arrival per alarm, accepts won and lost."""

    offered: dict[int, float] = field(default_factory=dict)
    accepted: dict[int, float] = field(default_factory=dict)
    lost: int = 0


async def _desk(base: str, username: str, password: str, log: DeskLog,
                stop: asyncio.Event) -> None:
    """One operator at the desk: available, answering offers like a person would."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        login = await http.post("/api/v1/auth/login",
                                json={"username": username, "password": password})
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        await http.post("/api/v1/routing/me/state", json={"state": "available"},
                        headers=headers)
        busy = asyncio.Lock()
        working: set[asyncio.Task[None]] = set()
        async with websockets.connect(base.replace("http", "ws") + "/api/v1/live",
                                      additional_headers=headers, max_queue=None) as feed:
            await feed.recv()  # the snapshot
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(feed.recv(), 0.5)
                except TimeoutError:
                    continue
                message = json.loads(raw)
                data = message.get("data", {})
                if message.get("topic") != "routing.offer" or username not in data.get("to", []):
                    continue
                ref = str(data.get("ref") or "")
                if ref.startswith("alarm:"):
                    log.offered.setdefault(int(ref[6:]), time.time())
                task = asyncio.create_task(_take(http, headers, data, log, busy))
                working.add(task)
                task.add_done_callback(working.discard)
            for task in working:
                task.cancel()


async def _take(http: httpx.AsyncClient, headers: dict[str, str], offer: dict[str, Any],
                log: DeskLog, busy: asyncio.Lock) -> None:
    await asyncio.sleep(random.uniform(*ACCEPT_AFTER))
    if busy.locked():
        return  # already on something: a person answers one thing at a time
    async with busy:
        answer = await http.post(f"/api/v1/routing/tasks/{offer['task_id']}/accept",
                                 headers=headers)
        ref = str(offer.get("ref") or "")
        if answer.status_code != 200 or not ref.startswith("alarm:"):
            log.lost += answer.status_code == 409
            return
        alarm_id = int(ref[6:])
        log.accepted[alarm_id] = time.time()
        await asyncio.sleep(random.uniform(*(HOLD_SOS if offer.get("priority") == 1
                                             else HOLD_OTHER)))
        await http.post(f"/api/v1/alarms/{alarm_id}/resolve", headers=headers,
                        json={"disposition": "genuine_handled", "notes": "bench"})


def desk_process(base: str, usernames: list[str], password: str, seconds: float,
                 results: Any) -> None:
    """Child process: every desk client, for ``seconds``; puts their logs on ``results``."""
    async def main() -> list[DeskLog]:
        stop = asyncio.Event()
        logs = [DeskLog() for _ in usernames]
        desks = [asyncio.create_task(_desk(base, name, password, log, stop))
                 for name, log in zip(usernames, logs, strict=True)]
        await asyncio.sleep(seconds)
        stop.set()
        for outcome in await asyncio.gather(*desks, return_exceptions=True):
            if isinstance(outcome, Exception):
                print(f"desk client failed: {outcome!r}", file=sys.stderr)
        return logs

    results.put([(log.offered, log.accepted, log.lost) for log in asyncio.run(main())])


async def _prepare(runtime: Runtime, operators: int, sos: int, password: str) -> list[str]:
    """Seniors, one pendant each for the SOS, background watches, operator accounts."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        await seniors_demo.seed_seniors(session, now=now, count=sos + BACKGROUND_DEVICES)
        for i in range(operators):
            await accounts_service.create_user(
                session, username=f"desk{i:02d}", display_name=f"值班员{i:02d}",
                role=Role.OPERATOR, password=password, now=now)
        await accounts_service.create_user(session, username="boss", display_name="值班长",
                                           role=Role.SUPERVISOR, password=password, now=now)
        seniors = list((await session.execute(select(Senior.id).order_by(Senior.id))).scalars())
        password_hash = credentials.hash_password(credentials.new_password())
        await session.execute(insert(Device), [
            {"id": f"bench-{n:05d}", "model": "anxin-pendant", "kind": "wearable",
             "senior_id": senior, "location": "", "heartbeat_seconds": 300,
             "grace_seconds": 300, "state": "active", "mqtt_password_hash": password_hash,
             "created_at": now} for n, senior in enumerate(seniors)])
        await session.commit()
    return [f"desk{i:02d}" for i in range(operators)]


async def _skills(http: httpx.AsyncClient, usernames: list[str], password: str) -> None:
    """Half the desk trained for emergencies: skills narrow who rings first, never who rings."""
    login = await http.post("/api/v1/auth/login", json={"username": "boss",
                                                        "password": password})
    boss = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for i, name in enumerate(usernames):
        await http.put(f"/api/v1/routing/operators/{name}", headers=boss, json={
            "skills": ["emergency"] if i % 2 == 0 else [], "languages": ["zh-CN"]})


async def _publish(target: Target, *, sos: int, sos_rate: float, background_rate: float,
                   first_sos_device: int) -> dict[int, float]:
    """Background alarms throughout, SOS at their steady rate; returns device → SOS send."""
    sent: dict[int, float] = {}
    username, password = target.publisher
    async with aiomqtt.Client(target.host, target.port, username=username, password=password,
                              identifier=f"anxin-emergency-bench-{secrets.token_hex(3)}") as client:
        async def event(device: int, kind: str) -> None:
            now = time.time()
            body = {"event_id": f"e{device}-{kind}-{now:.6f}", "type": kind,
                    "ts": _iso(now), "detail": {}}
            await client.publish(f"anxin/v1/devices/bench-{device:05d}/event",
                                 json.dumps(body), qos=1)

        async def background() -> None:
            n = 0
            while True:
                await event(n % BACKGROUND_DEVICES, "low_battery")
                n += 1
                await asyncio.sleep(1 / background_rate)

        noise = asyncio.create_task(background())
        await asyncio.sleep(10)  # the desk settles into its background work first
        for n in range(sos):
            device = first_sos_device + n
            sent[device] = time.time()
            await event(device, "sos")
            await asyncio.sleep(1 / sos_rate)
        await asyncio.sleep(25)  # the last SOS gets its chance to be offered and accepted
        noise.cancel()
    return sent


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat()


async def _sos_alarms(runtime: Runtime) -> tuple[dict[int, int], int]:
    """SOS alarm id → its pendant's number; and how many alarms have two acknowledgements."""
    async with runtime.sessions() as session:
        rows = (await session.execute(select(Alarm.id, Alarm.device_id).where(
            Alarm.kind == "sos"))).all()
        twice = await session.scalar(select(func.count()).select_from(
            select(AlarmStep.alarm_id).where(AlarmStep.action == "acknowledged")
            .group_by(AlarmStep.alarm_id).having(func.count() > 1).subquery()))
    return ({alarm_id: int(str(device)[6:]) for alarm_id, device in rows if device},
            int(twice or 0))


async def run(*, operators: int, sos: int, sos_rate: float, background_rate: float,
              ingest_processes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="anxin-emergency-bench-") as scratch:
        # every desk logs in from 127.0.0.1 at once; call-backs ring the simulator's phones
        with bench_settings(Path(scratch), mqtt_ingest_processes=ingest_processes,
                            login_failure_delay_seconds=0.0,
                            login_rate_burst=operators + 10) as (settings, target):
            app = create_app(settings)
            async with served(app) as port:
                return await _measure(app.state.runtime, target, port, operators=operators,
                                      sos=sos, sos_rate=sos_rate,
                                      background_rate=background_rate)


async def _measure(runtime: Runtime, target: Target, port: int, *, operators: int, sos: int,
                   sos_rate: float, background_rate: float) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    password = secrets.token_urlsafe(12)
    usernames = await _prepare(runtime, operators, sos, password)
    async with httpx.AsyncClient(base_url=base) as http:
        await _skills(http, usernames, password)
    await asyncio.sleep(3)  # the ingest child subscribed (a persistent session)
    seconds = 10 + sos / sos_rate + 30
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    desks = context.Process(target=desk_process, args=(base, usernames, password, seconds, results))
    desks.start()
    await asyncio.sleep(5)  # desk clients logged in and available
    sent = await _publish(target, sos=sos, sos_rate=sos_rate, background_rate=background_rate,
                          first_sos_device=BACKGROUND_DEVICES)
    logs = await asyncio.to_thread(results.get, True, seconds + 120)
    await asyncio.to_thread(desks.join)
    return _summary(await _sos_alarms(runtime), sent, logs)


def _summary(alarms: tuple[dict[int, int], int], sent: dict[int, float],
             logs: list[tuple[dict[int, float], dict[int, float], int]]) -> dict[str, Any]:
    by_alarm, acked_twice = alarms
    offered: dict[int, float] = {}
    accepted: dict[int, list[float]] = {}
    for offers, accepts, _ in logs:
        for alarm_id, at in offers.items():
            offered[alarm_id] = min(at, offered.get(alarm_id, at))
        for alarm_id, at in accepts.items():
            accepted.setdefault(alarm_id, []).append(at)
    offer_ms = [offered[a] - sent[d] for a, d in by_alarm.items() if a in offered and d in sent]
    accept_ms = [min(accepted[a]) - sent[d] for a, d in by_alarm.items()
                 if a in accepted and d in sent]
    return {
        "bench": "emergency", "sos": len(sent), "sos_alarms": len(by_alarm),
        "offered": len(offer_ms),
        "offered_ms": {**_pcts(offer_ms, (0.5, 0.95, 0.99)), "max": _max(offer_ms)},
        "accepted_ms": {**_pcts(accept_ms, (0.5, 0.99)), "max": _max(accept_ms)},
        "double_owned": acked_twice + sum(1 for a in by_alarm if len(accepted.get(a, [])) > 1),
        "unoffered": len(by_alarm) - len(offer_ms) + (len(sent) - len(by_alarm)),
        "lost_races": sum(lost for _, _, lost in logs), "operators": len(logs),
        "targets": {"offered_ms.p99": 1000, "offered_ms.max": 5000},
    }


def _pcts(values: list[float], shares: tuple[float, ...]) -> dict[str, float | None]:
    return {f"p{round(share * 100)}": percentile(values, share) for share in shares}


def _max(values: list[float]) -> float | None:
    return round(max(values) * 1000, 1) if values else None


def command(
    operators: Annotated[int, typer.Option(min=1)] = 20,
    sos: Annotated[int, typer.Option(min=1)] = 200,
    sos_rate: Annotated[float, typer.Option(min=0.1, help="SOS per second")] = 1.0,
    background_rate: Annotated[float, typer.Option(
        min=0.1, help="P4 alarms per second keeping the desk busy")] = 0.5,
    ingest_processes: Annotated[int, typer.Option(min=0)] = 1,
) -> None:
    """SOS → first desk offer and accept, with a busy desk; one JSON line."""
    typer.echo(json.dumps(asyncio.run(run(
        operators=operators, sos=sos, sos_rate=sos_rate, background_rate=background_rate,
        ingest_processes=ingest_processes))))
