"""Simulated 3G watches for demos and the benchmark: real TCP connections to the gateway.

Each watch sends INIT, then heartbeats (LK), position reports (UD) near its senior's home and
heart rates; its scenario adds SOS presses, falls, wandering out of the geofence and being
taken off the wrist as AL frames, which it repeats until the gateway replies AL.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from devices import service
from devices.models import Device
from devices.watch.frames import Frame, FrameReader, encode
from devices.watch.messages import MODEL
from runtime.context import Runtime
from seniors import service as seniors_service

HOME = (39.9042, 116.4074)  # for seniors without coordinates
SOS, LEFT_FENCE, REMOVED, FALL = 1 << 16, 1 << 18, 1 << 20, 1 << 21
OUTSIDE_FENCE = 1 << 1
AL_REPEAT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class WatchScenario:
    """How likely each incident is per frame a watch sends."""

    name: str
    sos: float = 0.0
    fall: float = 0.0
    wander: bool = False
    removed: float = 0.0


WATCH_SCENARIOS: dict[str, WatchScenario] = {s.name: s for s in (
    WatchScenario("normal", sos=0.002),
    WatchScenario("sos", sos=0.2),
    WatchScenario("fall", fall=0.1),
    WatchScenario("wander", wander=True),
    WatchScenario("off_wrist", removed=0.1),
)}
WATCH_SCENARIO_NAMES = (*WATCH_SCENARIOS, "mixed")


@dataclass
class SimulatedWatch:
    id: str
    home: tuple[float, float]
    scenario: WatchScenario
    battery: float = 100.0
    steps: int = 0
    meters_away: float = 0.0
    sent: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def position(self) -> tuple[float, float]:
        """Near home, or ``meters_away`` north-east of it while wandering."""
        lat, lon = self.home
        away = self.meters_away + self.rng.uniform(0, 30)
        return (lat + away / 111_000 * math.sqrt(0.5),
                lon + away / (111_000 * math.cos(math.radians(lat))) * math.sqrt(0.5))


def position_content(kind: str, watch: SimulatedWatch, at: datetime, status: int = 0) -> str:
    """A UD or AL frame's content for the watch's current position."""
    lat, lon = watch.position()
    return (f"{kind},{at:%d%m%y},{at:%H%M%S},A,{lat:.6f},N,{lon:.6f},E,0.00,0,50,8,80,"
            f"{round(watch.battery)},{watch.steps},0,{status:08x},1,1,460,0,9360,4082,131,0,0.0")


def next_content(watch: SimulatedWatch, at: datetime) -> str:
    """What the watch says next, following its scenario."""
    rng, s = watch.rng, watch.scenario
    watch.sent += 1
    watch.battery = max(5.0, watch.battery - rng.random() * 0.05)
    watch.steps += rng.randint(0, 40)
    if s.wander:
        watch.meters_away += rng.uniform(20, 80)
        if watch.meters_away > 600 and rng.random() < 0.2:
            return position_content("AL", watch, at, LEFT_FENCE | OUTSIDE_FENCE)
    for chance, bit in ((s.sos, SOS), (s.fall, FALL), (s.removed, REMOVED)):
        if rng.random() < chance:
            return position_content("AL", watch, at, bit)
    roll = rng.random()
    if roll < 0.2:
        return f"LK,{watch.steps},0,{round(watch.battery)}"
    if roll < 0.3:
        return f"heart,{round(rng.gauss(74, 4))}"
    return position_content("UD", watch, at, OUTSIDE_FENCE if watch.meters_away > 500 else 0)


async def ensure_watches(runtime: Runtime, *, count: int, scenario: str,
                         seed: int = 12349) -> list[SimulatedWatch]:
    """Provision (or reuse) ``count`` 3g-watch devices for the first seniors."""
    async with runtime.sessions() as session:
        seniors = await seniors_service.first_seniors(session, limit=count)
        ids = [f"86{n:08d}" for n in range(count)]
        existing = set((await session.execute(
            select(Device.id).where(Device.id.in_(ids)))).scalars())
        homes = []
        for n, device_id in enumerate(ids):
            senior = seniors[n % len(seniors)] if seniors else None
            if device_id not in existing:
                await service.provision_device(
                    session, model_id=MODEL, senior_id=senior.id if senior else None,
                    location="simulated", device_id=device_id, now=runtime.clock.now())
            homes.append((senior.home if senior else None) or HOME)
        await session.commit()
    rng = random.Random(seed)
    return [SimulatedWatch(device_id, home, _pick(scenario, rng), rng=random.Random(rng.random()))
            for device_id, home in zip(ids, homes, strict=True)]


def _pick(scenario: str, rng: random.Random) -> WatchScenario:
    if scenario == "mixed":
        return rng.choice(list(WATCH_SCENARIOS.values()))
    return WATCH_SCENARIOS[scenario]


class WatchLink:
    """One simulated watch's TCP connection: send frames, repeat AL until it is replied."""

    def __init__(self, watch: SimulatedWatch, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.watch, self.reader, self.writer = watch, reader, writer
        self.replies: asyncio.Queue[Frame] = asyncio.Queue()
        self.al_replied = asyncio.Event()

    @classmethod
    async def open(cls, watch: SimulatedWatch, host: str, port: int) -> WatchLink:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(watch, reader, writer)

    async def send(self, content: str) -> None:
        self.writer.write(encode("3G", self.watch.id, content))
        await self.writer.drain()

    async def listen(self, on_frame: Callable[[Frame], None] | None = None) -> None:
        """Read the gateway's frames; answer commands as a watch does."""
        frames = FrameReader()
        while data := await self.reader.read(4096):
            for frame in frames.feed(data):
                if not isinstance(frame, Frame):
                    continue
                if on_frame is not None:
                    on_frame(frame)
                if frame.type == "AL":
                    self.al_replied.set()
                elif frame.type not in ("LK", "INIT"):
                    await self.send(frame.type)  # a command: acknowledge it

    async def alarm(self, content: str, repeat: float = AL_REPEAT_SECONDS) -> None:
        """Send an AL frame and repeat it until the gateway replies AL."""
        self.al_replied.clear()
        while True:
            await self.send(content)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.al_replied.wait(), repeat)
                return

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


async def run_watches(watches: list[SimulatedWatch], *, host: str, port: int, rate: float,
                      seconds: float, on_sent: Callable[[int], None] | None = None) -> int:
    """Connect every watch (INIT) and send ``rate`` frames a second in all for ``seconds``."""
    links = [await WatchLink.open(watch, host, port) for watch in watches]
    tasks = [asyncio.create_task(link.listen()) for link in links]
    sent = 0
    try:
        for link in links:
            await link.send("INIT,0,1,1")
        started, index, budget = time.monotonic(), 0, 0.0
        while time.monotonic() - started < seconds:
            budget += rate * 0.1
            while budget >= 1:
                budget -= 1
                link = links[index % len(links)]
                index += 1
                content = next_content(link.watch, datetime.now(UTC))
                if content.startswith("AL"):
                    tasks.append(asyncio.create_task(link.alarm(content)))
                else:
                    await link.send(content)
                sent += 1
                if on_sent:
                    on_sent(1)
            await asyncio.sleep(0.1)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for link in links:
            await link.close()
    return sent
