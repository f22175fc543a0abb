"""The call centre's commands: ``anxin bench webhooks``."""

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
