"""What the gateway fakes can be told to do wrong: answer 5xx, or hold a request."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Faults:
    """``fail_next``: HTTP statuses for the next requests; ``hang_next``: how many requests
    to hold until ``release`` is set (``held`` is set once one is held)."""

    fail_next: list[int] = field(default_factory=list)
    hang_next: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    held: asyncio.Event = field(default_factory=asyncio.Event)

    async def before_request(self) -> int | None:
        """Hold the request if told to; the status to fail it with, if any."""
        if self.hang_next:
            self.hang_next -= 1
            self.held.set()
            await self.release.wait()
        return self.fail_next.pop(0) if self.fail_next else None
