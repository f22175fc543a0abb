"""An instance that loses its database: not ready, no cluster jobs, back without a restart."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy.engine import make_url

from config.settings import Settings
from dashboard.app import create_app
from runtime.clock import ManualClock
from tests.cluster.conftest import until
from tests.cluster.proxy import Relay


async def ready_with(http: httpx.AsyncClient, lease: str, within: float = 30.0
                     ) -> httpx.Response:
    """/readyz once it names ``lease`` among the instance's leases (or the last answer)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        answer = await http.get("/readyz")
        if answer.status_code == 200 and lease in answer.json()["leases"]:
            return answer
        if asyncio.get_running_loop().time() > deadline:
            return answer
        await asyncio.sleep(0.05)


async def test_losing_the_database_drops_leases_and_readiness_until_it_returns(
        settings: Settings, postgres_url: str) -> None:
    """Cut off from PostgreSQL the instance answers /readyz 503 and gives up every lease;
    when the database is back it is ready again and holds the jobs, with no restart."""
    url = make_url(postgres_url)
    relay = Relay(target_port=url.port or 5432)
    await relay.start()
    relayed = url.set(port=relay.port).render_as_string(hide_password=False)
    app = create_app(settings.model_copy(update={
        "database_url": relayed, "run_background_tasks": True, "cluster_lease_seconds": 1.5}),
        clock=ManualClock())
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://anxin.test") as http:
            leases = app.state.runtime.leases
            await until(lambda: "routing_loop" in leases.held)
            assert (await http.get("/healthz")).status_code == 200
            await relay.cut()
            await until(lambda: not leases.held)
            down = await http.get("/readyz")
            assert down.status_code == 503 and down.json()["failed"] == ["database"]
            assert (await http.get("/healthz")).status_code == 200  # still serving
            await relay.start()
            # Every job comes back; with a 1.5 s term on a loaded machine one may lapse and be
            # taken again meanwhile, so the instance is asked until it reports them held.
            await until(lambda: {"routing_loop", "run_dispatch_timers"} <= set(leases.held))
            up = await ready_with(http, "run_dispatch_timers")
            assert up.status_code == 200 and "run_dispatch_timers" in up.json()["leases"]
    finally:
        await relay.cut()
