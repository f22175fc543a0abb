"""The liveness resources on the Runtime: the analysis pool, the biometric and link keys, the
reminder port; opened by the lifespan part ``open_liveness``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends

from config.keys import BiometricKeys, Purpose, biometric_keys, purpose_key
from liveness.analysis import pool_of
from liveness.decision import Thresholds
from liveness.reminders import MessagePortReminderSender, ReminderSender
from liveness.rotation import ResealReport, reseal_all
from messaging.lifespan import MESSAGING
from runtime.context import Runtime
from runtime.deps import part_dependency
from runtime.parts import Part

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LivenessRuntime:
    pool: Executor
    keys: BiometricKeys
    link_key: bytes
    reminders: ReminderSender
    thresholds: Thresholds
    workers: int
    analysis_width: int
    # One writer at a time appends to the decision hash chain (one server process; several
    # processes would need a database lock instead).
    chain_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@asynccontextmanager
async def open_liveness(runtime: Runtime) -> AsyncIterator[LivenessRuntime]:
    """Derive the keys, move biometric rows to the current key, and start the analysis pool
    (workers spawn on first use)."""
    settings = runtime.settings
    keys = biometric_keys(settings)
    await reseal_at_start(runtime, keys)
    async with pool_of(settings.liveness_workers) as pool:
        yield LivenessRuntime(
            pool=pool, keys=keys, link_key=purpose_key(settings, Purpose.CAPTURE_LINKS),
            reminders=MessagePortReminderSender(runtime),
            thresholds=Thresholds(settings.liveness_accept_distance,
                                  settings.liveness_review_distance,
                                  settings.liveness_replay_distance),
            workers=settings.liveness_workers, analysis_width=settings.liveness_analysis_width)


# Certification reminders go out through the message port.
LIVENESS = Part("liveness", open_liveness, needs=(MESSAGING,))
LivenessDep = Annotated[LivenessRuntime, Depends(part_dependency(LIVENESS))]


def liveness_of(runtime: Runtime) -> LivenessRuntime:
    return runtime.part(LIVENESS)


async def reseal_at_start(runtime: Runtime, keys: BiometricKeys) -> ResealReport:
    """Re-encrypt what a rotation (or an upgrade) left under another key, before any check."""
    async with runtime.sessions() as session:
        report = await reseal_all(session, keys)
        await session.commit()
    if report.templates or report.audit_frames:
        log.info("biometric rows re-sealed under key %s: %d templates, %d audit frames",
                 report.key_id, report.templates, report.audit_frames)
    if report.unreadable:
        log.error("%d biometric rows open with neither ANXIN_BIOMETRIC_KEY nor "
                  "ANXIN_BIOMETRIC_KEY_PREVIOUS; set the key they were sealed with as "
                  "ANXIN_BIOMETRIC_KEY_PREVIOUS and restart, or re-enrol", report.unreadable)
    return report
