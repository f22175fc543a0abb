"""The call centre's commands: ``anxin bench webhooks`` and ``anxin bench ivr``."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer


def bench_webhooks(
    calls: Annotated[int, typer.Option(min=1, help="concurrent simulated calls")] = 200,
    ramp: Annotated[float, typer.Option(min=0, help="seconds over which calls start")] = 2.0,
    think: Annotated[float, typer.Option(min=0, help="caller's seconds between webhooks")] = 2.0,
) -> None:
    """Concurrent simulated calls through signed Twilio webhooks (in process, no network)."""
    from callcenter import bench

    result = asyncio.run(bench.run(calls, ramp=ramp, think=think))
    typer.echo(json.dumps(result, ensure_ascii=False))


def bench_ivr() -> None:
    """Seconds from answer to the queue along the IVR's own paths, computed from its prompts'
    spoken length and Gather timeouts (no calls are placed)."""
    from callcenter import prompt_timing

    typer.echo(json.dumps({"bench": "ivr", **prompt_timing.queue_times()}, ensure_ascii=False))
