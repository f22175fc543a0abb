"""Which watch ids are registered: the active 3g-watch ids, held in memory.

Ten thousand watches connecting at once would otherwise be ten thousand queries competing for
the database's connections; one query loads every id, refreshed every REFRESH_SECONDS, and an
id not yet in the set (a watch provisioned a moment ago) triggers at most one reload every
MISS_RELOAD_SECONDS.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devices import service

REFRESH_SECONDS = 60.0
MISS_RELOAD_SECONDS = 5.0


class WatchRegistry:
    """``known(id)``: an active device of a TCP watch model with that id."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._ids: frozenset[str] = frozenset()
        self._loaded = -float("inf")
        self._lock = asyncio.Lock()

    async def known(self, device_id: str) -> bool:
        if time.monotonic() - self._loaded > REFRESH_SECONDS:
            await self._reload(older_than=REFRESH_SECONDS)
        if device_id not in self._ids:
            await self._reload(older_than=MISS_RELOAD_SECONDS)
        return device_id in self._ids

    async def _reload(self, *, older_than: float) -> None:
        async with self._lock:  # callers waiting here share the one reload
            if time.monotonic() - self._loaded <= older_than:
                return
            async with self.sessions() as session:
                self._ids = frozenset(await service.active_watch_ids(session))
            self._loaded = time.monotonic()

    def forget(self, device_id: str) -> None:
        """The device changed (retired, re-assigned): read the registry again next time."""
        self._loaded = -float("inf")
        del device_id
