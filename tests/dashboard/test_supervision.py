"""Background loops restart after a crash, quickly the first time and slower if it repeats."""

from __future__ import annotations

import logging

import pytest

from dashboard.app import supervised
from runtime.context import Runtime


async def test_a_crashed_loop_restarts_soon_then_backs_off(
        runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    """A loop that crashes twice is restarted after 0.2 s, then after 1 s, and runs on."""
    starts: list[int] = []

    async def flaky_loop(_runtime: Runtime) -> None:
        starts.append(len(starts))
        if len(starts) <= 2:
            raise RuntimeError("deadlock detected")

    with caplog.at_level(logging.ERROR):
        await supervised(flaky_loop, runtime)
    assert starts == [0, 1, 2]
    assert [record.getMessage() for record in caplog.records] == [
        "background task flaky_loop crashed; restarting in 0.2 s",
        "background task flaky_loop crashed; restarting in 1.0 s"]
