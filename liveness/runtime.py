"""The liveness resources on the Runtime: the analysis pool, the template key, the reminder
port; opened by the lifespan part ``open_liveness``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from liveness.analysis import pool_of
from liveness.decision import Thresholds
from liveness.reminders import LoggingReminderSender, ReminderSender, TelephonyReminderSender
from liveness.templates import derive_key, derive_template_key
from runtime.context import Runtime


@dataclass
class LivenessRuntime:
    pool: Executor
    template_key: bytes
    link_key: bytes
    reminders: ReminderSender
    thresholds: Thresholds
    workers: int
    analysis_width: int
    # One writer at a time appends to the decision hash chain (one server process; several
    # processes would need a database lock instead).
    chain_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@asynccontextmanager
async def open_liveness(runtime: Runtime) -> AsyncIterator[None]:
    """Start the analysis pool (workers spawn on first use) and derive the template key:
    HKDF-SHA256 of ANXIN_BIOMETRIC_KEY when set, else of ANXIN_SECRET_KEY."""
    settings = runtime.settings
    source = settings.biometric_key.get_secret_value() if settings.biometric_key else \
        settings.secret()
    async with pool_of(settings.liveness_workers) as pool:
        runtime.liveness = LivenessRuntime(
            pool=pool, template_key=derive_template_key(source),
            link_key=derive_key(settings.secret(), b"anxin liveness capture links v1"),
            reminders=TelephonyReminderSender(runtime.callcenter.provider)
            if runtime.callcenter else LoggingReminderSender(),
            thresholds=Thresholds(settings.liveness_accept_distance,
                                  settings.liveness_review_distance,
                                  settings.liveness_replay_distance),
            workers=settings.liveness_workers, analysis_width=settings.liveness_analysis_width)
        try:
            yield
        finally:
            runtime.liveness = None
