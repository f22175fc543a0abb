"""The app's ingest child processes."""

from __future__ import annotations

import asyncio
import os

from config.settings import Settings
from devices import ingest_processes


async def test_an_ingest_whose_app_is_gone_stops_by_itself(mqtt_settings: Settings) -> None:
    """A child ingest that finds another parent than the app that started it (the app died)
    stops, instead of fighting the app's next child for the broker session."""
    gone = os.getppid() + 1_000_000
    await asyncio.wait_for(ingest_processes.serve(mqtt_settings, None, parent=gone), 10)
