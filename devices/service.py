"""The device registry and what the alarm rules read: unprocessed events, recent readings."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from areas import service as areas_service
from areas.codes import REGION
from devices import credentials
from devices.catalogue import DEVICE_MODELS, DeviceKind
from devices.exceptions import (
    DeviceEditError,
    DeviceIdTakenError,
    DeviceNotFoundError,
    PhoneNumberTakenError,
    ReservedDeviceIdError,
    UnknownDeviceModelError,
)
from devices.models import DeadLetter, Device, DeviceReading, StoredDeviceEvent
from devices.schemas import DeadLetterOut, DeviceOut, DeviceUpdate
from devices.telemetry import DeviceEvent, Reading
from devices.topics import RESERVED_RULE, is_reserved
from runtime.scope import current_scope
from seniors import areas as seniors_areas
from seniors import service as seniors_service
from seniors.phones import try_normalise_phone

LOW_BATTERY = 20.0  # percent
DEAD_LETTER_BYTES = 4096
TCP_WATCH_MODELS = frozenset({"3g-watch"})  # models that reach us through the watch gateway


async def provision_device(
    session: AsyncSession,
    *,
    model_id: str,
    senior_id: int | None,
    location: str,
    device_id: str | None,
    now: datetime,
) -> tuple[Device, str]:
    """Register a device; returns it with its MQTT password, which is stored only as a hash."""
    model = DEVICE_MODELS.get(model_id)
    if model is None:
        raise UnknownDeviceModelError(
            f"unknown device model {model_id!r}; known: {', '.join(sorted(DEVICE_MODELS))}")
    if device_id is not None and is_reserved(device_id):
        raise ReservedDeviceIdError(f"device id {device_id!r} is not allowed: {RESERVED_RULE}")
    if senior_id is not None:
        await seniors_service.get_senior(session, senior_id)
    password = credentials.new_password()
    area_code = await _area_of_holder(session, senior_id)
    device = Device(
        id=device_id or f"{model.kind.value.replace('_', '')}-{secrets.token_hex(5)}",
        model=model.id, kind=model.kind.value, senior_id=senior_id, location=location,
        heartbeat_seconds=model.heartbeat_seconds, grace_seconds=model.grace_seconds,
        state="active", mqtt_password_hash=credentials.hash_password(password), created_at=now,
        area_code=area_code,
    )
    session.add(device)
    try:
        await session.flush()
    except IntegrityError as error:
        raise DeviceIdTakenError(f"device id {device.id!r} is already registered") from error
    return device, password


async def _area_of_holder(session: AsyncSession, senior_id: int | None) -> str:
    """A device belongs where its senior lives; one in stock, to the centre that holds it."""
    area = await seniors_areas.area_of(session, senior_id) if senior_id is not None else None
    return area or areas_service.home_area(current_scope()) or REGION


async def move_devices(session: AsyncSession, senior_id: int, area_code: str) -> int:
    """A senior moved: their devices go with them."""
    result = await session.execute(
        update(Device).where(Device.senior_id == senior_id).values(area_code=area_code)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def get_device(session: AsyncSession, device_id: str) -> Device:
    device = await session.get(Device, device_id)
    if device is None:
        raise DeviceNotFoundError(device_id)
    return device


async def list_devices(session: AsyncSession, *, senior_id: int | None = None,
                       limit: int = 500, offset: int = 0) -> Sequence[Device]:
    query = select(Device).order_by(Device.id).limit(limit).offset(offset)
    if senior_id is not None:
        query = query.where(Device.senior_id == senior_id)
    return (await session.execute(query)).scalars().all()


EDITABLE = ("senior_id", "location", "heartbeat_seconds", "grace_seconds", "state", "phone")
CLEARABLE = {"senior_id", "phone"}


async def update_device(session: AsyncSession, *, device_id: str, changes: DeviceUpdate
                        ) -> tuple[Device, dict[str, list[Any]]]:
    """Apply the fields sent in ``changes`` (all checked before any is applied); returns the
    device and, per changed field, [before, after]."""
    device = await get_device(session, device_id)
    sent = {name: getattr(changes, name) for name in EDITABLE if name in changes.model_fields_set}
    if not sent:
        raise DeviceEditError(f"nothing to change: send one or more of {', '.join(EDITABLE)}")
    for name, value in sent.items():
        if value is None and name not in CLEARABLE:
            raise DeviceEditError(f"{name} cannot be null")
    if sent.get("senior_id") is not None:
        await seniors_service.get_senior(session, sent["senior_id"])
    if sent.get("phone") is not None:
        holder = await session.scalar(select(Device.id).where(Device.phone == sent["phone"],
                                                              Device.id != device.id))
        if holder is not None:
            raise PhoneNumberTakenError(
                f"phone number {sent['phone']} already belongs to device {holder!r}")
    changed = {name: [getattr(device, name), value] for name, value in sent.items()
               if getattr(device, name) != value}
    for name, (_, value) in changed.items():
        setattr(device, name, value)
    if "senior_id" in changed:
        device.area_code = await _area_of_holder(session, device.senior_id)
    try:
        await session.flush()
    except IntegrityError as error:  # the same number given to two devices at once
        raise PhoneNumberTakenError(f"phone number {sent.get('phone')} is taken") from error
    return device, changed


async def rotate_credentials(session: AsyncSession, *, device_id: str) -> tuple[Device, str]:
    """A new MQTT password for the device (the old one stops working); returned this once."""
    device = await get_device(session, device_id)
    if device.state != "active":
        raise DeviceEditError(
            f"device {device_id!r} is retired: reactivate it before giving it new credentials")
    password = credentials.new_password()
    device.mqtt_password_hash = credentials.hash_password(password)
    return device, password


async def find_by_phone(session: AsyncSession, number: str) -> Device | None:
    """The active device whose SIM has this number (any common spelling of it), if any."""
    normalised = try_normalise_phone(number)
    if normalised is None:
        return None
    device: Device | None = await session.scalar(
        select(Device).where(Device.phone == normalised, Device.state == "active"))
    return device


async def retire_device(session: AsyncSession, *, device_id: str) -> Device:
    """Retire a device: its credentials stop working and its messages become dead letters."""
    device = await get_device(session, device_id)
    device.state = "retired"
    return device


def is_online(device: Device, now: datetime) -> bool:
    """Seen within heartbeat plus grace, active, and not reporting itself offline since."""
    if device.state != "active" or device.last_seen is None or device.reported_online is False:
        return False
    return now - device.last_seen <= timedelta(
        seconds=device.heartbeat_seconds + device.grace_seconds)


def device_out(device: Device, now: datetime) -> DeviceOut:
    return DeviceOut(
        id=device.id, model=device.model, kind=DeviceKind(device.kind), senior_id=device.senior_id,
        location=device.location, heartbeat_seconds=device.heartbeat_seconds,
        grace_seconds=device.grace_seconds, state=device.state, last_seen=device.last_seen,
        online=is_online(device, now), battery=device.battery, phone=device.phone,
    )


async def broker_users(session: AsyncSession, *, service_password: str
                       ) -> list[credentials.BrokerUser]:
    """Everyone the broker should let in: the service account and every active device."""
    rows = await session.execute(
        select(Device.id, Device.mqtt_password_hash).where(Device.state == "active"))
    users = [credentials.BrokerUser(credentials.SERVICE_USERNAME,
                                    credentials.hash_password(service_password), is_service=True)]
    # A reserved id registered before the rule existed never reaches the broker's files.
    users += [credentials.BrokerUser(device_id, password_hash)
              for device_id, password_hash in rows if not is_reserved(device_id)]
    return users


async def unprocessed_events(session: AsyncSession, *, limit: int = 500
                             ) -> list[tuple[int, int | None, DeviceEvent]]:
    """Events the alarm rules have not handled yet: (row id, senior id, event), oldest first."""
    rows = (await session.execute(
        select(StoredDeviceEvent).where(StoredDeviceEvent.processed_at.is_(None))
        .order_by(StoredDeviceEvent.id).limit(limit))).scalars().all()
    return [(row.id, row.senior_id, DeviceEvent(
        device_id=row.device_id, event_id=row.event_id, type=row.type,
        occurred_at=row.occurred_at, detail=row.detail)) for row in rows]


async def mark_events_processed(session: AsyncSession, *, ids: Sequence[int],
                                now: datetime) -> None:
    await session.execute(update(StoredDeviceEvent).where(StoredDeviceEvent.id.in_(ids))
                          .values(processed_at=now))


async def recent_readings(session: AsyncSession, *, senior_id: int, since: datetime,
                          metric: str | None = None) -> list[Reading]:
    """A senior's readings measured at or after ``since``, oldest first."""
    query = (select(DeviceReading).where(DeviceReading.senior_id == senior_id,
                                         DeviceReading.measured_at >= since)
             .order_by(DeviceReading.measured_at, DeviceReading.id))
    if metric is not None:
        query = query.where(DeviceReading.metric == metric)
    rows = (await session.execute(query)).scalars().all()
    return [Reading(device_id=r.device_id, metric=r.metric, value=r.value,
                    measured_at=r.measured_at, seq=r.seq) for r in rows]


async def list_dead_letters(session: AsyncSession, *, limit: int = 100) -> list[DeadLetterOut]:
    rows = (await session.execute(
        select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit))).scalars().all()
    return [DeadLetterOut(id=r.id, received_at=r.received_at, topic=r.topic, reason=r.reason,
                          payload_preview=r.payload[:200].decode("utf-8", "replace"),
                          payload_size=r.payload_size, device_id=r.device_id or None,
                          repeats=r.repeats) for r in rows]


async def record_dead_letter(session: AsyncSession, *, topic: str, payload: bytes, reason: str,
                             device_id: str, now: datetime) -> None:
    """Keep what a gateway (not the ingest) could not use, with the reason and its first bytes."""
    session.add(DeadLetter(received_at=now, topic=topic[:200], reason=reason[:300],
                           payload=payload[:DEAD_LETTER_BYTES], payload_size=len(payload),
                           device_id=device_id[:64], repeats=0))


async def locations_of(session: AsyncSession, *,
                       senior_ids: Collection[int]) -> dict[int, dict[str, str]]:
    """Where in the home each of these seniors' devices is ("bathroom"), by senior then
    device id; devices without a location are left out. One query for all of them."""
    rows = await session.execute(
        select(Device.senior_id, Device.id, Device.location)
        .where(Device.senior_id.in_(senior_ids), Device.location != ""))
    locations: dict[int, dict[str, str]] = {}
    for row in rows:
        locations.setdefault(row.senior_id, {})[row.id] = row.location
    return locations


ReadingRow = Row[int, str, int | None, str, float, datetime, str]


async def readings_after(session: AsyncSession, *, after: int,
                         limit: int) -> Sequence[ReadingRow]:
    """Up to ``limit`` readings past id ``after``, in id order, each with its device's kind:
    (id, device_id, senior_id, metric, value, measured_at, kind). Plain rows, not ORM
    objects: for the rules feed, building entities cost more than the rules themselves."""
    return (await session.execute(
        select(DeviceReading.id, DeviceReading.device_id, DeviceReading.senior_id,
               DeviceReading.metric, DeviceReading.value, DeviceReading.measured_at, Device.kind)
        .join(Device, Device.id == DeviceReading.device_id)
        .where(DeviceReading.id > after).order_by(DeviceReading.id)
        .limit(limit)
    )).all()


async def pendants_in_use(session: AsyncSession, *, models: Collection[str]
                          ) -> Sequence[Row[str, int | None, datetime, datetime | None]]:
    """Every active device of these models fitted to a senior: (id, senior_id, fitted at,
    its last event's time or None). One query, the last events grouped in the database."""
    last_event = (select(StoredDeviceEvent.device_id,
                         func.max(StoredDeviceEvent.occurred_at).label("last"))
                  .group_by(StoredDeviceEvent.device_id).subquery())
    return (await session.execute(
        select(Device.id, Device.senior_id, Device.created_at, last_event.c.last)
        .outerjoin(last_event, last_event.c.device_id == Device.id)
        .where(Device.state == "active", Device.senior_id.is_not(None),
               Device.model.in_(models)))).all()


async def offline_by_senior(session: AsyncSession, *, now: datetime) -> dict[int, list[str]]:
    """Every senior with an active device seen at least once, with the ids of those of their
    devices that are offline now (none when all are online)."""
    devices = (await session.execute(select(Device).where(
        Device.state == "active", Device.senior_id.is_not(None), Device.last_seen.is_not(None),
    ))).scalars().all()
    offline: dict[int, list[str]] = {}
    for device in devices:
        senior_offline = offline.setdefault(device.senior_id or 0, [])
        if not is_online(device, now):
            senior_offline.append(device.id)
    return offline


async def active_watch_ids(session: AsyncSession) -> list[str]:
    """The ids of every active device of a TCP watch model (what the watch gateway serves)."""
    return list((await session.execute(
        select(Device.id).where(Device.model.in_(TCP_WATCH_MODELS),
                                Device.state == "active"))).scalars())


async def purge_dead_letters(session: AsyncSession, *, before: datetime) -> int:
    """Delete dead letters received before ``before``; returns how many."""
    result = await session.execute(delete(DeadLetter).where(DeadLetter.received_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


async def fleet_summary(session: AsyncSession, *, now: datetime) -> dict[str, int]:
    """Counts for the dashboard: active devices, how many are online, how many run low."""
    devices = (await session.execute(select(Device).where(Device.state == "active"))).scalars()
    total = online = low_battery = 0
    for device in devices:
        total += 1
        online += is_online(device, now)
        low_battery += device.battery is not None and device.battery < LOW_BATTERY
    return {"active": total, "online": online, "low_battery": low_battery}
