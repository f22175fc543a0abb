"""The retention job: roll up, then delete what has been rolled up or outlived its keep."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from accounts.models import AuditEntry
from config.settings import Settings
from devices.models import DeviceReading
from retention import archive, partitions, service
from retention.models import ReadingRollup
from runtime.clock import Clock
from runtime.context import Runtime
from storage import write_gate

log = logging.getLogger(__name__)
# An hour is rolled up this long after it ends, so readings a device sends late still count.
ROLLUP_LAG = timedelta(minutes=10)
HOURS_PER_PASS = 48


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long each kind of row is kept (docs/operations.md, "Retention")."""

    raw_days: int = 30
    hourly_days: int = 400
    daily_years: int = 10
    audit_days: int = 180
    case_archive_days: int = 0  # 0: nothing archived
    batch_rows: int = 5000
    timezone: str = "Asia/Shanghai"
    # After each batch, pause this many times as long as the batch took: the job then has at
    # most 1/(1+pause) of the database (a tenth), and the ingest keeps its rate.
    pause_factor: float = 9.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        return cls(raw_days=settings.readings_raw_days,
                   hourly_days=settings.readings_hourly_days,
                   daily_years=settings.readings_daily_years, audit_days=settings.audit_days,
                   case_archive_days=settings.case_archive_days,
                   batch_rows=settings.retention_batch_rows, timezone=settings.timezone,
                   pause_factor=settings.retention_pause_factor)


@dataclass
class RetentionReport:
    """What one pass did."""

    hours_rolled: int = 0
    days_rolled: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    archived: dict[str, int] = field(default_factory=dict)
    partitions_dropped: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.hours_rolled or self.days_rolled or any(self.deleted.values())
                    or any(self.archived.values()))


Sessions = async_sessionmaker[AsyncSession]


async def retention_pass(sessions: Sessions, *, policy: RetentionPolicy, clock: Clock,
                         on_batch: Callable[[str], None] | None = None) -> RetentionReport:
    """Roll up every finished hour and day, then delete in small batches what may go."""
    report = RetentionReport()
    zone = ZoneInfo(policy.timezone)
    for _ in range(HOURS_PER_PASS):
        began = time.monotonic()
        async with sessions() as session:
            hour = await service.roll_up_next_hour(session, until=clock.now() - ROLLUP_LAG)
            await session.commit()
        if hour is None:
            break
        report.hours_rolled += 1
        if on_batch:
            on_batch(f"hour {hour.isoformat()}")
        await _pause(began, policy, session)
    while True:
        began = time.monotonic()
        async with sessions() as session:
            day = await service.roll_up_next_day(session, zone=zone)
            await session.commit()
        if day is None:
            break
        report.days_rolled += 1
        await _pause(began, policy, session)
    await _delete_expired(sessions, policy=policy, now=clock.now(), report=report)
    if policy.case_archive_days:
        await _archive_cases(sessions, policy=policy, now=clock.now(), report=report)
    return report


async def _archive_cases(sessions: Sessions, *, policy: RetentionPolicy, now: datetime,
                         report: RetentionReport) -> None:
    """Mark closed case records past their age archived, in batches like the deletions."""
    cutoff = now - timedelta(days=policy.case_archive_days)
    for rule in archive.ARCHIVE_RULES:
        total = 0
        while True:
            began = time.monotonic()
            async with sessions() as session:
                done = await archive.archive_batch(session, rule, cutoff=cutoff, now=now,
                                                   limit=policy.batch_rows)
                await session.commit()
            total += done
            if done < policy.batch_rows:
                break
            await _pause(began, policy, session)
        report.archived[rule.name] = total


async def _delete_expired(sessions: Sessions, *, policy: RetentionPolicy, now: datetime,
                          report: RetentionReport) -> None:
    async with sessions() as session:
        hourly = await service.cursor(session, service.HOURLY)
        daily = await service.cursor(session, service.DAILY)
        partitioned = await partitions.is_partitioned(session)
        if partitioned:
            await partitions.ensure_partitions(session, now=now)
            await session.commit()
    # Never past the roll-ups: readings not yet summarised stay, whatever their age.
    raw_cutoff = (min(now - timedelta(days=policy.raw_days), hourly)
                  if hourly is not None else None)
    if raw_cutoff is not None:
        if partitioned:
            async with sessions() as session:
                dropped = await partitions.drop_partitions_before(session, cutoff=raw_cutoff)
                await session.commit()
            report.partitions_dropped = len(dropped)
        report.deleted["readings"] = await _delete_all(
            sessions, DeviceReading, DeviceReading.measured_at < raw_cutoff, policy)
    hourly_cutoff = now - timedelta(days=policy.hourly_days)
    if daily is not None:
        report.deleted["hourly_rollups"] = await _delete_all(
            sessions, ReadingRollup,
            (ReadingRollup.resolution == service.HOURLY)
            & (ReadingRollup.bucket_start < min(hourly_cutoff, daily)), policy)
    report.deleted["daily_rollups"] = await _delete_all(
        sessions, ReadingRollup,
        (ReadingRollup.resolution == service.DAILY)
        & (ReadingRollup.bucket_start < now - timedelta(days=365 * policy.daily_years)),
        policy)
    report.deleted["audit"] = await _delete_all(
        sessions, AuditEntry, AuditEntry.at < now - timedelta(days=policy.audit_days),
        policy)


async def _pause(began: float, policy: RetentionPolicy, session: AsyncSession) -> None:
    """Let the ingest and the web have the database between batches (wall time, not the
    injected clock: this paces work, it schedules nothing).

    On SQLite the job then also waits while other writers queue for the write gate, up to
    as long again, so a burst of ingest goes first rather than behind the next batch.
    """
    await _checkpoint(session)
    spent = time.monotonic() - began
    await asyncio.sleep(spent * policy.pause_factor)
    gate = write_gate.gate_of(session.sync_session)
    if gate is not None and gate.waiting:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(spent * max(policy.pause_factor, 1.0)):
                await gate.quiet()


async def _checkpoint(session: AsyncSession) -> None:
    """On SQLite, copy the batch's pages from the write-ahead log into the database now, in
    the job's own (paced) time: left to the automatic checkpoint, the next ingest commit past
    1,000 log pages paid for them (a roll-up hour touches some 20,000 index pages), and the
    ingest beside retention fell to a third of its rate. PASSIVE: it takes no lock that a
    writer waits for, and leaves what readers still use."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("PRAGMA wal_checkpoint(PASSIVE)"))
        await session.commit()


async def _delete_all(sessions: Sessions, model: Any, condition: ColumnElement[bool],
                      policy: RetentionPolicy) -> int:
    """Delete in transactions of a few thousand rows, so none holds the write lock long."""
    total = 0
    while True:
        began = time.monotonic()
        async with sessions() as session:
            gone = await service.delete_batch(session, model, condition,
                                              limit=policy.batch_rows)
            await session.commit()
        total += gone
        if gone < policy.batch_rows:
            return total
        await _pause(began, policy, session)


async def retention_loop(runtime: Runtime) -> None:
    """The background job: a pass every few minutes, straight on while there is a backlog.

    One async function, so a cluster-wide lease can wrap it when several instances run.
    """
    policy = RetentionPolicy.from_settings(runtime.settings)
    while True:
        report = await retention_pass(runtime.sessions, policy=policy, clock=runtime.clock)
        if report.busy:
            log.info("retention: %d hours and %d days rolled up, deleted %s, archived %s",
                     report.hours_rolled, report.days_rolled, report.deleted, report.archived)
        if report.hours_rolled < HOURS_PER_PASS:
            await runtime.clock.sleep(runtime.settings.retention_interval_minutes * 60)
