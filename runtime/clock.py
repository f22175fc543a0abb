"""Time is injected: code asks a clock, and tests move a manual one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class ManualClock:
    """A clock that only moves when told; ``sleep`` waits until ``advance`` passes the deadline."""

    current: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    _sleepers: list[tuple[datetime, asyncio.Future[None]]] = field(default_factory=list)

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.current + timedelta(seconds=seconds), future))
        await future

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has passed."""
        self.current += timedelta(seconds=seconds)
        due = [(at, fut) for at, fut in self._sleepers if at <= self.current]
        self._sleepers = [(at, fut) for at, fut in self._sleepers if at > self.current]
        for _, fut in due:
            if not fut.done():
                fut.set_result(None)
