"""The app served by uvicorn on a free loopback port (drills, benchmarks)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from devices import mosquitto


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[int]:
    """Serve ``app`` (its lifespan included) until the block ends; yields the port."""
    port = mosquitto.free_port()  # any free loopback port
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", ws_ping_interval=None))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():  # it failed to start: say why instead of waiting for ever
            serving.result()
            raise RuntimeError("the app did not start")
        await asyncio.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        await serving
