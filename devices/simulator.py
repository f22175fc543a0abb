"""A fleet of simulated devices for demos and load: realistic traffic over real MQTT.

Vitals drift around each senior's baseline, doors open at night, a fall is followed by no
motion, and so on; the scenarios below are data. The fleet's passwords are kept (0600) in the
data directory so a later run reuses the same devices.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
from sqlalchemy import select

from devices import service
from devices.models import Device
from devices.topics import Channel, topic_for
from runtime.context import Runtime
from seniors import service as seniors_service

FLEET_FILE = "simulator-fleet.json"
FLEET_MODELS = ("anxin-watch", "door-sensor", "motion-sensor", "tb-wristband", "bed-sensor",
                "anxin-pendant", "smoke-detector")


@dataclass(frozen=True, slots=True)
class Scenario:
    """How likely each kind of incident is per message a device sends."""

    name: str
    sos: float = 0.0
    fall: float = 0.0
    night_door: float = 0.0
    motion: bool = True
    goes_offline: bool = False


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("normal", sos=0.001),
    Scenario("sos", sos=0.2),
    Scenario("fall", fall=0.1),
    Scenario("wander", night_door=0.3),
    Scenario("inactivity", motion=False),
    Scenario("offline", goes_offline=True),
)}
SCENARIO_NAMES = (*SCENARIOS, "mixed")


@dataclass
class SimulatedDevice:
    id: str
    password: str
    model: str
    scenario: Scenario
    baseline_heart_rate: float
    battery: float = 100.0
    fallen: bool = False
    offline: bool = False
    sent: int = 0
    rng: random.Random = field(default_factory=random.Random)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _event(device: SimulatedDevice, kind: str, **detail: Any) -> tuple[Channel, dict[str, Any]]:
    return Channel.EVENT, {"event_id": f"{kind}-{secrets.token_hex(6)}", "ts": _now(),
                           "type": kind, "detail": detail}


def next_message(device: SimulatedDevice, *, night: bool) -> tuple[Channel, dict[str, Any]]:
    """The next thing this device says, following its scenario."""
    rng, s = device.rng, device.scenario
    device.battery = max(5.0, device.battery - rng.random() * 0.05)
    if s.goes_offline and device.sent >= 3:
        device.offline = True
        return Channel.STATUS, {"state": "offline", "battery": round(device.battery, 1)}
    if device.model in ("anxin-watch", "anxin-pendant") and rng.random() < s.fall:
        device.fallen = True
        return _event(device, "fall", confidence=round(rng.uniform(0.7, 0.99), 2))
    if device.model in ("anxin-watch", "anxin-pendant", "tb-wristband") and rng.random() < s.sos:
        if device.model == "tb-wristband":
            return Channel.TELEMETRY, {"pulse": 110, "battery": round(device.battery),
                                       "panicButton": True, "ts": int(time.time() * 1000)}
        return _event(device, "sos")
    if device.model == "anxin-watch":
        device.baseline_heart_rate += rng.uniform(-0.5, 0.5)
        return Channel.TELEMETRY, {"ts": _now(), "values": {
            "heart_rate": round(device.baseline_heart_rate + rng.gauss(0, 3)),
            "spo2": round(rng.uniform(94, 99)), "temperature": round(rng.gauss(36.5, 0.2), 1),
            "battery": round(device.battery, 1)}}
    if device.model == "tb-wristband":
        return Channel.TELEMETRY, {"pulse": round(device.baseline_heart_rate + rng.gauss(0, 3)),
                                   "temperature": round(rng.gauss(36.5, 0.2), 1),
                                   "battery": round(device.battery), "noise": rng.randint(25, 60),
                                   "panicButton": False}
    if device.model == "door-sensor" and (rng.random() < (s.night_door if night else 0.2)):
        return _event(device, rng.choice(("door_open", "door_close")))
    if device.model == "motion-sensor" and s.motion and not device.fallen:
        return _event(device, "motion")
    if device.model == "bed-sensor":
        return _event(device, "bed_exit" if night and rng.random() < 0.5 else "bed_enter")
    return Channel.STATUS, {"state": "online", "battery": round(device.battery, 1)}


async def ensure_fleet(runtime: Runtime, *, count: int, scenario: str,
                       seed: int = 12349) -> list[SimulatedDevice]:
    """Reuse the fleet recorded in the data directory, provisioning devices that are missing."""
    path = runtime.settings.data_dir / FLEET_FILE
    known: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
    async with runtime.sessions() as session:
        existing = set((await session.execute(select(Device.id))).scalars())
        known = {k: v for k, v in known.items() if k in existing}
        seniors = [senior.id for senior in await seniors_service.first_seniors(
            session, limit=count)]
        n = len(known)
        while len(known) < count:
            model = FLEET_MODELS[n % len(FLEET_MODELS)]
            device, password = await service.provision_device(
                session, model_id=model, senior_id=seniors[n % len(seniors)] if seniors else None,
                location="simulated", device_id=f"sim-{n:05d}", now=runtime.clock.now())
            known[device.id] = {"password": password, "model": model}
            n += 1
        await session.commit()
    _write_private(path, json.dumps(known))
    rng = random.Random(seed)
    chosen = list(SCENARIOS.values())
    fleet = []
    for device_id, entry in sorted(known.items())[:count]:
        pick = rng.choice(chosen) if scenario == "mixed" else SCENARIOS[scenario]
        fleet.append(SimulatedDevice(device_id, entry["password"], entry["model"], pick,
                                     rng.uniform(62, 88), rng=random.Random(rng.random())))
    return fleet


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(text)


async def run_fleet(fleet: list[SimulatedDevice], *, host: str, port: int, rate: float,
                    seconds: float, on_sent: Callable[[int], None] | None = None) -> int:
    """Connect every device and publish ``rate`` messages a second in all for ``seconds``."""
    async with asyncio.TaskGroup() as group:
        clients = [group.create_task(_connect(device, host, port)) for device in fleet]
    connected = [task.result() for task in clients]
    sent = 0
    try:
        started = time.monotonic()
        tick = 0.1
        per_tick = rate * tick
        budget = 0.0
        index = 0
        while time.monotonic() - started < seconds:
            budget += per_tick
            night = datetime.now().hour in (22, 23, 0, 1, 2, 3, 4, 5)  # noqa: DTZ005 - local night
            while budget >= 1:
                budget -= 1
                device, client = fleet[index % len(fleet)], connected[index % len(fleet)]
                index += 1
                if device.offline:
                    continue
                channel, body = next_message(device, night=night)
                device.sent += 1
                await client.publish(topic_for(device.id, channel), json.dumps(body), qos=1,
                                     retain=channel is Channel.STATUS)
                sent += 1
                if on_sent:
                    on_sent(1)
            await asyncio.sleep(tick)
    finally:
        for client in connected:
            await client.__aexit__(None, None, None)
    return sent


async def _connect(device: SimulatedDevice, host: str, port: int) -> aiomqtt.Client:
    offline = json.dumps({"state": "offline"})
    client = aiomqtt.Client(host, port, username=device.id, password=device.password,
                            identifier=device.id, will=aiomqtt.Will(
                                topic_for(device.id, Channel.STATUS), offline, qos=1, retain=True))
    await client.__aenter__()
    await client.publish(topic_for(device.id, Channel.STATUS), qos=1, retain=True,
                         payload=json.dumps({"state": "online", "battery": device.battery}))
    return client
