"""A constructed month (March 2026, Asia/Shanghai) whose every figure is known."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from alarms.models import Alarm
from callcenter.models import CallLeg
from devices.models import Device
from dispatch.models import ServiceOrder
from liveness.models import Certification
from seniors.models import Senior
from tests.retention.conftest import database_url, store

__all__ = ["build_month", "database_url", "store"]
EAST, WEST = "东城区", "西城区"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def build_month(session: AsyncSession) -> None:
    """Seniors, devices, alarms, calls, orders and certifications around March 2026."""
    def senior(id_: int, district: str, born: date, created: str, *, alone: bool = False,
               subsidy: list[str] | None = None, archived: str | None = None) -> Senior:
        return Senior(id=id_, name=f"S{id_}", resident_id=f"R{id_:017d}", birth_date=born,
                      sex="F", address="", district=district, lives_alone=alone,
                      subsidy_categories=subsidy or [], created_at=at(created),
                      updated_at=at(created), archived_at=at(archived) if archived else None)

    session.add_all([
        senior(1, EAST, date(1950, 6, 1), "2026-01-01T00:00", alone=True, subsidy=["low_income"]),
        senior(2, EAST, date(1936, 3, 31), "2026-03-05T00:00",
               subsidy=["low_income", "disabled"]),
        senior(3, EAST, date(1940, 1, 1), "2026-01-01T00:00", archived="2026-03-10T00:00"),
        senior(4, EAST, date(1940, 1, 1), "2026-03-31T16:30"),  # 1 April in Shanghai
        senior(5, WEST, date(1966, 4, 1), "2026-02-01T00:00"),
    ])
    await session.flush()

    def device(id_: str, senior_id: int, created: str, seen: str | None,
               state: str = "active") -> Device:
        return Device(id=id_, model="anxin-watch", kind="wearable", senior_id=senior_id,
                      heartbeat_seconds=60, grace_seconds=60, state=state,
                      mqtt_password_hash="x", created_at=at(created),
                      last_seen=at(seen) if seen else None)

    session.add_all([device("d1", 1, "2026-02-01T00:00", "2026-03-15T00:00"),
                     device("d2", 2, "2026-02-01T00:00", "2026-02-20T00:00"),
                     device("d3", 1, "2026-02-01T00:00", None, state="retired"),
                     device("d5", 5, "2026-04-02T00:00", None)])

    def alarm(senior_id: int, kind: str, first: str, wait: float | None) -> Alarm:
        start = at(first)
        return Alarm(senior_id=senior_id, kind=kind, priority=1, state="resolved",
                     open_key=None, first_at=start, last_at=start,
                     acknowledged_at=start + timedelta(seconds=wait) if wait else None)

    session.add_all([alarm(1, "sos", "2026-03-02T01:00", 30), alarm(2, "sos", "2026-03-03T01:00",
                                                                   120),
                     alarm(1, "sos", "2026-03-04T01:00", None),
                     alarm(1, "sos", "2026-02-28T16:10", 10),  # 1 March, 00:10 local
                     alarm(1, "sos", "2026-03-31T16:10", 5),  # 1 April local: not counted
                     alarm(2, "fall", "2026-03-05T01:00", 200)])

    def call(senior_id: int | None, purpose: str, created: str,
             parent: int | None = None) -> CallLeg:
        return CallLeg(provider="simulator", direction="inbound", purpose=purpose,
                       from_number="+8613800000000", to_number="12349", senior_id=senior_id,
                       status="completed", created_at=at(created), parent_call_id=parent)

    first = call(1, "hotline", "2026-03-02T02:00")
    session.add(first)
    await session.flush()
    session.add_all([call(1, "hotline", "2026-03-06T02:00"),
                     call(2, "callback", "2026-03-07T02:00"),
                     call(1, "contact", "2026-03-06T02:00", parent=first.id),
                     call(None, "hotline", "2026-03-08T02:00")])

    def order(senior_id: int, district: str, service: str, price: int, subsidised: int,
              state: str) -> ServiceOrder:
        created = at("2026-03-10T02:00")
        return ServiceOrder(senior_id=senior_id, service=service, urgency="scheduled",
                            source="operator", state=state, district=district,
                            service_at=created, due_by=created, price_fen=price,
                            subsidised_fen=subsidised, senior_pays_fen=price - subsidised,
                            created_by="op", created_at=created, updated_at=created)

    session.add_all([order(1, EAST, "meal_delivery", 3000, 2000, "completed"),
                     order(2, EAST, "meal_delivery", 3000, 2000, "offered"),
                     order(5, WEST, "cleaning", 5000, 0, "completed")])
    session.add_all([
        Certification(senior_id=1, category="low_income", certified_until=date(2026, 12, 31)),
        Certification(senior_id=2, category="low_income", certified_until=date(2026, 3, 15),
                      held_since=date(2026, 3, 16))])
    await session.commit()
