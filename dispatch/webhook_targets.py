"""Where provider webhooks may point: outside demo mode never into the centre's own network.

A webhook URL is fetched by the server, so a URL at loopback, a private range or a cloud
metadata address would let whoever registers a provider reach internal services (SSRF). The
host is resolved and every address it names is checked when the URL is saved, and again
before each request (a name can be re-pointed after it was saved).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx

from dispatch.exceptions import InvalidRequest

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Checked in this order: the first that matches names the reason.
REFUSED: tuple[tuple[str, Callable[[IpAddress], bool]], ...] = (
    ("loopback", lambda ip: ip.is_loopback),
    ("unspecified", lambda ip: ip.is_unspecified),
    ("link-local", lambda ip: ip.is_link_local),
    ("multicast", lambda ip: ip.is_multicast),
    ("reserved", lambda ip: ip.is_reserved),
    ("private", lambda ip: ip.is_private),
    ("non-public", lambda ip: not ip.is_global),  # shared (CGNAT), documentation, …
)


def refusal(ip: IpAddress) -> str | None:
    """Why ``ip`` may not be called, or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return next((reason for reason, test in REFUSED if test(ip)), None)


async def _addresses(host: str, port: int) -> list[IpAddress]:
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)
    except OSError as error:
        raise InvalidRequest(f"webhook_url host {host!r} does not resolve") from error
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


async def check_webhook_url(url: str) -> None:
    """Return if every address of the URL's host is public; else InvalidRequest says why."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidRequest("webhook_url must be an http(s) URL with a host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for ip in await _addresses(host, port):
        reason = refusal(ip)
        if reason is not None:
            raise InvalidRequest(
                f"webhook_url host {host!r} is a {reason} address ({ip}); provider webhooks "
                "must reach a public address outside demo mode")


def guarded_client(*, demo: bool, timeout: float = 5.0) -> httpx.AsyncClient:
    """The webhook HTTP client; outside demo mode each request's host is checked first."""
    hooks: list[Callable[[httpx.Request], Awaitable[None]]] = [] if demo else [_check_request]
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                             event_hooks={"request": hooks})


async def _check_request(request: httpx.Request) -> None:
    await check_webhook_url(str(request.url))
