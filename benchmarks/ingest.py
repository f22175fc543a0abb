"""``anxin bench ingest``: offered vs accepted rate, loss, duplicates, latency, and the ingest's
drain rate against a bare aiomqtt consumer that only parses JSON, on the same broker.

Phase 1 offers ``rate`` msg/s for ``seconds`` to the ingest and waits for it to drain. Phase 2
queues the same backlog for two offline persistent sessions, then times the bare consumer and
the ingest draining it one after the other. Publishers are separate processes that log in as a
bench account allowed to publish for every device (the ingest does not see connections).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import resource
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiomqtt
from pydantic import SecretStr
from sqlalchemy import func, insert, select

from benchmarks.database import backend_name
from benchmarks.serving import open_runtime
from config.settings import Settings
from devices import credentials, mosquitto
from devices.ingest import SUBSCRIPTIONS, BatchOutcome, BrokerAddress, Ingest
from devices.models import Device, DeviceReading, StoredDeviceEvent
from runtime.clock import SystemClock
from runtime.context import Runtime

BENCH_USER = "anxin-bench"
SOS_EVERY = 50
BACKLOG_SEQ = 10_000_000  # phase 2's sequence numbers start here
DRAIN_GROUP = "anxin-bench-drain"
# Six hours ago, on the hour: every stamp the bench sends (at most a few hours of milliseconds
# later) is inside the window the ingest keeps (a fixed date fell out of it and was refused).
START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=6)


def stamp(seq: int) -> str:
    """Message ``seq``'s measurement time: one millisecond apart, as distinct as a device's
    own readings are (a reading is stored once per device, time and metric)."""
    return (START + timedelta(milliseconds=seq)).isoformat()


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    service: tuple[str, str]
    publisher: tuple[str, str]


@dataclass
class Observed:
    """What the ingest's commit observer saw."""

    committed: int = 0
    batches: int = 0
    first_sent: float | None = None
    latencies: list[float] = field(default_factory=list)
    sos_latencies: list[float] = field(default_factory=list)
    last_commit: float = 0.0

    def __call__(self, outcome: BatchOutcome) -> None:
        self.committed += len(outcome.stored)
        self.batches += 1
        self.last_commit = outcome.committed_at
        for inbound in outcome.stored:
            if inbound.sent_at is None:
                continue
            if self.first_sent is None or inbound.sent_at < self.first_sent:
                self.first_sent = inbound.sent_at
            latency = outcome.committed_at - inbound.sent_at
            self.latencies.append(latency)
            if inbound.events:
                self.sos_latencies.append(latency)


def message_for(seq: int, device_id: str) -> tuple[str, bytes]:
    """Telemetry stamped with its sequence number and send time; every 50th an SOS event."""
    if seq % SOS_EVERY == 0:
        body: dict[str, Any] = {"event_id": f"bench-{seq}", "ts": stamp(seq), "type": "sos",
                                "sent_at": time.time()}
        return f"anxin/v1/devices/{device_id}/event", json.dumps(body).encode()
    body = {"ts": stamp(seq), "values": {"heart_rate": 60 + seq % 40}, "seq": seq,
            "sent_at": time.time()}
    return f"anxin/v1/devices/{device_id}/telemetry", json.dumps(body).encode()


MessageMaker = Callable[[int, str], tuple[str, bytes]]


PUBLISH_TIMEOUT = 30.0  # seconds for one PUBACK; a loaded 2-core machine can take several
PUBLISH_ATTEMPTS = 3


@dataclass(frozen=True)
class PublishReport:
    """What the publishers did: messages sent, and the sequence numbers published more than
    once (a retry after a timeout may reach the broker twice; not the ingest's duplicate)."""

    sent: int
    retried: frozenset[int] = frozenset()
    # Wall-clock seconds (epoch) when the first publisher began sending and the last one had
    # every PUBACK: the window the load was offered in, without the processes' start-up.
    began: float = 0.0
    ended: float = 0.0


def publish_process(target: Target, index: int, publishers: int, devices: int, rate: float,
                    seconds: float, results: Any, make: MessageMaker = message_for) -> None:
    """Child process: publish this publisher's share of the sequence numbers at its rate."""
    try:
        began: list[float] = []
        sent, retried = asyncio.run(
            _publish(target, index, publishers, devices, rate, seconds, make, began))
        results.put((sent, sorted(retried), began[0] if began else time.time(), time.time()))
    except BaseException as error:
        results.put(f"publisher {index} failed: {error!r}")
        raise


async def _publish(target: Target, index: int, publishers: int, devices: int, rate: float,
                   seconds: float, make: MessageMaker, began: list[float]
                   ) -> tuple[int, set[int]]:
    """Publish at the rate; what times out or fails (a connection lost under load) is sent
    again on a fresh connection afterwards and its sequence number reported as retried."""
    username, password = target.publisher
    unconfirmed: dict[int, tuple[str, bytes]] = {}

    def connect() -> aiomqtt.Client:
        return aiomqtt.Client(target.host, target.port, username=username, password=password,
                              identifier=f"anxin-bench-pub-{index}-{secrets.token_hex(3)}",
                              max_inflight_messages=1000, timeout=PUBLISH_TIMEOUT)

    async def publish(client: aiomqtt.Client, seq: int, topic: str, payload: bytes) -> None:
        try:
            await client.publish(topic, payload, qos=1, timeout=PUBLISH_TIMEOUT)
        except aiomqtt.MqttError:
            unconfirmed[seq] = (topic, payload)

    sent = 0
    with contextlib.suppress(aiomqtt.MqttError):  # a lost connection: the rest is retried
        async with connect() as client:
            client.pending_calls_threshold = 1_000_000
            tick, started = 0.01, time.monotonic()
            began.append(time.time())
            seq = index
            pending: set[asyncio.Task[None]] = set()
            while time.monotonic() - started < seconds:
                due = int((time.monotonic() - started) * rate) - sent
                for _ in range(max(due, 0)):
                    topic, payload = make(seq, f"bench-{seq % devices:05d}")
                    task = asyncio.create_task(publish(client, seq, topic, payload))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                    seq += publishers
                    sent += 1
                await asyncio.sleep(tick)
            if pending:
                await asyncio.gather(*pending)
    retried = set(unconfirmed)
    for _ in range(PUBLISH_ATTEMPTS):
        if not unconfirmed:
            break
        again = dict(unconfirmed)
        with contextlib.suppress(aiomqtt.MqttError):
            async with connect() as client:
                client.pending_calls_threshold = 1_000_000
                unconfirmed.clear()  # what fails again is put back by publish()
                await asyncio.gather(*(publish(client, seq, topic, payload)
                                       for seq, (topic, payload) in again.items()))
    if unconfirmed:
        raise RuntimeError(f"{len(unconfirmed)} messages unconfirmed after "
                           f"{PUBLISH_ATTEMPTS} retries")
    return sent, retried


def publish_traffic(target: Target, *, publishers: int, devices: int, rate: float,
                    seconds: float, make: MessageMaker = message_for) -> PublishReport:
    """Publisher processes offering ``rate`` msg/s between them."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=publish_process, args=(
        target, i, publishers, devices, rate / publishers, seconds, results, make))
        for i in range(publishers)]
    for process in processes:
        process.start()
    sent, retried, began, ended = 0, set(), [], []
    for _ in processes:
        result = results.get(timeout=seconds + PUBLISH_TIMEOUT * PUBLISH_ATTEMPTS + 60)
        if isinstance(result, str):
            raise RuntimeError(result)
        sent += int(result[0])
        retried.update(result[1])
        began.append(float(result[2]))
        ended.append(float(result[3]))
    for process in processes:
        process.join()
    return PublishReport(sent, frozenset(retried), min(began), max(ended))


def run_publishers(target: Target, *, publishers: int, devices: int, rate: float,
                   seconds: float, make: MessageMaker = message_for) -> int:
    """Like ``publish_traffic``, returning only how many were sent."""
    return publish_traffic(target, publishers=publishers, devices=devices, rate=rate,
                           seconds=seconds, make=make).sent


@contextmanager
def bench_broker(workdir: Path, mqtt_url: str | None, service_password: str
                 ) -> Iterator[Target]:
    if mqtt_url:
        url = urlsplit(mqtt_url)
        account = (url.username or credentials.SERVICE_USERNAME, url.password or service_password)
        yield Target(url.hostname or "127.0.0.1", url.port or 1883, account, account)
        return
    directory = workdir / "mosquitto"
    publisher_password = credentials.new_password()
    mosquitto.export(directory, [
        credentials.BrokerUser(credentials.SERVICE_USERNAME,
                               credentials.hash_password(service_password), is_service=True),
        credentials.BrokerUser(BENCH_USER, credentials.hash_password(publisher_password)),
    ], service_username=credentials.SERVICE_USERNAME, service_listener=False)
    with (directory / "acl").open("a") as acl:
        acl.write(f"\nuser {BENCH_USER}\ntopic write anxin/v1/devices/#\n")
    # One TCP listener for the service and the publishers (many client ids for one bench
    # user), unlike the app's broker, which forces device client ids and splits the service off.
    broker = mosquitto.MosquittoProcess(directory, mosquitto.free_port(),
                                        service_listener=False)
    broker.start()
    try:
        yield Target("127.0.0.1", broker.port, (credentials.SERVICE_USERNAME, service_password),
                     (BENCH_USER, publisher_password))
    finally:
        broker.stop()


async def register_fleet(runtime: Runtime, devices: int) -> None:
    """Bench devices, inserted in bulk; they never log in themselves."""
    password_hash = credentials.hash_password(credentials.new_password())
    now = runtime.clock.now()
    rows = [{"id": f"bench-{n:05d}", "model": "anxin-watch", "kind": "wearable",
             "senior_id": None, "location": "", "heartbeat_seconds": 60, "grace_seconds": 120,
             "state": "active", "mqtt_password_hash": password_hash, "created_at": now}
            for n in range(devices)]
    async with runtime.sessions() as session:
        for start in range(0, len(rows), 2000):
            await session.execute(insert(Device), rows[start:start + 2000])
        await session.commit()


async def wait_drained(observed: Observed, expected: int, *, quiet: float = 5.0) -> None:
    """Until every expected message is committed, or nothing was committed for ``quiet`` s."""
    last, since = -1, time.monotonic()
    while observed.committed < expected:
        if observed.committed != last:
            last, since = observed.committed, time.monotonic()
        elif time.monotonic() - since > quiet:
            return
        await asyncio.sleep(0.05)


async def bare_consumer(target: Target, *, expected: int | None, identifier: str
                        ) -> tuple[float, float]:
    """Drain the backlog parsing JSON only: (messages per second, CPU µs per message); zeros
    when only priming the session. The clock starts before connecting, as for the ingest:
    the broker starts sending a persistent session's backlog right after CONNECT."""
    username, password = target.service
    started, cpu = time.monotonic(), time.process_time()
    async with aiomqtt.Client(target.host, target.port, username=username, password=password,
                              identifier=identifier, clean_session=False,
                              max_inflight_messages=1000, timeout=PUBLISH_TIMEOUT) as client:
        for topic in SUBSCRIPTIONS:
            await client.subscribe(topic, qos=1)
        if expected is None:
            return 0.0, 0.0
        count = 0
        async for message in client.messages:
            json.loads(message.payload)
            count += 1
            if count >= expected:
                break
        return (count / max(time.monotonic() - started, 1e-6),
                (time.process_time() - cpu) / max(count, 1) * 1e6)


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)


async def stored_counts(runtime: Runtime, retried: frozenset[int] = frozenset()
                        ) -> tuple[int, int, int]:
    """(distinct sequence numbers stored, duplicate rows, events stored); readings whose
    publish was retried do not count as duplicates (the broker may have had them twice)."""
    counted = select(DeviceReading.seq)
    if retried:
        counted = counted.where(DeviceReading.seq.not_in(retried))
    counted_rows = counted.subquery()
    async with runtime.sessions() as session:
        rows = int(await session.scalar(select(func.count()).select_from(counted_rows)) or 0)
        distinct = int(await session.scalar(
            select(func.count(func.distinct(counted_rows.c.seq)))) or 0)
        retried_stored = 0
        if retried:  # each counted once, whatever the broker delivered
            retried_stored = int(await session.scalar(
                select(func.count(func.distinct(DeviceReading.seq)))
                .where(DeviceReading.seq.in_(retried))) or 0)
        events = int(await session.scalar(select(func.count()).select_from(StoredDeviceEvent))
                     or 0)
    return distinct + retried_stored + events, rows - distinct, events


def backlog_message_for(seq: int, device_id: str) -> tuple[str, bytes]:
    """Phase-2 traffic: numbered after phase 1's, so its readings and events are new rows."""
    return message_for(BACKLOG_SEQ + seq, device_id)


def drain_worker_process(database_url: str, address: BrokerAddress, index: int, ready: Any,
                         go: Any) -> None:
    """Child process: one drain worker on the shared phase-2 subscription, started on ``go``."""
    from storage.engine import create_engine, create_sessionmaker

    async def work() -> None:
        engine = create_engine(database_url)
        ingest = Ingest(sessions=create_sessionmaker(engine), clock=SystemClock(),
                        broker=address, client_id=f"anxin-bench-drain-{index}",
                        share_group=DRAIN_GROUP)
        ready.set()
        await asyncio.to_thread(go.wait, 300)
        await ingest.run()

    asyncio.run(work())


async def drain_with_workers(runtime: Runtime, address: BrokerAddress, *, workers: int,
                             queued: int) -> float:
    """Drain the phase-2 backlog with ``workers`` processes on one shared subscription;
    returns their combined rate, from the go signal to the last stored row."""
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    processes = []
    for index in range(workers):
        ready = context.Event()
        process = context.Process(target=drain_worker_process, args=(
            runtime.settings.resolved_database_url, address, index, ready, go), daemon=True)
        process.start()
        processes.append((process, ready))
    for _, ready in processes:
        await asyncio.to_thread(ready.wait, 120)
    before, _, _ = await stored_counts(runtime)
    go.set()
    started = time.time()
    # Processes connecting on a loaded machine may take a while to store their first batch.
    finished = await wait_stored(runtime, before + queued, first=60)
    after, _, _ = await stored_counts(runtime)
    for process, _ in processes:
        process.terminate()
        process.join(10)
    return (after - before) / max(finished - started, 1e-6)


def worker_process(database_url: str, address: BrokerAddress, index: int, ready: Any) -> None:
    """Child process: one more ingest worker on the shared subscription."""
    from storage.engine import create_engine, create_sessionmaker

    async def work() -> None:
        engine = create_engine(database_url)
        ingest = Ingest(sessions=create_sessionmaker(engine), clock=SystemClock(),
                        broker=address, client_id=f"anxin-bench-ingest-{index}",
                        share_group="anxin-bench")
        task = asyncio.create_task(ingest.run())
        await ingest.connected.wait()
        ready.set()
        await task

    asyncio.run(work())


async def run_bench(*, devices: int, rate: float, seconds: float, publishers: int,
                    mqtt_url: str | None, backlog: int | None, workers: int = 1,
                    drain_workers: int = 1, database_url: str | None = None
                    ) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="anxin-bench-") as scratch:
        workdir = Path(scratch)
        settings = Settings(data_dir=workdir / "var", demo=False, mqtt_enabled=False,
                            database_url=database_url,
                            secret_key=SecretStr(secrets.token_urlsafe(40)),
                            biometric_key=SecretStr(secrets.token_urlsafe(40)))
        service_password = credentials.service_password(settings.data_dir)
        with bench_broker(workdir, mqtt_url, service_password) as target:
            async with open_runtime(settings, SystemClock()) as runtime:
                await register_fleet(runtime, devices)
                result = await _measure(runtime, target, devices=devices, rate=rate,
                                        seconds=seconds, publishers=publishers,
                                        backlog=backlog, workers=workers,
                                        drain_workers=drain_workers)
                return {**result, "database": backend_name(database_url)}


async def wait_stored(runtime: Runtime, expected: int, *, quiet: float = 5.0,
                      first: float = 5.0) -> float:
    """Poll the database until every message is stored (or none for ``quiet`` s, or nothing at
    all for ``first`` s); returns the time the count last grew."""
    initial, _, _ = await stored_counts(runtime)
    last, grew = initial, time.time()
    while True:
        stored, _, _ = await stored_counts(runtime)
        if stored != last:
            last, grew = stored, time.time()
        patience = first if stored == initial else quiet
        if stored >= expected or time.time() - grew > patience:
            return grew
        await asyncio.sleep(0.2)


async def _run_for_a_moment(ingest: Ingest) -> None:
    """Connect and subscribe once, so the broker keeps messages for this session from now on."""
    task = asyncio.create_task(ingest.run())
    await asyncio.wait_for(ingest.connected.wait(), 30)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _measure(runtime: Runtime, target: Target, *, devices: int, rate: float,
                   seconds: float, publishers: int, backlog: int | None,
                   workers: int, drain_workers: int) -> dict[str, Any]:
    address = BrokerAddress(target.host, target.port, *target.service)
    observed = Observed()
    single = Ingest(sessions=runtime.sessions, clock=runtime.clock, broker=address,
                    client_id="anxin-bench-ingest")
    await bare_consumer(target, expected=None, identifier="anxin-bench-bare")
    await _run_for_a_moment(single)
    for index in range(drain_workers if drain_workers > 1 else 0):
        await _run_for_a_moment(Ingest(sessions=runtime.sessions, clock=runtime.clock,
                                       broker=address, client_id=f"anxin-bench-drain-{index}",
                                       share_group=DRAIN_GROUP))

    # Phase 1: the offered load, on one ingest or on `workers` sharing a subscription.
    ingest = Ingest(sessions=runtime.sessions, clock=runtime.clock, broker=address,
                    client_id="anxin-bench-ingest" if workers == 1 else "anxin-bench-ingest-0",
                    share_group=None if workers == 1 else "anxin-bench", on_commit=observed)
    context = multiprocessing.get_context("spawn")
    helpers = []
    for index in range(1, workers):
        ready = context.Event()
        process = context.Process(target=worker_process, args=(
            runtime.settings.resolved_database_url, address, index, ready), daemon=True)
        process.start()
        helpers.append((process, ready))
    task = asyncio.create_task(ingest.run())
    await asyncio.wait_for(ingest.connected.wait(), 30)
    for _, ready in helpers:
        await asyncio.to_thread(ready.wait, 60)
    started = time.time()
    report = await asyncio.to_thread(publish_traffic, target, publishers=publishers,
                                     devices=devices, rate=rate, seconds=seconds)
    sent = report.sent
    finished = await wait_stored(runtime, sent)
    stored, duplicates, _ = await stored_counts(runtime, report.retried)
    # One worker: its own last commit, not the poll that noticed it (up to 0.2 s and a count
    # later); with several, the others' commits are only seen by polling.
    if workers == 1 and observed.committed >= stored:
        finished = observed.last_commit
    accepted_rate = stored / max(finished - (observed.first_sent or started), 1e-6)
    latencies, sos = list(observed.latencies), list(observed.sos_latencies)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    for process, _ in helpers:
        process.terminate()
        process.join(10)

    # Phase 2: the same backlog for both, queued while both sessions are offline.
    queued_report = await asyncio.to_thread(
        publish_traffic, target, publishers=publishers, devices=devices,
        rate=(backlog or sent) / 5, seconds=5, make=backlog_message_for)
    queued = queued_report.sent
    bare_rate, bare_cpu = await bare_consumer(target, expected=queued,
                                              identifier="anxin-bench-bare")
    ingest_cpu: float | None = None
    if drain_workers > 1:
        ingest_rate = await drain_with_workers(runtime, address, workers=drain_workers,
                                               queued=queued)
    else:
        drain = Observed()
        single.on_commit = drain
        cpu_started, drain_started = time.process_time(), time.time()
        task = asyncio.create_task(single.run())
        await wait_drained(drain, queued)
        ingest_cpu = (time.process_time() - cpu_started) / max(drain.committed, 1) * 1e6
        ingest_rate = drain.committed / max(drain.last_commit - drain_started, 1e-6)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return {
        "bench": "ingest", "devices": devices, "publishers": publishers, "workers": workers,
        "seconds": seconds, "sent": sent,
        "offered_msg_s": round(sent / seconds, 1),
        "accepted_msg_s": round(accepted_rate, 1),
        "lost": sent - stored, "duplicates_stored": duplicates,
        "publish_retries": len(report.retried) + len(queued_report.retried),
        "latency_ms": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                       "p99": percentile(latencies, 0.99)},
        "sos_latency_ms": {"p50": percentile(sos, 0.5), "p99": percentile(sos, 0.99),
                           "count": len(sos)},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "backlog": queued,
        "mean_batch": round(observed.committed / max(observed.batches, 1), 1),
        "drain_workers": drain_workers,
        "ingest_drain_msg_s": round(ingest_rate, 1),
        "bare_consumer_msg_s": round(bare_rate, 1),
        "ratio": round(ingest_rate / bare_rate, 3) if bare_rate else None,
        "cpu_us_per_msg": {"ingest": None if ingest_cpu is None else round(ingest_cpu, 1),
                           "bare": round(bare_cpu, 1)},
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
