"""``anxin bench data``: a generated region (``anxin demo scale``) measured at size.

One JSON line: database size before and after retention, roll-up time, query latencies over
HTTP (in-process ASGI), KPI and bureau report for a month, backup and restore times, and the
store's ingest rate with and without the retention job running beside it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from accounts import service as accounts_service
from accounts.roles import Role
from backups import flows as backup_flows
from benchmarks import volume
from config.settings import Settings
from devices.models import DeviceReading
from retention import flows as retention_flows
from runtime.clock import SystemClock
from storage.engine import create_engine, create_sessionmaker, sqlite_file
from storage.migrate import upgrade
from storage.throwaway_postgres import ThrowawayPostgres

PASSWORD = "bench data password 1234"
INGEST_BATCH = 500
INGEST_WINDOW_S = 10.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def db_size_mb(engine: AsyncEngine) -> float:
    """Bytes in use (SQLite: pages not on the free list, so deletes count without VACUUM)."""
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            pages = (await connection.execute(text("PRAGMA page_count"))).scalar_one()
            free = (await connection.execute(text("PRAGMA freelist_count"))).scalar_one()
            size = (await connection.execute(text("PRAGMA page_size"))).scalar_one()
            return round(float((pages - free) * size) / 2**20, 1)
        used = (await connection.execute(text("SELECT pg_database_size(current_database())")))
        return round(float(used.scalar_one()) / 2**20, 1)


async def timed(calls: int, call: Callable[[int], Awaitable[httpx.Response]]) -> list[float]:
    spent = []
    for n in range(calls):
        began = time.perf_counter()
        answer = await call(n)
        spent.append((time.perf_counter() - began) * 1000)
        answer.raise_for_status()
    return spent


class IngestWriter:
    """Writes readings the way the ingest does (batches, duplicates ignored) and counts them."""

    def __init__(self, engine: AsyncEngine, devices: int) -> None:
        self.sessions = create_sessionmaker(engine)
        self.devices = devices
        self.written = 0
        self.stop = False

    async def run(self) -> None:
        rng = random.Random(7)
        while not self.stop:
            now = datetime.now(UTC)
            rows = [{"device_id": f"dev-{1 + rng.randrange(self.devices):07d}", "senior_id": 1,
                     "metric": "heart_rate", "value": 70.0,
                     "measured_at": now + timedelta(microseconds=n), "received_at": now}
                    for n in range(INGEST_BATCH)]
            async with self.sessions() as session:
                insert = (pg_insert if session.get_bind().dialect.name == "postgresql"
                          else sqlite_insert)(DeviceReading).on_conflict_do_nothing(
                    index_elements=["device_id", "measured_at", "metric"])
                await session.execute(insert, rows)
                await session.commit()
            self.written += len(rows)
            await asyncio.sleep(0)

    async def rate_over(self, seconds: float) -> float:
        start, began = self.written, time.perf_counter()
        await asyncio.sleep(seconds)
        return (self.written - start) / (time.perf_counter() - began)


@asynccontextmanager
async def database(backend: str, folder: Path) -> AsyncIterator[tuple[str, Any]]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'var' / 'anxin.db'}", None
        return
    from devices import mosquitto

    server = ThrowawayPostgres(port=mosquitto.free_port(), durable=True)
    url = server.start()
    try:
        yield url, server
    finally:
        server.stop()


async def measure(backend: str, size: volume.Volume, *, raw_days: int, queries: int,
                  say: Callable[[str], None]) -> dict[str, Any]:
    from benchmarks.serving import create_app

    folder = Path(tempfile.mkdtemp(prefix="anxin-bench-data-"))
    result: dict[str, Any] = {"backend": backend, "seniors": size.seniors,
                              "devices": size.devices, "days": size.days,
                              "reading_minutes": size.reading_minutes, "raw_days": raw_days}
    async with database(backend, folder) as (url, _server):
        engine = create_engine(url)
        await upgrade(engine)
        began = time.perf_counter()
        rows = await volume.fill(engine, size, now=datetime.now(UTC),
                                 progress=lambda name, n: None)
        result["fill_s"] = round(time.perf_counter() - began, 1)
        result["rows"] = rows
        result["fill_rows_s"] = round(sum(rows.values()) / max(result["fill_s"], 0.1))
        say(f"filled in {result['fill_s']} s: {rows}")
        result["db_size_mb"] = {"before": await db_size_mb(engine)}
        settings = Settings(data_dir=folder / "var", database_url=url,
                            secret_key=SecretStr(secrets.token_urlsafe(40)),
                            biometric_key=SecretStr(secrets.token_urlsafe(40)),
                            mqtt_enabled=False, telephony="none", run_background_tasks=False,
                            settle_heap=False, readings_raw_days=raw_days,
                            login_failure_delay_seconds=0)
        app = create_app(settings)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
            runtime = app.state.runtime
            async with runtime.sessions() as session:
                await accounts_service.create_user(session, username="bench_sup",
                                                   display_name="bench", role=Role.SUPERVISOR,
                                                   password=PASSWORD, now=runtime.clock.now())
                await session.commit()
            login = await http.post("/api/v1/auth/login",
                                    json={"username": "bench_sup", "password": PASSWORD})
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            result.update(await _retention(runtime.sessions, engine, settings, size))
            say(f"rolled up in {result['rollup_s']} s")
            result["db_size_mb"]["after"] = await db_size_mb(engine)
            result.update(await _queries(http, headers, size, queries))
        say(f"queries: {result}")
        began = time.perf_counter()
        key = backup_flows.backup_key(settings)
        try:
            path = await backup_flows.create_backup(url=url, to=folder / "backups", key=key,
                                                    now=datetime.now(UTC))
        except Exception as error:  # the line reports it; the figures above still stand
            result["backup_error"] = f"{type(error).__name__}: {error}"
            await engine.dispose()
            shutil.rmtree(folder, ignore_errors=True)
            return result
        result["backup_s"] = round(time.perf_counter() - began, 1)
        result["backup_mb"] = round(path.stat().st_size / 2**20, 1)
        target = (f"sqlite+aiosqlite:///{folder / 'restored' / 'anxin.db'}"
                  if backend == "sqlite" else url.rsplit("/", 1)[0] + "/restored")
        if backend != "sqlite":
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text('CREATE DATABASE "restored"'))
        began = time.perf_counter()
        await backup_flows.restore_backup(path=path, url=target, key=key)
        result["restore_s"] = round(time.perf_counter() - began, 1)
        await engine.dispose()
    if sqlite_file(url) is None or backend == "sqlite":
        shutil.rmtree(folder, ignore_errors=True)
    return result


async def _retention(sessions: Any, engine: AsyncEngine, settings: Settings,
                     size: volume.Volume) -> dict[str, Any]:
    """The ingest's rate alone and beside the paced retention job, then the roll-up's own
    time: the job run to the end unpaced, nothing else writing."""
    writer = IngestWriter(engine, size.devices)
    ingest = asyncio.create_task(writer.run())
    alone = await writer.rate_over(INGEST_WINDOW_S)
    paced = asyncio.create_task(_retention_until_done(
        sessions, retention_flows.RetentionPolicy.from_settings(settings)))
    during = await writer.rate_over(INGEST_WINDOW_S * 2)
    # Stopped mid-batch on purpose: the batch rolls back and is done again below.
    paced.cancel()
    await asyncio.gather(paced, return_exceptions=True)
    writer.stop = True
    await ingest
    policy = dataclasses.replace(retention_flows.RetentionPolicy.from_settings(settings),
                                 pause_factor=0.0)
    began = time.perf_counter()
    await _retention_until_done(sessions, policy)
    return {"rollup_s": round(time.perf_counter() - began, 1),
            "ingest_msg_s": {"alone": round(alone), "while_retention": round(during),
                             "ratio": round(during / alone, 3) if alone else None}}


async def _retention_until_done(sessions: Any, policy: retention_flows.RetentionPolicy) -> None:
    while (await retention_flows.retention_pass(sessions, policy=policy,
                                                clock=SystemClock())).hours_rolled:
        pass


async def _queries(http: httpx.AsyncClient, headers: dict[str, str], size: volume.Volume,
                   queries: int) -> dict[str, Any]:
    rng = random.Random(3)
    names = [rng.choice(volume.SURNAMES) + rng.choice(volume.GIVEN) for _ in range(queries)]

    def search(n: int) -> Awaitable[httpx.Response]:
        params = ([{"name": names[n]}, {"phone": f"{rng.randrange(10**8):08d}"[-6:]},
                   {"district": rng.choice(volume.DISTRICTS), "name": names[n][:1]}][n % 3])
        return http.get("/api/v1/seniors", params={**params, "limit": 20}, headers=headers)

    seniors = [1 + rng.randrange(min(size.seniors, size.devices)) for _ in range(queries)]
    search_ms = await timed(queries, search)
    record_ms = await timed(queries, lambda n: http.get(
        f"/api/v1/incidents/seniors/{seniors[n]}/record", headers=headers))
    year_ms = await timed(queries, lambda n: http.get(
        f"/api/v1/health/{seniors[n]}/vitals", params={"days": 366}, headers=headers))
    now = datetime.now(UTC)
    month_start = (now - timedelta(days=30))
    kpi_ms = await timed(3, lambda n: http.get("/api/v1/kpis", params={
        "from": month_start.isoformat(), "to": now.isoformat()}, headers=headers))
    label = f"{now:%Y-%m}"
    report_ms = await timed(3, lambda n: http.get("/api/v1/reports/monthly",
                                                  params={"month": label}, headers=headers))
    return {"seniors_search_ms": {"p50": round(percentile(search_ms, 0.5), 1),
                                  "p99": round(percentile(search_ms, 0.99), 1)},
            "senior_record_ms": {"p99": round(percentile(record_ms, 0.99), 1)},
            "health_year_ms": {"p99": round(percentile(year_ms, 0.99), 1)},
            "kpi_month_ms": round(statistics.median(kpi_ms)),
            "report_month_ms": round(statistics.median(report_ms))}


def command(
    backend: Annotated[str, typer.Option(help="sqlite or postgresql")] = "sqlite",
    seniors: Annotated[int, typer.Option(min=10)] = 500_000,
    devices: Annotated[int, typer.Option(min=10)] = 200_000,
    days: Annotated[int, typer.Option(min=1)] = 30,
    reading_minutes: Annotated[int, typer.Option(help="minutes between samples of each "
                                                      "metric (devices measure each minute)",
                                                 min=1)] = 240,
    raw_days: Annotated[int, typer.Option(help="raw window for the retention run")] = 7,
    queries: Annotated[int, typer.Option(min=10)] = 200,
) -> None:
    """Generate a region, then measure retention, queries, backup and restore at that size."""
    size = volume.Volume(seniors=seniors, devices=devices, days=days,
                         reading_minutes=reading_minutes)
    result = asyncio.run(measure(backend, size, raw_days=raw_days, queries=queries,
                                 say=lambda line: typer.echo(line, err=True)))
    typer.echo(json.dumps(result, ensure_ascii=False))


def scale_command(
    seniors: Annotated[int, typer.Option(min=1)] = 500_000,
    devices: Annotated[int, typer.Option(min=1)] = 200_000,
    days: Annotated[int, typer.Option(min=1)] = 30,
    reading_minutes: Annotated[int, typer.Option(help="minutes between samples of each "
                                                      "metric (devices measure each minute; "
                                                      "this compresses it)", min=1)] = 240,
) -> None:
    """Fill the configured (empty) database with a region: seniors, contacts, devices, a
    month of readings, alarms, calls, orders and certifications."""
    from rich.progress import Progress

    size = volume.Volume(seniors=seniors, devices=devices, days=days,
                         reading_minutes=reading_minutes)
    settings = Settings()

    async def run() -> dict[str, int]:
        engine = create_engine(settings.resolved_database_url)
        try:
            await upgrade(engine)
            with Progress() as progress:
                tasks: dict[str, Any] = {}

                def step(name: str, n: int) -> None:
                    if name not in tasks:
                        tasks[name] = progress.add_task(name, total=None)
                    progress.advance(tasks[name], n)

                return await volume.fill(engine, size, now=datetime.now(UTC), progress=step)
        finally:
            await engine.dispose()

    typer.echo(json.dumps(asyncio.run(run()), ensure_ascii=False))
