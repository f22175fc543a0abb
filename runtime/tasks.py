"""Short tasks a part starts after answering (work after a commit), kept so that failures are
logged and shutdown or a test can wait for them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from runtime.scope import everywhere_context

log = logging.getLogger(__name__)


@dataclass
class SpawnedTasks:
    what: str  # named in the log line of a task that failed
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        # Work after an answer is the system's, not the caller's: it sees every centre.
        task = asyncio.create_task(work, context=everywhere_context())
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", self.what, exc_info=task.exception())

    async def drain(self) -> None:
        """Wait until every spawned task (and any it spawned) has finished."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
