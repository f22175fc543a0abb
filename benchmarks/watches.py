"""``anxin bench watches``: thousands of 3G watches on TCP through the gateway to raised alarms.

Each watch holds one TCP connection to the gateway (its own process, ``anxin devices
watch-gateway``, so its memory and CPU are its own), sends INIT, then ``UD`` every 60 s and
``LK`` every 300 s divided by ``--compress``; 1 % of the watches press SOS once, repeating the
AL frame until the gateway replies. Watches run in client processes; the app (ingest, rules)
runs in this one and notes when each alarm is raised. Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import insert

from benchmarks.ingest import percentile
from benchmarks.serving import bench_settings
from config.settings import Settings
from devices import credentials, mosquitto
from devices.models import Device
from devices.watch.frames import Frame, FrameReader, encode
from devices.watch.messages import MODEL
from runtime.context import Runtime
from seniors.models import Senior

UD_SECONDS, LK_SECONDS = 60.0, 300.0
ALARM_SHARE = 0.01
AL_REPEAT_SECONDS = 5.0
CONNECT_AT_ONCE = 200


def raise_fd_limit() -> int:
    """As many open files as the hard limit allows (one socket per watch)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def watch_id(n: int) -> str:
    return f"87{n:08d}"


def position(kind: str, at: datetime, status: int, battery: int) -> str:
    return (f"{kind},{at:%d%m%y},{at:%H%M%S},A,39.904200,N,116.407400,E,0.00,0,50,8,80,"
            f"{battery},1200,0,{status:08x},1,1,460,0,9360,4082,131,0,0.0")


@dataclass
class ClientLog:
    """What one client process saw: connections held, frames sent, AL sent and replied."""

    connected: int = 0
    frames: int = 0
    refused: int = 0
    al_sent: dict[str, float] = field(default_factory=dict)
    al_replied: dict[str, float] = field(default_factory=dict)


class BenchWatch:
    def __init__(self, ident: str, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, log: ClientLog) -> None:
        self.id, self.reader, self.writer, self.log = ident, reader, writer, log
        self.replied = asyncio.Event()
        self.alarming: asyncio.Task[None] | None = None

    def send(self, content: str) -> None:
        self.writer.write(encode("3G", self.id, content))
        self.log.frames += 1

    async def listen(self) -> None:
        frames = FrameReader()
        while data := await self.reader.read(4096):
            for frame in frames.feed(data):
                if isinstance(frame, Frame) and frame.type == "AL":
                    self.log.al_replied.setdefault(self.id, time.time())
                    self.replied.set()

    async def run(self, *, until: float, compress: float, alarm_at: float | None,
                  rng: random.Random) -> None:
        ud, lk = UD_SECONDS / compress, LK_SECONDS / compress
        if alarm_at is not None:
            self.alarming = asyncio.create_task(self.alarm(alarm_at))
        await asyncio.sleep(rng.uniform(0, ud))
        next_lk = time.monotonic() + rng.uniform(0, lk)
        while time.monotonic() < until:
            now = datetime.now(UTC)
            if time.monotonic() >= next_lk:
                self.send(f"LK,{rng.randint(0, 9999)},0,80")
                next_lk += lk
            else:
                self.send(position("UD", now, 0, 80))
            await self.writer.drain()
            await asyncio.sleep(ud)

    async def alarm(self, at: float) -> None:
        """At monotonic time ``at``, press SOS: send AL until the gateway replies."""
        await asyncio.sleep(at - time.monotonic())
        content = position("AL", datetime.now(UTC), 1 << 16, 79)
        self.log.al_sent[self.id] = time.time()
        while not self.replied.is_set():
            self.send(content)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.replied.wait(), AL_REPEAT_SECONDS)


async def _clients(port: int, first: int, count: int, alarms: set[int], seconds: float,
                   compress: float) -> ClientLog:
    raise_fd_limit()
    log = ClientLog()
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    watches: list[BenchWatch] = []

    async def connect(n: int) -> None:
        async with gate:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                log.refused += 1
                return
            watch = BenchWatch(watch_id(n), reader, writer, log)
            watch.send("INIT,0,1,1")
            watches.append(watch)

    await asyncio.gather(*(connect(n) for n in range(first, first + count)))
    log.connected = len(watches)
    until = time.monotonic() + seconds
    rng = random.Random(first)
    tasks = [asyncio.create_task(w.listen()) for w in watches]
    runs = [asyncio.create_task(w.run(
        until=until, compress=compress, rng=random.Random(rng.random()),
        alarm_at=time.monotonic() + rng.uniform(0.1, 0.6) * seconds
        if int(w.id[2:]) in alarms else None)) for w in watches]
    await asyncio.gather(*runs, return_exceptions=True)
    # Alarms still unanswered get the time a watch would keep repeating them.
    alarming = [w.alarming for w in watches if w.alarming is not None]
    if alarming:
        await asyncio.wait(alarming, timeout=30)
    log.connected = min(log.connected, sum(1 for w in watches if not w.reader.at_eof()))
    for task in [*tasks, *alarming]:
        task.cancel()
    for watch in watches:
        watch.writer.close()
    return log


def client_process(port: int, first: int, count: int, alarms: set[int], seconds: float,
                   compress: float, results: Any) -> None:
    log = asyncio.run(_clients(port, first, count, alarms, seconds, compress))
    results.put(log.__dict__)


async def _register(runtime: Runtime, watches: int, alarms: list[int]) -> dict[int, str]:
    """The watches in bulk; each alarming watch has its own senior (one open SOS each)."""
    now = runtime.clock.now()
    password_hash = credentials.hash_password(credentials.new_password())
    async with runtime.sessions() as session:
        seniors = []
        for n in alarms:
            senior = Senior(name=f"Bench {n}", resident_id=f"9{n:017d}", sex="female",
                            birth_date=date(1945, 1, 1), address="bench", district="bench",
                            created_at=now, updated_at=now, languages=[], subsidy_categories=[])
            session.add(senior)
            seniors.append((n, senior))
        await session.flush()
        owner = {n: senior.id for n, senior in seniors}
        rows = [{"id": watch_id(n), "model": MODEL, "kind": "wearable",
                 "senior_id": owner.get(n), "location": "", "heartbeat_seconds": 300,
                 "grace_seconds": 600, "state": "active", "mqtt_password_hash": password_hash,
                 "created_at": now} for n in range(watches)]
        for start in range(0, len(rows), 2000):
            await session.execute(insert(Device), rows[start:start + 2000])
        await session.commit()
    return {senior_id: watch_id(n) for n, senior_id in owner.items()}


def _gateway(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    assert settings.secret_key is not None and settings.biometric_key is not None
    env = {**os.environ, "ANXIN_DATA_DIR": str(settings.data_dir), "ANXIN_DEMO": "0",
           "ANXIN_SECRET_KEY": settings.secret_key.get_secret_value(),
           "ANXIN_BIOMETRIC_KEY": settings.biometric_key.get_secret_value(),
           "ANXIN_MQTT_URL": settings.mqtt_url or "", "ANXIN_LOG_LEVEL": "WARNING",
           "ANXIN_WATCH_PORT": str(port), "ANXIN_WATCH_HOST": "127.0.0.1"}
    anxin = Path(sys.executable).with_name("anxin")
    return subprocess.Popen([str(anxin), "devices", "watch-gateway"], env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _proc(pid: int) -> tuple[float, float]:
    """(peak RSS in MB, CPU seconds) of a process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    peak_kb = next(int(line.split()[1]) for line in status.splitlines()
                   if line.startswith("VmHWM:"))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return peak_kb / 1024, cpu


async def _listening(port: int, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _raised(runtime: Runtime, owners: dict[int, str], seen: dict[str, float]) -> None:
    async with runtime.bus.subscribe() as feed:
        while True:
            event = await feed.next()
            if event.topic == "alarm.raised" and event.data.get("kind") == "sos":
                device = owners.get(int(str(event.data["senior_id"])))
                if device is not None:
                    seen.setdefault(device, time.time())


async def run(*, watches: int, seconds: float, compress: float, clients: int,
              ingest_processes: int) -> dict[str, Any]:
    from benchmarks.serving import create_app

    fd_limit = raise_fd_limit()
    with tempfile.TemporaryDirectory(prefix="anxin-watch-bench-") as scratch:
        with bench_settings(Path(scratch),
                            mqtt_ingest_processes=ingest_processes) as (settings, _):
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                runtime: Runtime = app.state.runtime
                return await _measure(runtime, watches=watches, seconds=seconds,
                                      compress=compress, clients=clients, fd_limit=fd_limit,
                                      scratch=Path(scratch))
    raise AssertionError("unreachable")


async def _measure(runtime: Runtime, *, watches: int, seconds: float, compress: float,
                   clients: int, fd_limit: int, scratch: Path) -> dict[str, Any]:
    rng = random.Random(12349)
    alarms = sorted(rng.sample(range(watches), max(1, round(watches * ALARM_SHARE))))
    owners = await _register(runtime, watches, alarms)
    port = mosquitto.free_port()
    gateway_log = Path(tempfile.gettempdir()) / f"anxin-watch-bench-gateway-{port}.log"
    gateway = _gateway(runtime.settings, port, gateway_log)
    raised: dict[str, float] = {}
    watcher = asyncio.create_task(_raised(runtime, owners, raised))
    try:
        await _listening(port)
        await asyncio.sleep(3)  # the ingest child subscribed; the gateway's uplink connected
        _, cpu_before = _proc(gateway.pid)
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        share = -(-watches // clients)
        processes = [context.Process(target=client_process, args=(
            port, first, min(share, watches - first), set(alarms), seconds, compress, results))
            for first in range(0, watches, share)]
        started = time.monotonic()
        for process in processes:
            process.start()
        logs = [await asyncio.to_thread(results.get, True, seconds + 600) for _ in processes]
        elapsed = time.monotonic() - started
        for process in processes:
            await asyncio.to_thread(process.join)
        await asyncio.sleep(2)  # the last alarms reach the feed
        rss_mb, cpu_after = _proc(gateway.pid)
    finally:
        watcher.cancel()
        gateway.terminate()
        gateway.wait()
    summary = _summary(logs, raised, watches=watches, elapsed=elapsed, seconds=seconds,
                       compress=compress, rss_mb=rss_mb, cpu=cpu_after - cpu_before,
                       fd_limit=fd_limit)
    return {**summary, "gateway_log": str(gateway_log)}


def _summary(logs: list[dict[str, Any]], raised: dict[str, float], *, watches: int,
             elapsed: float, seconds: float, compress: float, rss_mb: float, cpu: float,
             fd_limit: int) -> dict[str, Any]:
    sent = {k: v for log in logs for k, v in log["al_sent"].items()}
    replied = {k: v for log in logs for k, v in log["al_replied"].items()}
    frames = sum(log["frames"] for log in logs)
    to_raised = [raised[d] - at for d, at in sent.items() if d in raised]
    to_reply = [replied[d] - at for d, at in sent.items() if d in replied]
    return {
        "bench": "watches", "watches": watches,
        "connections": sum(log["connected"] for log in logs),
        "refused": sum(log["refused"] for log in logs),
        "frames": frames, "frames_per_s": round(frames / seconds, 1),
        "seconds": seconds, "compress": compress, "elapsed_s": round(elapsed, 1),
        "alarms": len(sent),
        "alarm_to_alarm_raised_ms": {"p50": percentile(to_raised, 0.5),
                                     "p99": percentile(to_raised, 0.99)},
        "al_reply_ms": {"p50": percentile(to_reply, 0.5), "p99": percentile(to_reply, 0.99)},
        "lost": len(sent) - len(to_raised), "unreplied": len(sent) - len(to_reply),
        "gateway_rss_mb": round(rss_mb, 1),
        "gateway_cpu_us_per_frame": round(cpu / max(frames, 1) * 1e6, 1),
        "fd_limit": fd_limit, "load_avg_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "targets": {"connections": watches, "lost": 0, "alarm_to_alarm_raised_ms.p99": 1000},
    }


def command(
    watches: Annotated[int, typer.Option(min=1, help="concurrent TCP watches")] = 10_000,
    seconds: Annotated[float, typer.Option(min=5, help="how long the watches report")] = 60,
    compress: Annotated[float, typer.Option(
        min=0.1, help="time compression: UD every 60/c s, LK every 300/c s")] = 5,
    clients: Annotated[int, typer.Option(min=1, help="watch client processes")] = 2,
    ingest_processes: Annotated[int, typer.Option(min=0)] = 1,
) -> None:
    """3G watches over TCP → gateway → ingest → alarm raised; one JSON line."""
    typer.echo(json.dumps(asyncio.run(run(watches=watches, seconds=seconds, compress=compress,
                                          clients=clients, ingest_processes=ingest_processes)),
                          ensure_ascii=False))
