"""The call centre's commands: ``anxin bench webhooks``."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer


def bench_webhooks(
    calls: Annotated[int, typer.Option(min=1, help="concurrent simulated calls")] = 200,
) -> None:
    """Concurrent simulated calls through signed Twilio webhooks (in process, no network)."""
    from callcenter import bench

    typer.echo(json.dumps(asyncio.run(bench.run(calls)), ensure_ascii=False))
