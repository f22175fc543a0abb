"""``anxin demo scale``: a region-sized database, filled in bulk (benchmarks/bulk.py).

Readings are the devices' real metrics at a compressed rate (one sample of each metric every
``reading_minutes``, 240 by default, instead of one a minute), so a month fits on one machine.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from alarms.models import Alarm
from areas.codes import AREAS
from benchmarks import bulk
from callcenter.models import CallLeg
from devices.models import Device, DeviceReading
from dispatch.models import ServiceOrder
from liveness.models import Certification
from retention import partitions
from seniors.models import (
    EmergencyContact,
    Senior,
    SeniorNameGram,
    SeniorPhone,
    name_grams,
    reversed_digits,
)
from storage.engine import create_sessionmaker

# The leaf areas of the region (areas/codes.py): each senior, device and alarm carries its
# area's code, as the app writes them, so area-scoped staff see them (a row without an area
# is seen by nobody scoped).
LEAF_AREAS = tuple(row for row in AREAS if not any(child.parent == row.code for child in AREAS))
DISTRICTS = tuple(row.name_zh for row in LEAF_AREAS)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "秀英桂兰玉珍凤芝淑华建国志强德明文秀丽春梅永福金海"
# model, kind, metrics with a plausible (mean, spread); share of the fleet
FLEET = (("anxin-watch", "wearable", (("heart_rate", 74, 9), ("spo2", 96, 1.5),
                                      ("temperature", 36.5, 0.3)), 0.6),
         ("anxin-home-hub", "home_unit", (("temperature", 22, 3),), 0.25),
         ("door-sensor", "sensor", (("battery", 80, 10),), 0.15))
ALARM_KINDS = (("sos", 1), ("fall", 1), ("inactivity", 2), ("heart_rate", 3),
               ("low_battery", 4), ("device_offline", 4))
CALL_PURPOSES = ("hotline", "hotline", "hotline", "callback", "care_call", "contact")
SERVICES = (("meals", 1500), ("cleaning", 8000), ("bathing", 6000), ("escort", 9000),
            ("repairs", 5000))
READING_COLUMNS = ("device_id", "senior_id", "metric", "value", "measured_at", "received_at")
# Devices report at their own moment in each slot, spread over this many distinct offsets.
STAGGERS = 600
VALUES = 4099  # a prime, so (device, slot) pairs spread over all of them


@dataclass(frozen=True, slots=True)
class Volume:
    """How much to generate. Devices measure each metric every minute; the generator writes
    one sample of each metric every ``reading_minutes``."""

    seniors: int
    devices: int
    days: int
    reading_minutes: int = 240


def _rows(table: Table, rows: Iterator[dict[str, Any]]) -> bulk.Load:
    """A load of dict rows; the first row's keys are the columns."""
    first = next(rows, None)
    if first is None:
        return bulk.Load(table, (), ())
    columns = tuple(first)

    def tuples() -> Iterator[tuple[Any, ...]]:
        yield tuple(first.values())
        for row in rows:
            yield tuple(row[name] for name in columns)

    return bulk.Load(table, columns, tuples())


def _stamp(dialect: str) -> Callable[[datetime], Any]:
    """A reading's time as the driver takes it: on SQLite, the text SQLAlchemy stores."""
    if dialect == "sqlite":
        return lambda at: at.strftime("%Y-%m-%d %H:%M:%S.%f")
    return lambda at: at


async def fill(engine: AsyncEngine, volume: Volume, *, now: datetime,
               progress: bulk.Progress = lambda _name, _n: None) -> dict[str, int]:
    """Fill an empty, migrated database; returns the rows written per table."""
    rng = random.Random(19)
    start = now - timedelta(days=volume.days)
    stamp = _stamp(engine.dialect.name)
    async with create_sessionmaker(engine)() as session:
        # On PostgreSQL each generated day gets its partition, so retention drops whole days.
        await partitions.ensure_partitions(session, now=now, since=start)
        await session.commit()
    loads = [
        _rows(Senior.__table__, _seniors(volume, rng, start)),  # type: ignore[arg-type]
        _rows(SeniorNameGram.__table__, _name_grams(volume)),  # type: ignore[arg-type]
        _rows(SeniorPhone.__table__, _phones(volume)),  # type: ignore[arg-type]
        _rows(EmergencyContact.__table__, _contacts(volume)),  # type: ignore[arg-type]
        _rows(Device.__table__, _devices(volume, rng, start, now)),  # type: ignore[arg-type]
        bulk.Load(DeviceReading.__table__, READING_COLUMNS,  # type: ignore[arg-type]
                  _readings(volume, rng, start, stamp), wire=True),
        _rows(Alarm.__table__, _alarms(volume, rng, start)),  # type: ignore[arg-type]
        _rows(CallLeg.__table__, _calls(volume, rng, start)),  # type: ignore[arg-type]
        _rows(ServiceOrder.__table__, _orders(volume, rng, start)),  # type: ignore[arg-type]
        _rows(Certification.__table__,  # type: ignore[arg-type]
              _certifications(volume, rng, now)),
    ]
    return await bulk.load_all(engine, [load for load in loads if load.columns],
                               progress=progress)


def _district(senior_id: int) -> str:
    return DISTRICTS[senior_id % len(DISTRICTS)]


def _area(senior_id: int) -> str:
    return LEAF_AREAS[senior_id % len(LEAF_AREAS)].code


def _seniors(volume: Volume, rng: random.Random, start: datetime) -> Iterator[dict[str, Any]]:
    for n in range(1, volume.seniors + 1):
        born = date(1926 + rng.randrange(40), 1 + rng.randrange(12), 1 + rng.randrange(28))
        created = start - timedelta(days=rng.randrange(900)) if n % 50 else \
            start + timedelta(days=rng.randrange(max(1, volume.days)))
        yield {"id": n, "name": _name(n),
               "resident_id": f"9{n:09d}{born:%Y%m%d}",
               "birth_date": born, "sex": rng.choice("FM"), "address": f"{_district(n)}{n}号",
               "district": _district(n), "area_code": _area(n), "latitude": None, "longitude": None,
               "lives_alone": rng.random() < 0.3, "languages": ["zh"], "medical_notes": "",
               "subsidy_categories": ["low_income"] if n % 7 == 0 else [],
               "created_at": created, "updated_at": created, "archived_at": None}


def _name(senior_id: int) -> str:
    """A senior's name, the same each time it is asked for (the seniors and their name pieces
    are separate loads)."""
    drawn = (senior_id * 2654435761) % 2**32
    return (SURNAMES[drawn % len(SURNAMES)] + GIVEN[drawn // 32 % len(GIVEN)]
            + GIVEN[drawn // 1024 % len(GIVEN)])


def _name_grams(volume: Volume) -> Iterator[dict[str, Any]]:
    for n in range(1, volume.seniors + 1):
        name = _name(n)
        for gram in name_grams(name):
            yield {"senior_id": n, "gram": gram, "name": name}


def _phones(volume: Volume) -> Iterator[dict[str, Any]]:
    for n in range(1, volume.seniors + 1):
        number = f"+86139{n:08d}"
        yield {"senior_id": n, "number": number, "digits_reversed": reversed_digits(number),
               "label": "mobile", "position": 0}


def _contacts(volume: Volume) -> Iterator[dict[str, Any]]:
    for n in range(1, volume.seniors + 1):
        yield {"senior_id": n, "position": 0, "name": f"家属{n}", "relation": "child",
               "phones": [f"+86137{n:08d}"], "notes": ""}


def _fleet_of(n: int) -> tuple[str, str, tuple[tuple[str, float, float], ...]]:
    share = (n * 0.618) % 1
    for model, kind, metrics, part in FLEET:
        if share < part:
            return model, kind, metrics
        share -= part
    return FLEET[-1][:3]


def _devices(volume: Volume, rng: random.Random, start: datetime,
             now: datetime) -> Iterator[dict[str, Any]]:
    for n in range(1, volume.devices + 1):
        model, kind, _ = _fleet_of(n)
        senior = 1 + (n - 1) % volume.seniors
        yield {"id": f"dev-{n:07d}", "model": model, "kind": kind, "senior_id": senior,
               "area_code": _area(senior), "location": "", "heartbeat_seconds": 60,
               "grace_seconds": 120, "state": "active", "mqtt_password_hash": "x",
               "created_at": start - timedelta(days=30), "phone": None,
               "last_seen": now - timedelta(minutes=rng.randrange(60 * 24 * 3)),
               "reported_online": True, "battery": 80.0}


def _readings(volume: Volume, rng: random.Random, start: datetime,
              stamp: Callable[[datetime], Any]) -> Iterator[tuple[Any, ...]]:
    step = timedelta(minutes=volume.reading_minutes)
    spread = step.total_seconds() / STAGGERS
    # Values drawn once per metric and picked by a cheap hash of (device, slot): a Gaussian
    # draw per row was a third of the generator's time.
    values = {metric: [round(rng.gauss(mean, deviation), 1) for _ in range(VALUES)]
              for _, _, metrics, _ in FLEET for metric, mean, deviation in metrics}
    fleet = [(f"dev-{n:07d}", 1 + (n - 1) % volume.seniors, n % STAGGERS, n * 7919,
              [(metric, values[metric]) for metric, _, _ in _fleet_of(n)[2]])
             for n in range(1, volume.devices + 1)]
    for slot in range(volume.days * 1440 // volume.reading_minutes):
        at = start + slot * step
        # Real fleets stagger: each device reports at its own moment in the slot.
        stamps = [stamp(at + timedelta(seconds=int(k * spread))) for k in range(STAGGERS)]
        mix = slot * 104729
        yield from [(device_id, senior_id, metric, drawn[(hashed + mix) % VALUES],
                     stamps[stagger], stamps[stagger])
                    for device_id, senior_id, stagger, hashed, metrics in fleet
                    for metric, drawn in metrics]


def _alarms(volume: Volume, rng: random.Random, start: datetime) -> Iterator[dict[str, Any]]:
    # About one alarm per 50 seniors a day, nearly all answered within minutes.
    for _ in range(volume.seniors * volume.days // 50):
        kind, priority = rng.choice(ALARM_KINDS)
        first = start + timedelta(seconds=rng.randrange(volume.days * 86400))
        answered = first + timedelta(seconds=rng.expovariate(1 / 40))
        senior = 1 + rng.randrange(volume.seniors)
        yield {"senior_id": senior, "area_code": _area(senior), "kind": kind,
               "priority": priority, "state": "resolved", "open_key": None, "voice_path": False,
               "condition_active": False, "device_id": None, "count": 1, "first_at": first,
               "last_at": first, "details": {}, "escalation_level": 0,
               "acknowledged_at": answered, "acknowledged_by": "op1",
               "resolved_at": answered + timedelta(minutes=5), "resolved_by": "op1",
               "disposition": "genuine_handled", "notes": ""}


def _calls(volume: Volume, rng: random.Random, start: datetime) -> Iterator[dict[str, Any]]:
    for n in range(volume.seniors * volume.days // 30):
        created = start + timedelta(seconds=rng.randrange(volume.days * 86400))
        answered = created + timedelta(seconds=rng.randrange(5, 90))
        yield {"provider": "simulator", "provider_sid": None, "direction": "inbound",
               "purpose": rng.choice(CALL_PURPOSES), "from_number": f"+86139{n % 10**8:08d}",
               "to_number": "12349", "senior_id": 1 + rng.randrange(volume.seniors),
               "status": "completed", "ivr_state": {}, "ivr_path": [], "queue": "general",
               "priority": 3, "operator": "op1", "created_at": created, "offered_at": created,
               "answered_at": answered, "ended_at": answered + timedelta(minutes=3),
               "outcome": "handled", "callback_offered": False}


def _orders(volume: Volume, rng: random.Random, start: datetime) -> Iterator[dict[str, Any]]:
    for _ in range(volume.seniors * volume.days // 100):
        senior = 1 + rng.randrange(volume.seniors)
        service, price = rng.choice(SERVICES)
        at = start + timedelta(seconds=rng.randrange(volume.days * 86400))
        subsidised = price * 2 // 3 if senior % 7 == 0 else 0
        yield {"senior_id": senior, "service": service, "urgency": "scheduled",
               "source": "operator", "source_ref": "", "state": "completed",
               "district": _district(senior), "service_at": at, "due_by": at, "notes": "",
               "price_fen": price, "subsidised_fen": subsidised,
               "senior_pays_fen": price - subsidised, "subsidy_category":
               "low_income" if subsidised else None, "offers_made": 1,
               "escalation_reason": "", "escalation_code": "", "created_by": "op1",
               "created_at": at, "updated_at": at, "completion_note": ""}


def _certifications(volume: Volume, rng: random.Random,
                    now: datetime) -> Iterator[dict[str, Any]]:
    for n in range(7, volume.seniors + 1, 7):
        until = now.date() + timedelta(days=rng.randrange(-60, 330))
        yield {"senior_id": n, "category": "low_income", "certified_until": until,
               "held_since": until + timedelta(days=1) if until < now.date() else None,
               "back_pay_due": False}
