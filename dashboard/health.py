"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from devices.lifespan import DevicesDep
from runtime.deps import RuntimeDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "alive"}


@router.get("/readyz")
async def readyz(runtime: RuntimeDep, devices: DevicesDep) -> JSONResponse:
    """The database answers and the in-app ingest is consuming; 503 naming what failed when
    not (a database error goes to the log: driver messages carry host names and paths that
    strangers need not see). ``leases`` names the cluster-wide jobs this instance runs."""
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not ready"
        log.exception("readiness: the database does not answer")
        return JSONResponse({"status": "unavailable", "database": "unavailable",
                             "failed": ["database"], "leases": sorted(runtime.leases.held)},
                            status_code=503)
    ingest = devices.ingest
    if ingest is not None and not ingest.health.consuming:
        # The app's own ingest is connected but not taking device messages (SOS included).
        return JSONResponse({"status": "unavailable", "database": "ok", "failed": ["ingest"],
                             "ingest": f"{ingest.health.name} not consuming: "
                                       f"{ingest.health.reason}"}, status_code=503)
    return JSONResponse({"status": "ready", "database": "ok",
                         "leases": sorted(runtime.leases.held)})
