"""Request bodies are refused over their route's limit, over real HTTP, before any parsing."""

from __future__ import annotations

import asyncio
import json
import resource
from collections.abc import AsyncIterator

import pytest

from config.settings import Settings
from dashboard.app import create_app
from dashboard.body_limit import DEFAULT_BODY_LIMIT
from liveness.schemas import FRAMES_BODY_LIMIT
from tests.conftest import LiveServer, serve

CHUNK = b"x" * 65536


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[LiveServer]:
    async for live in serve(create_app(settings)):
        yield live


async def _status(reader: asyncio.StreamReader) -> tuple[int, dict[str, object]]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    return status, json.loads(await reader.readexactly(length))


async def _post_streaming(port: int, path: str, *, declared: int | None,
                          total: int) -> tuple[int, dict[str, object], int]:
    """Send ``total`` bytes (chunked when ``declared`` is None) until the server answers;
    the status, JSON body and how many bytes had gone out by then."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = (f"Content-Length: {declared}" if declared is not None
               else "Transfer-Encoding: chunked")
    writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Content-Type: application/json\r\n{framing}\r\n\r\n".encode())
    answer = asyncio.ensure_future(_status(reader))
    sent = 0
    try:
        while sent < total and not answer.done():
            chunk = CHUNK if declared is not None else b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK)
            writer.write(chunk)
            await writer.drain()
            sent += len(CHUNK)
    except ConnectionError:
        pass  # the server answered and closed while we were still sending
    async with asyncio.timeout(60):  # without a limit the server waits for the rest forever
        status, body = await answer
    writer.close()
    return status, body, sent


async def test_a_huge_anonymous_body_is_refused_at_once(server: LiveServer) -> None:
    """150 MB to the log-in route: 413 naming the limit long before it is sent, memory flat."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    total = 150 * 1024 * 1024
    status, body, sent = await _post_streaming(server.port, "/api/v1/auth/login",
                                               declared=total, total=total)
    assert status == 413 and body["limit_bytes"] == DEFAULT_BODY_LIMIT
    assert str(DEFAULT_BODY_LIMIT) in str(body["detail"])
    assert sent < total // 10
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 50 * 1024


async def test_a_chunked_body_is_cut_off_at_the_limit(server: LiveServer) -> None:
    """Without Content-Length, the body is refused once it passes the limit."""
    status, body, sent = await _post_streaming(server.port, "/api/v1/auth/login",
                                               declared=None, total=8 * DEFAULT_BODY_LIMIT)
    assert status == 413 and body["limit_bytes"] == DEFAULT_BODY_LIMIT
    assert sent < 8 * DEFAULT_BODY_LIMIT


async def test_frame_uploads_get_their_own_larger_limit(server: LiveServer) -> None:
    """Frames may exceed the default limit up to theirs, and no further."""
    path = "/liveness/capture/not-a-token/sessions/s/frames"
    size = 2 * DEFAULT_BODY_LIMIT
    status, _, _ = await _post_streaming(server.port, path, declared=size, total=size)
    assert status != 413  # through the limit to the route (which refuses the token or body)
    status, body, _ = await _post_streaming(server.port, path, declared=FRAMES_BODY_LIMIT + 1,
                                            total=FRAMES_BODY_LIMIT + 1)
    assert status == 413 and body["limit_bytes"] == FRAMES_BODY_LIMIT
