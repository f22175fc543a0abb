"""The call centre's command ``anxin bench ivr`` (``anxin bench webhooks`` is in benchmarks/)."""

from __future__ import annotations

import json

import typer


def bench_ivr() -> None:
    """Seconds from answer to the queue along the IVR's own paths, computed from its prompts'
    spoken length and Gather timeouts (no calls are placed)."""
    from callcenter import prompt_timing

    typer.echo(json.dumps({"bench": "ivr", **prompt_timing.queue_times()}, ensure_ascii=False))
