"""Prometheus metrics for HTTP traffic, and the guarded ``/metrics`` route."""

from __future__ import annotations

import hmac
import time

from fastapi import APIRouter, HTTPException, Request, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


def _route_name(scope: Scope) -> str:
    """The matched route's template (set in the scope by the router), so labels stay few."""
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


class MeasureRequests:
    """Middleware: count and time every HTTP request by its route template.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` would add a task group and a
    body stream to every request, which costs more than many handlers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = _route_name(scope)
            HTTP_LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)
            HTTP_REQUESTS.labels(scope["method"], route, str(status_code)).inc()


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
