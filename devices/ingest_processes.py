"""The ingest in child processes of the app (``ANXIN_MQTT_INGEST_PROCESSES=N``).

Parsing, writing and acknowledging device messages is most of the app's work under a heavy
device load; in its own process it no longer competes with the rules feed, the live feed and
the web requests for one event loop. The app supervises its children (restarting one that dies)
and stops them on shutdown; each child tells the app's rules feed about new events through
``devices.notices``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from multiprocessing.process import BaseProcess

from config.settings import Settings

log = logging.getLogger(__name__)
SHARE_GROUP = "anxin-ingest"
CHECK_SECONDS = 1.0
STOP_SECONDS = 10.0


def client_id(worker: int | None) -> str:
    """One child keeps the in-app ingest's persistent session; several share a subscription."""
    return "anxin-ingest" if worker is None else f"anxin-ingest-{worker}"


def child_main(settings: Settings, worker: int | None, parent: int) -> None:
    """Entry point of a child process: run one ingest until terminated or orphaned."""
    from config.logging import configure_logging

    configure_logging(settings.log_level)
    asyncio.run(serve(settings, worker, parent=parent))


async def serve(settings: Settings, worker: int | None, *, parent: int) -> None:
    """Run one ingest (worker N of a shared subscription, or the only one) with notices, until
    the app that started it is gone: an orphan would fight the app's next child for the
    broker session (same client id)."""
    from devices.ingest import BrokerAddress, Ingest
    from devices.notices import run_with_notices
    from runtime import heap
    from runtime.clock import SystemClock
    from storage.engine import create_sessionmaker, settings_engine

    engine = settings_engine(settings)
    with heap.settled(settings.settle_heap):  # runtime/heap.py
        try:
            ingest = asyncio.create_task(run_with_notices(Ingest(
                sessions=create_sessionmaker(engine), clock=SystemClock(),
                broker=BrokerAddress.from_settings(settings),
                batch_size=settings.mqtt_ingest_batch_size, client_id=client_id(worker),
                stall_seconds=settings.mqtt_ingest_stall_seconds,
                probe_seconds=settings.mqtt_ingest_stall_seconds / 4,
                share_group=None if worker is None else SHARE_GROUP)))
            while os.getppid() == parent and not ingest.done():
                await asyncio.wait({ingest}, timeout=CHECK_SECONDS)
            if not ingest.done():
                log.warning("the app that started ingest %s is gone; stopping", client_id(worker))
                ingest.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ingest
        finally:
            await engine.dispose()


def _start(settings: Settings, worker: int | None) -> BaseProcess:
    process = multiprocessing.get_context("spawn").Process(
        target=child_main, args=(settings, worker, os.getpid()), name=client_id(worker),
        daemon=True)
    process.start()
    return process


async def supervise(settings: Settings, count: int) -> None:
    """Keep ``count`` ingest processes running until cancelled, then stop them."""
    workers: list[int | None] = [None] if count == 1 else list(range(1, count + 1))
    processes: dict[int | None, BaseProcess] = {}
    try:
        while True:
            for worker in workers:
                process = processes.get(worker)
                if process is not None and process.is_alive():
                    continue
                if process is not None:
                    log.warning("ingest process %s exited (%s); starting it again",
                                client_id(worker), process.exitcode)
                processes[worker] = await asyncio.to_thread(_start, settings, worker)
            await asyncio.sleep(CHECK_SECONDS)
    finally:
        await asyncio.to_thread(_stop, list(processes.values()))


def _stop(processes: list[BaseProcess]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
