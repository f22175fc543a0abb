"""Background loops that must run once per cluster, and the event log's own housekeeping."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from cluster import event_log
from runtime.context import Runtime

BackgroundTask = Callable[[Runtime], Awaitable[None]]
PRUNE_EVERY_SECONDS = 60.0


def once_per_cluster(loop: BackgroundTask) -> BackgroundTask:
    """The loop, run only while this instance holds the lease named after it."""

    async def leased(runtime: Runtime) -> None:
        await runtime.leases.hold(loop.__name__, lambda: loop(runtime))

    leased.__name__ = loop.__name__
    leased.__qualname__ = f"once_per_cluster({loop.__qualname__})"
    leased.__doc__ = loop.__doc__
    return leased


async def prune_event_log(runtime: Runtime) -> None:
    """Every minute, forget live-feed events older than the keep time, a slice at a time."""
    while True:
        keep = timedelta(seconds=runtime.settings.live_log_keep_seconds)
        while await event_log.prune(runtime.sessions, before=runtime.clock.now() - keep,
                                    keep=runtime.settings.live_buffer_size):
            pass
        await runtime.clock.sleep(PRUNE_EVERY_SECONDS)
