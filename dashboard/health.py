"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from runtime.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "alive"}


@router.get("/readyz")
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """The database answers; 503 with the reason when it does not."""
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means "not ready"
        return JSONResponse({"status": "unavailable", "database": str(error)}, status_code=503)
    return JSONResponse({"status": "ready", "database": "ok"})
