"""Request bodies are bounded before anything parses them (or knows who sent them)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_BODY_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class BodyLimit:
    """A larger limit for the routes whose path matches ``pattern`` (a full-match regex)."""

    pattern: str
    max_bytes: int


class LimitRequestBodies:
    """Middleware: 413 for a body over its route's limit, by Content-Length or while streaming.

    The body is read here, up to the limit, and handed to the app only once it is known to
    fit, so neither a JSON parser nor the multipart spooler ever sees an oversized body.
    """

    def __init__(self, app: ASGIApp, *, default: int = DEFAULT_BODY_LIMIT,
                 routes: Sequence[BodyLimit] = ()) -> None:
        self.app = app
        self.default = default
        self.routes = [(re.compile(route.pattern), route.max_bytes) for route in routes]

    def limit_for(self, path: str) -> int:
        return next((size for pattern, size in self.routes if pattern.fullmatch(path)),
                    self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        messages = await _read_body(receive, limit)
        if messages is None:
            await _refuse(send, limit)
            return
        await self.app(scope, _replay(messages, receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_body(receive: Receive, limit: int) -> list[Message] | None:
    """Every body message of the request, or None as soon as they pass ``limit`` bytes."""
    messages: list[Message] = []
    received = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages  # the client went away; the app sees the disconnect
        received += len(message.get("body", b""))
        if received > limit:
            return None
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"code": "too_large", "detail": f"request body larger than {limit} bytes",
                       "limit_bytes": limit}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
