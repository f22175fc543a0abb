"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from runtime.deps import RuntimeDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "alive"}


@router.get("/readyz")
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """The database answers; 503 naming what failed when it does not (the error goes to the log:
    driver messages carry host names and paths that strangers need not see)."""
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not ready"
        log.exception("readiness: the database does not answer")
        return JSONResponse({"status": "unavailable", "database": "unavailable",
                             "failed": ["database"]}, status_code=503)
    return JSONResponse({"status": "ready", "database": "ok"})
