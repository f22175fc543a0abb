"""The queries that must stay fast at a region's size use their index, on both databases.

Each access path runs through its real service function; the statements it sends are captured
and explained. PostgreSQL is told to avoid sequential scans, since on test-sized tables a scan
is cheapest: what is checked is that the index serves the query's shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from incidents.senior_record import RECENT
from liveness import roster as roster_service
from retention import service as retention_service
from seniors import service as seniors_service
from tests.retention.conftest import Store, add_readings, add_senior_with_watch

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


async def plans(store: Store, call: Callable[[AsyncSession], Awaitable[Any]],
                keyword: str, *, ordered: bool = False) -> list[str]:
    """The plans of the statements ``call`` sends that mention ``keyword`` (``ordered``: on
    PostgreSQL sorts are avoided too, to check that an index can give the order)."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                many: bool) -> None:
        if not many and keyword in statement and statement.lstrip().upper().startswith(
                ("SELECT", "INSERT")):
            sent.append((statement, parameters))

    event.listen(store.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with store.sessions() as session:
            await call(session)
            await session.rollback()
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", capture)
    found = []
    async with store.engine.connect() as connection:
        postgresql = connection.dialect.name == "postgresql"
        if postgresql:
            await connection.execute(text("SET enable_seqscan = off"))
            if ordered:
                await connection.execute(text("SET enable_sort = off"))
                await connection.execute(text("SET enable_bitmapscan = off"))
        explain = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
        for statement, parameters in sent:
            rows = (await connection.exec_driver_sql(explain + statement, parameters)).all()
            found.append("\n".join(str(row[-1]) for row in rows))
    assert found, f"no statement on {keyword} was sent"
    return found


async def test_seniors_search_pages_through_the_name_indexes(store: Store) -> None:
    """Search by name order and by district page by key through (name, id) and (district, …)."""
    await add_senior_with_watch(store, senior_id=1, now=NOW)
    page = await plans(store, lambda session: seniors_service.search_seniors(
        session, after=1, limit=20), "FROM seniors")
    assert any("ix_seniors_name_id" in plan for plan in page), page
    district = await plans(store, lambda session: seniors_service.search_seniors(
        session, district="东城区", after=1, limit=20), "FROM seniors")
    assert any("ix_seniors_district_name" in plan for plan in district), district


async def test_a_seniors_latest_alarms_come_from_their_index(store: Store) -> None:
    """The record page's recent alarms read (senior, first_at) newest first, no sort of all."""
    from sqlalchemy import select

    from alarms.models import Alarm

    async def recent(session: AsyncSession) -> object:
        return (await session.scalars(select(Alarm).where(Alarm.senior_id == 1).order_by(
            Alarm.first_at.desc()).limit(RECENT))).all()

    found = await plans(store, recent, "FROM alarms")
    assert all("ix_alarms_senior_first" in plan for plan in found), found


async def test_roster_of_a_district_reads_its_index(store: Store) -> None:
    """The proof-of-life roster of one district finds its seniors by the district index."""
    await add_senior_with_watch(store, senior_id=1, now=NOW)
    found = await plans(store, lambda session: roster_service.roster(
        session, today=NOW.date(), due_soon_days=30, district="东城区"), "district")
    assert all("ix_seniors_district" in plan for plan in found), found


async def test_hourly_rollup_reads_only_the_hour(store: Store) -> None:
    """The roll-up finds an hour's readings by the time index, never by scanning them all."""
    device = await add_senior_with_watch(store, senior_id=1, now=NOW)
    await add_readings(store, device_id=device, senior_id=1, start=NOW, hours=3)
    found = await plans(store, lambda session: retention_service.roll_up_next_hour(
        session, until=NOW.replace(hour=20)), "INSERT INTO reading_rollups")
    plan = found[0]
    assert "measured_at" in plan, plan
    assert "SCAN device_readings" not in plan and "Seq Scan on device_readings" not in plan


@pytest.mark.parametrize("analyzed", [True, False], ids=["analyzed", "no statistics"])
async def test_a_year_chart_reads_one_seniors_rollups_in_index_order(store: Store,
                                                                     analyzed: bool) -> None:
    """A senior's roll-ups come from the (senior, resolution, bucket, metric) index in its
    order, not from the (resolution, bucket) index that holds every senior's, also before
    the roll-ups have statistics (they fill after the last ANALYZE)."""
    device = await add_senior_with_watch(store, senior_id=1, now=NOW)
    await add_readings(store, device_id=device, senior_id=1, start=NOW, hours=3)
    async with store.sessions() as session:
        await retention_service.roll_up_next_hour(session, until=NOW.replace(hour=20))
        await session.commit()
    if analyzed:
        async with store.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    found = await plans(store, lambda session: retention_service.rollups(
        session, senior_id=1, resolution=retention_service.HOURLY, since=NOW.replace(hour=0),
        until=NOW.replace(hour=23)), "FROM reading_rollups", ordered=True)
    for plan in found:
        assert "uq_reading_rollups_senior_bucket_metric" in plan, plan
        assert "ix_reading_rollups_resolution_bucket" not in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


async def test_a_part_of_a_name_is_looked_up_by_its_pieces_in_name_order(store: Store) -> None:
    """Two characters of a name (a Chinese search's usual length) and longer parts read the
    name pieces' (gram, name, senior) index in the page's order: no scan of every senior, no
    sort of the matches."""
    await add_senior_with_watch(store, senior_id=1, now=NOW)
    for name in ("老人", "老人1", "人1"):

        async def search(session: AsyncSession, name: str = name) -> object:
            return await seniors_service.search_seniors(session, name=name, limit=20)

        found = await plans(store, search, "FROM seniors", ordered=True)
        for plan in found:
            assert "ix_senior_name_grams_gram_name" in plan, (name, plan)
            assert "SCAN seniors" not in plan and "Seq Scan on seniors" not in plan, plan
            assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


async def test_the_last_digits_of_a_phone_are_a_prefix_of_its_reversed_digits(
        store: Store) -> None:
    """Searching by the last digits reads the reversed digits' index, not every number."""
    found = await plans(store, lambda session: seniors_service.search_seniors(
        session, phone="345678", limit=20), "FROM senior_phones")
    assert all("ix_senior_phones_digits_reversed" in plan for plan in found), found


async def test_a_scoped_read_of_a_seniors_rows_probes_that_senior_by_key(store: Store) -> None:
    """Under an area scope a senior's recent calls check their one senior's area by its key,
    rather than listing every senior of the scope for each query."""
    from callcenter import service as callcenter_service
    from runtime.scope import AreaScope, scoped

    await add_senior_with_watch(store, senior_id=1, now=NOW)

    async def recent_calls(session: AsyncSession) -> object:
        with scoped(AreaScope(frozenset({"15"}))):
            return await callcenter_service.recent_of_senior(session, senior_id=1, limit=5)

    found = await plans(store, recent_calls, "FROM call_legs")
    for plan in found:
        assert "FROM seniors" not in plan, plan
        assert ("SEARCH seniors USING INTEGER PRIMARY KEY" in plan
                or "Index Scan using pk_seniors" in plan or "Index Only Scan using pk_seniors"
                in plan), plan
