"""The benches' one way to the assembled app (``dashboard.app``), and serving it over HTTP.

Bench modules import the app through here only (the import contract in pyproject.toml checks
it): the composition root stays the one place that knows every part.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import uvicorn
from fastapi import FastAPI

from config.settings import Settings
from devices import mosquitto
from runtime.clock import Clock
from runtime.context import Runtime


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    """The whole app, as ``anxin serve`` builds it."""
    from dashboard import app  # the app includes the bench's own domains: import it late

    return app.create_app(settings, clock=clock)


def open_runtime(settings: Settings, clock: Clock) -> AbstractAsyncContextManager[Runtime]:
    """The database (migrated, seeded in demo mode) and the bus, without the web app."""
    from dashboard import app

    return app.open_runtime(settings, clock)


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[int]:
    """Serve ``app`` (its lifespan included) until the block ends; yields the port."""
    port = mosquitto.free_port()  # any free loopback port
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", ws_ping_interval=None))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers only this flag)
        await asyncio.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        await serving
