"""The webhook benchmark drives whole calls through the real app's signed webhooks."""

from __future__ import annotations

from benchmarks import webhooks as bench


async def test_bench_runs_every_webhook_of_every_call() -> None:
    """A small run answers all three signed webhooks of each call and reports its figures."""
    result = await bench.run(4, ramp=0.0, think=0.0)
    assert result["requests"] == 12
    assert result["p50_ms"] > 0 and result["p99_ms"] >= result["p50_ms"]
    assert result["cpu_ms_per_webhook"] > 0
