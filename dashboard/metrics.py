"""Prometheus metrics for HTTP traffic, and the guarded ``/metrics`` route."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, HTTPException, Request, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from accounts import service as accounts_service
from accounts.deps import presented_token
from accounts.exceptions import AuthenticationError
from accounts.roles import METRICS_READERS
from runtime.deps import RuntimeDep

HTTP_REQUESTS = Counter("anxin_http_requests_total", "HTTP requests answered",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram("anxin_http_request_seconds", "HTTP request handling time",
                         ["method", "route"])

router = APIRouter()


def _route_name(request: Request) -> str:
    """The matched route's template (set in the scope by the router), so labels stay few."""
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))


async def measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]
                  ) -> Response:
    """Middleware: count and time every request by its route template."""
    started = time.perf_counter()
    response = await call_next(request)
    route = _route_name(request)
    HTTP_LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
    HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    return response


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, runtime: RuntimeDep) -> Response:
    """Prometheus exposition: for a supervisor or admin, or a scraper with the metrics token."""
    token = presented_token(request)
    if token is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not logged in")
    configured = runtime.settings.metrics_token
    if configured is None or not hmac.compare_digest(token, configured.get_secret_value()):
        async with runtime.sessions() as session:
            try:
                user = await accounts_service.user_for_token(session, token=token,
                                                             now=runtime.clock.now())
            except AuthenticationError as error:
                raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from error
        if user.role not in METRICS_READERS:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "metrics are for supervisors")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
