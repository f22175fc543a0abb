"""Which watch ids are registered: a short cache over the device registry."""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devices import service

# A registered watch is looked up again after KNOWN_SECONDS (a retirement in another process
# takes that long to reach the gateway; in the app it is at once), an unknown id sooner.
KNOWN_SECONDS = 300.0
UNKNOWN_SECONDS = 30.0


class WatchRegistry:
    """``known(id)``: an active device of model ``3g-watch`` with that id."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._seen: dict[str, tuple[bool, float]] = {}

    async def known(self, device_id: str) -> bool:
        cached = self._seen.get(device_id)
        now = time.monotonic()
        if cached is not None and now - cached[1] < (
                KNOWN_SECONDS if cached[0] else UNKNOWN_SECONDS):
            return cached[0]
        async with self.sessions() as session:
            known = await service.is_active_watch(session, device_id=device_id)
        self._seen[device_id] = (known, now)
        return known

    def forget(self, device_id: str) -> None:
        self._seen.pop(device_id, None)
