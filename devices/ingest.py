"""The ingest: MQTT messages in, committed rows out, and only then acknowledged.

The broker hands us QoS 1 messages through a small port (devices/consumer.py, on paho-mqtt's
public manual-ack API) that holds back each PUBACK until the batch holding the message is
committed. If this process dies before the commit, the broker
still owns the message and redelivers it to the same persistent session (fixed client id,
clean_session off) when we reconnect. Events are deduplicated on (device, event_id), so a
redelivered event is stored once and acknowledged to its device again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import unquote, urlsplit

import aiomqtt
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy import Float, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from accounts.audiences import audience
from config.settings import Settings
from devices import credentials, events
from devices.adapters import ADAPTERS
from devices.catalogue import DEVICE_MODELS, DeviceModel
from devices.consumer import BrokerConsumer, ConsumerError, Delivery
from devices.dead_letters import DeadLetterLimit
from devices.exceptions import IngestStalledError, PayloadError
from devices.ingest_health import IngestHealth
from devices.models import DeadLetter, Device, DeviceReading, StoredDeviceEvent
from devices.telemetry import DeviceEvent, Inbound
from devices.topics import (
    PREFIX,
    THINGSBOARD_TELEMETRY,
    Channel,
    is_reserved,
    parse_topic,
    topic_for,
)
from runtime.bus import EventBus
from runtime.clock import Clock

log = logging.getLogger(__name__)
DEAD_LETTER_BYTES = 4096
# Payloads larger than this per channel become dead letters unread: no device needs more, and
# parsing is where a large payload would cost the ingest its time.
PAYLOAD_LIMITS = {Channel.TELEMETRY: 16 * 1024, Channel.EVENT: 8 * 1024, Channel.STATUS: 1024}
# The ingest's self-check (devices/ingest_health.py): a probe this often, and "not consuming"
# after this long without any message from the broker.
PROBE_SECONDS = 5.0
STALL_SECONDS = 20.0
DEVICE_CACHE_SECONDS = 30.0
# last_seen is rewritten at most this often per device; far below any heartbeat interval.
LAST_SEEN_RESOLUTION = timedelta(seconds=10)
_NEVER = datetime.min.replace(tzinfo=UTC)
SUBSCRIPTIONS = [*(f"{PREFIX}/+/{c.value}" for c in (Channel.TELEMETRY, Channel.EVENT,
                                                     Channel.STATUS)), THINGSBOARD_TELEMETRY]


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where the broker's service listener is and how the service logs in: TCP
    (``mqtt://host:port``) or a unix socket (``unix:///path``, then ``host`` is the path)."""

    host: str
    port: int
    username: str
    password: str
    transport: Literal["tcp", "unix"] = "tcp"

    @classmethod
    def from_settings(cls, settings: Settings) -> BrokerAddress:
        password = credentials.service_password(settings.data_dir)
        if not settings.mqtt_url:  # the embedded broker's service socket
            return cls(str(embedded_service_socket(settings)), 1883,
                       credentials.SERVICE_USERNAME, password, "unix")
        url = urlsplit(settings.mqtt_url)
        username = unquote(url.username) if url.username else credentials.SERVICE_USERNAME
        secret = unquote(url.password) if url.password else password
        if url.scheme == "unix":
            return cls(unquote(url.path), 1883, username, secret, "unix")
        return cls(url.hostname or "127.0.0.1", url.port or 1883, username, secret)

    def client(self, identifier: str, **options: Any) -> aiomqtt.Client:
        # paho wants a valid port even for a unix socket, where it is not used
        return aiomqtt.Client(self.host, self.port, username=self.username,
                              password=self.password, identifier=identifier,
                              transport=self.transport, **options)


def embedded_broker_dir(settings: Settings) -> Path:
    """Where the embedded Mosquitto keeps its config, credentials, database and socket."""
    return settings.data_dir / "mqtt"


def embedded_service_socket(settings: Settings) -> Path:
    return embedded_broker_dir(settings).resolve() / "service.sock"


@dataclass(frozen=True, slots=True)
class KnownDevice:
    id: str
    model: DeviceModel
    senior_id: int | None
    active: bool


@dataclass
class BatchOutcome:
    """What one committed batch produced, for acknowledgements and observers."""

    stored: list[Inbound] = field(default_factory=list)
    new_events: list[tuple[DeviceEvent, int | None]] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)  # device_events rows added
    acks: list[tuple[DeviceEvent, str]] = field(default_factory=list)
    dead_letters: int = 0  # messages that became dead letters, stored or only counted
    committed_at: float = 0.0


@dataclass
class ParsedBatch:
    """One batch between the stages: the broker's messages (to acknowledge after the commit),
    what they said, and the dead letters among them."""

    messages: Sequence[Delivery]
    received_at: datetime
    inbound: list[tuple[Inbound, KnownDevice]] = field(default_factory=list)
    dead: list[dict[str, Any]] = field(default_factory=list)
    # dead letters over their device's limit: counted onto its last stored one, not stored
    repeats: dict[str, int] = field(default_factory=dict)


CommitObserver = Callable[[BatchOutcome], None]


class Ingest:
    """Consumes every device topic in batches; see the module docstring for the guarantees."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock,
                 broker: BrokerAddress, bus: EventBus | None = None,
                 client_id: str = "anxin-ingest", batch_size: int = 500, linger: float = 0.01,
                 share_group: str | None = None,
                 on_commit: CommitObserver | None = None,
                 probe_seconds: float = PROBE_SECONDS,
                 stall_seconds: float = STALL_SECONDS) -> None:
        self.sessions = sessions
        self.clock = clock
        self.broker = broker
        self.bus = bus
        self.client_id = client_id
        # Workers in one share group split the traffic between them ($share/<group>/...).
        self.subscriptions = [f"$share/{share_group}/{topic}" if share_group else topic
                              for topic in SUBSCRIPTIONS]
        self.batch_size = batch_size
        self.linger = linger
        self.on_commit = on_commit
        self._devices: dict[str, tuple[KnownDevice, float]] = {}
        self._last_seen_written: dict[str, datetime] = {}
        self.connected = asyncio.Event()
        self.health = IngestHealth(client_id, bus)
        self.probe_seconds = probe_seconds
        self.stall_seconds = stall_seconds
        self.dead_letter_limit = DeadLetterLimit()
        self._waiting_since: float | None = None  # the reader waits for the broker since then

    def forget(self, device_id: str) -> None:
        """Drop a device from the cache after its registry row changed (senior, state)."""
        self._devices.pop(device_id, None)

    async def run(self) -> None:
        """Connect, consume, and on any broker trouble reconnect with a growing pause."""
        pause = 0.5
        while True:
            try:
                async with self._client() as client:
                    pause = 0.5
                    await self._consume(client)
            except (ConsumerError, SQLAlchemyError, OSError, IngestStalledError) as error:
                # Nothing of the failed batch was acknowledged: the broker sends it again.
                self.connected.clear()
                self.health.set(consuming=False, reason=_reason(error))
                log.warning("MQTT ingest stopped (%s); reconnecting in %.1f s", error, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 15.0)
            finally:
                self.connected.clear()

    def _client(self) -> BrokerConsumer:
        # A persistent session: what we did not acknowledge is sent again after a reconnect.
        return BrokerConsumer(self.broker, client_id=self.client_id, clean_session=False,
                              keepalive=30, max_inflight=1000)

    async def _consume(self, client: BrokerConsumer) -> None:
        """Two stages: the reader takes and parses batch N+1 while the writer's batch N waits
        for the database (its write gate, or another process's lock). The writer alone
        acknowledges, in order."""
        for topic in self.subscriptions:
            granted = await client.subscribe(topic, qos=1)
            if any(_refused(code) for code in granted):
                raise IngestStalledError(f"the broker refused the subscription to {topic}")
        self.connected.set()
        self._waiting_since = time.monotonic()
        self.health.set(consuming=True, reason="subscribed")
        parsed: asyncio.Queue[ParsedBatch] = asyncio.Queue(maxsize=1)
        stages = [asyncio.create_task(self._read(client, parsed)),
                  asyncio.create_task(self._commit_in_order(client, parsed)),
                  asyncio.create_task(self._watch(client))]
        try:
            done, _ = await asyncio.wait(stages, return_when=asyncio.FIRST_EXCEPTION)
            for stage in done:
                stage.result()  # re-raise the failure, so run() reconnects
        finally:
            for stage in stages:
                stage.cancel()
            await asyncio.gather(*stages, return_exceptions=True)

    async def _read(self, client: BrokerConsumer, parsed: asyncio.Queue[ParsedBatch]) -> None:
        while True:
            self._waiting_since = time.monotonic()
            # A commit costs the same for one message or fifty: take what is there, or wait
            # a few ms once for more.
            batch = await client.receive(self.batch_size, self.linger)
            self._waiting_since = None  # busy (or held back by the writer), not idle
            await parsed.put(await self.parse(batch))

    async def _watch(self, client: BrokerConsumer) -> None:
        """Probe the subscription; raise (so run() reconnects) when nothing has come from the
        broker for ``stall_seconds``, not even the probes."""
        probe = topic_for(self.client_id, Channel.EVENT)
        while True:
            await asyncio.sleep(self.probe_seconds)
            client.publish(probe, b"", qos=0)
            waiting = self._waiting_since
            if waiting is not None and time.monotonic() - waiting > self.stall_seconds:
                raise IngestStalledError(
                    f"nothing received from the broker for {time.monotonic() - waiting:.0f} s, "
                    f"not even the probe on {probe}")

    async def _commit_in_order(self, client: BrokerConsumer,
                               parsed: asyncio.Queue[ParsedBatch]) -> None:
        while True:
            batch = await parsed.get()
            outcome = await self.commit(batch)
            # Devices hear first, then the broker: dying in between only causes a redelivery,
            # which the dedup answers with a second acknowledgement.
            await self.after_commit(client, outcome)
            client.acknowledge(batch.messages)

    async def store(self, batch: Sequence[Delivery]) -> BatchOutcome:
        """Parse, write and commit one batch; bad input becomes dead letters, never an error."""
        return await self.commit(await self.parse(batch))

    async def parse(self, batch: Sequence[Delivery]) -> ParsedBatch:
        """Normalise every message of the batch, or make it a dead letter with the reason."""
        now = self.clock.now()
        parsed = ParsedBatch(messages=batch, received_at=now)
        async with self.sessions() as session:
            await self._load_devices(session, [message.topic for message in batch])
        for message in batch:
            if message.retain:
                # A retained status replayed on (re)subscribing is old news, not a heartbeat.
                continue
            topic, payload = message.topic, message.payload
            try:
                parsed.inbound.append(self._parse(topic, payload, now))
            except _Probe:
                continue
            except PayloadError as error:
                self._reject(parsed, topic, payload, str(error), now)
            except Exception as error:  # a bug in an adapter must not stop the ingest
                log.exception("adapter failed on %s", topic)
                self._reject(parsed, topic, payload, f"internal error: {error!r}", now)
        return parsed

    def _reject(self, parsed: ParsedBatch, topic: str, payload: bytes, reason: str,
                now: datetime) -> None:
        """A dead letter, stored, or only counted once its device is over its limit."""
        device_id = _device_part(topic)
        if self.dead_letter_limit.admit(device_id, now):
            parsed.dead.append(_dead_letter(topic, payload, reason, now, device_id))
        else:
            parsed.repeats[device_id] = parsed.repeats.get(device_id, 0) + 1

    async def commit(self, batch: ParsedBatch) -> BatchOutcome:
        """Write one parsed batch in one transaction (readings, new events, dead letters,
        last seen) and commit it."""
        outcome = BatchOutcome()
        if not (batch.inbound or batch.dead or batch.repeats):
            return outcome  # probes, retained replays: nothing to write
        async with self.sessions() as session:
            await self._write(session, batch.inbound, batch.received_at, outcome)
            await self._write_dead_letters(session, batch)
            await session.commit()
        outcome.dead_letters = len(batch.dead) + sum(batch.repeats.values())
        outcome.stored = [inbound for inbound, _ in batch.inbound]
        outcome.committed_at = time.time()
        return outcome

    async def _write_dead_letters(self, session: AsyncSession, batch: ParsedBatch) -> None:
        table = cast(Table, DeadLetter.__table__)
        if batch.dead:
            rows = await session.execute(insert(table).returning(table.c.id, table.c.device_id),
                                         batch.dead)
            for row_id, device_id in rows:
                self.dead_letter_limit.stored(device_id or "", row_id)
        for device_id, count in batch.repeats.items():
            row_id = self.dead_letter_limit.last_row(device_id)
            if row_id is not None:
                await session.execute(update(table).where(table.c.id == row_id)
                                      .values(repeats=table.c.repeats + count))

    def _parse(self, topic: str, payload: bytes, now: datetime) -> tuple[Inbound, KnownDevice]:
        device_id, channel = parse_topic(topic)
        if is_reserved(device_id):
            if channel is Channel.EVENT and not payload:
                raise _Probe  # an ingest's probe (its own or a fellow worker's)
            raise PayloadError(f"device id {device_id!r} is reserved for Anxin's own clients")
        limit = PAYLOAD_LIMITS[channel]
        if len(payload) > limit:
            raise PayloadError(f"{channel.value} payload of {len(payload)} bytes is over the "
                               f"{limit // 1024} KiB limit; not read")
        cached = self._devices.get(device_id)  # the batch's devices were just loaded
        if cached is None:
            raise PayloadError(f"unknown device {device_id!r}")
        device = cached[0]
        if not device.active:
            raise PayloadError(f"device {device_id!r} is retired")
        return ADAPTERS[device.model.adapter](device_id, channel, payload, device.model,
                                              now), device

    async def _load_devices(self, session: AsyncSession, topics: list[str]) -> None:
        """Fill the cache for the batch's devices with one query instead of one per device."""
        stale = time.monotonic() - DEVICE_CACHE_SECONDS
        wanted = {topic.split("/")[3] for topic in topics if topic.count("/") == 4}
        missing = [d for d in wanted if d not in self._devices or self._devices[d][1] < stale]
        if not missing:
            return
        for device_id in missing:
            self._devices.pop(device_id, None)  # deleted or renamed rows must not linger
        rows = await session.execute(
            select(Device.id, Device.model, Device.senior_id, Device.state)
            .where(Device.id.in_(missing)))
        loaded = time.monotonic()
        for device_id, model, senior_id, state in rows:
            if model in DEVICE_MODELS:
                self._devices[device_id] = (KnownDevice(device_id, DEVICE_MODELS[model],
                                                        senior_id, state == "active"), loaded)

    async def _write(self, session: AsyncSession, parsed: list[tuple[Inbound, KnownDevice]],
                     now: datetime, outcome: BatchOutcome) -> None:
        readings = [
            {"device_id": r.device_id, "senior_id": device.senior_id, "metric": r.metric,
             "value": r.value, "measured_at": r.measured_at, "received_at": now, "seq": r.seq}
            for inbound, device in parsed for r in inbound.readings
        ]
        if readings:
            # Core inserts (the ORM's bulk path costs more than the rows themselves here); a
            # reading already stored (a redelivered message) is skipped by the database.
            await session.execute(_insert_ignoring_duplicates(session, DeviceReading), readings)
        await self._write_events(session, parsed, now, outcome)
        await self._touch_devices(session, [inbound for inbound, _ in parsed], now)

    async def _write_events(self, session: AsyncSession,
                            parsed: list[tuple[Inbound, KnownDevice]], now: datetime,
                            outcome: BatchOutcome) -> None:
        candidates = {(e.device_id, e.event_id): (e, device.senior_id)
                      for inbound, device in parsed for e in inbound.events}
        if not candidates:
            return
        rows = [{"device_id": e.device_id, "event_id": e.event_id, "senior_id": senior,
                 "type": e.type, "occurred_at": e.occurred_at, "received_at": now,
                 "detail": e.detail} for e, senior in candidates.values()]
        # Stored once: a (device, event_id) already there (a redelivery, or another worker's
        # copy) is skipped by the database, and RETURNING names only the rows really added.
        result = await session.execute(
            _insert_ignoring_duplicates(session, StoredDeviceEvent).returning(
                StoredDeviceEvent.id, StoredDeviceEvent.device_id, StoredDeviceEvent.event_id),
            rows)
        added = {(device_id, event_id): row_id for row_id, device_id, event_id in result}
        outcome.new_events = [(e, senior) for key, (e, senior) in candidates.items()
                              if key in added]
        outcome.event_ids = sorted(added.values())
        unanswered = set(added)
        for inbound, _ in parsed:
            for e in inbound.events:
                key = (e.device_id, e.event_id)
                outcome.acks.append((e, "stored" if key in unanswered else "duplicate"))
                unanswered.discard(key)

    async def _touch_devices(self, session: AsyncSession, inbounds: list[Inbound],
                             now: datetime) -> None:
        """One UPDATE for the batch: last_seen, and battery or online state where reported."""
        changes: dict[str, dict[str, Any]] = {}
        for inbound in inbounds:
            change = changes.setdefault(inbound.device_id, {
                "b_id": inbound.device_id, "b_battery": None, "b_online": True})
            if inbound.battery is not None:
                change["b_battery"] = inbound.battery
            if inbound.status is not None:
                change["b_online"] = inbound.status.online
        rows = [change for device_id, change in changes.items()
                if change["b_battery"] is not None or change["b_online"] is False
                or now - self._last_seen_written.get(device_id, _NEVER) >= LAST_SEEN_RESOLUTION]
        if not rows:
            return
        table = cast(Table, Device.__table__)
        await session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(
                last_seen=now, reported_online=bindparam("b_online"),
                battery=func.coalesce(bindparam("b_battery", type_=Float), table.c.battery)),
            rows)
        for row in rows:
            self._last_seen_written[row["b_id"]] = now

    async def after_commit(self, client: BrokerConsumer, outcome: BatchOutcome) -> None:
        """Called once after each batch commit (``outcome.event_ids`` names the new
        device_events rows): tell observers and the dashboard, acknowledge events to devices.
        The broker's acknowledgements follow this, never precede the commit."""
        if self.on_commit is not None:
            self.on_commit(outcome)
        if self.bus is not None:
            for event, senior_id in outcome.new_events:
                self.bus.publish(events.DEVICE_EVENT, {
                    "device_id": event.device_id, "event_id": event.event_id,
                    "type": event.type, "senior_id": senior_id,
                    "occurred_at": event.occurred_at.isoformat()},
                    roles=audience(events.DEVICE_EVENT))
        # Handed to paho now, so each goes out ahead of the broker acknowledgements that
        # follow; their own PUBACKs are not waited for (that wait, a broker round trip per
        # batch, was what limited a backlog's drain). A device that misses one sends the
        # event again and the dedup answers it again.
        for event, result in outcome.acks:
            client.publish(topic_for(event.device_id, Channel.ACK), qos=1,
                           payload=json.dumps({"event_id": event.event_id, "result": result}))


def _insert_ignoring_duplicates(session: AsyncSession,
                                model: type[DeviceReading] | type[StoredDeviceEvent]) -> Any:
    """An INSERT that skips rows already stored: a reading of the same device, time and metric,
    or an event with the same (device, event_id), from a redelivery or another worker."""
    unique = UNIQUE_KEYS[model]
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(model).on_conflict_do_nothing(index_elements=unique)
    return sqlite_insert(model).on_conflict_do_nothing(index_elements=unique)


UNIQUE_KEYS: dict[type[Any], list[str]] = {
    DeviceReading: ["device_id", "measured_at", "metric"],
    StoredDeviceEvent: ["device_id", "event_id"],
}


def _dead_letter(topic: str, payload: bytes, reason: str, now: datetime,
                 device_id: str) -> dict[str, Any]:
    return {"received_at": now, "topic": topic[:200], "reason": reason[:300],
            "payload": payload[:DEAD_LETTER_BYTES], "payload_size": len(payload),
            "device_id": device_id[:64], "repeats": 0}


def _device_part(topic: str) -> str:
    """The device id segment of a device topic (what the flood limit counts by)."""
    parts = topic.split("/")
    return parts[3] if len(parts) == 5 and topic.startswith(f"{PREFIX}/") else ""


class _Probe(Exception):  # a signal inside parse, not an error
    """The message is an ingest's probe, not a device's."""


def _refused(code: object) -> bool:
    """A SUBACK entry that grants nothing (0x80 and above: refused)."""
    value = code.value if isinstance(code, ReasonCode) else code
    return isinstance(value, int) and value >= 0x80


def _reason(error: BaseException) -> str:
    if isinstance(error, IngestStalledError):
        return str(error)
    if isinstance(error, SQLAlchemyError):
        return f"database error: {type(error).__name__}"
    return f"broker connection: {error}"[:200]


async def run_forever(ingest: Ingest) -> None:
    """Run the ingest until cancelled (used by ``anxin devices ingest``)."""
    with contextlib.suppress(asyncio.CancelledError):
        await ingest.run()
