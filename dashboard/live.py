"""The live feed: one authenticated WebSocket per browser, a snapshot, then numbered updates.

A client that reconnects with ``?since=N`` receives every update after N that it may see, in
order, if the server still holds them; otherwise it gets a fresh snapshot. Each update and
each snapshot part goes only to the roles in its audience (accounts/audiences.py). The feed
re-checks its session every few seconds and at once when the user's session ends, and closes
with 4401 when it is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import func, select

from accounts import service as accounts_service
from accounts.audiences import audience, topics_for
from accounts.deps import presented_token
from accounts.events import SESSION_ENDED
from accounts.exceptions import AuthenticationError
from accounts.models import StaffUser
from accounts.roles import ALL_ROLES
from alarms import events as alarm_events
from alerts import events as alert_events
from callcenter import events as callcenter_events
from callcenter.routing import flows as routing_flows
from dashboard.feed_scope import FeedScope
from devices import events as devices_events
from devices import live as devices_live
from runtime.bus import BusEvent, SubscriberOverflow, Subscription
from runtime.context import Runtime
from runtime.scope import AreaScope, enter_scope
from seniors.models import Senior

router = APIRouter()
SnapshotPart = Callable[[Runtime, StaffUser], Awaitable[Any]]
# Close codes in the 4000 range are the application's own.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_SLOW = 4408
EVERYONE = frozenset(role.value for role in ALL_ROLES)


async def _server_part(runtime: Runtime, user: StaffUser) -> Any:
    return {"time": runtime.clock.now().isoformat(), "demo": runtime.settings.demo,
            "user": {"username": user.username, "role": user.role},
            "topics": topics_for(user.role)}


async def _seniors_part(runtime: Runtime, user: StaffUser) -> Any:
    async with runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Senior).where(Senior.archived_at.is_(None))
        )
    return {"active": count}


# Each domain adds the part of the snapshot it owns here, with the roles that may see it: the
# audience of the topics that keep the part current.
SNAPSHOT_PARTS: dict[str, tuple[SnapshotPart, frozenset[str]]] = {
    "server": (_server_part, EVERYONE),
    "seniors": (_seniors_part, audience("senior.created")),
    "alarms": (alarm_events.snapshot_part, audience("alarm.raised")),
    "calls": (callcenter_events.snapshot_part, audience(callcenter_events.CALL_UPDATED)),
    "devices": (devices_live.snapshot_part, audience(devices_events.DEVICE_PROVISIONED)),
    "alerts": (alert_events.snapshot_part, audience("alert.changed")),
}


async def build_snapshot(runtime: Runtime, user: StaffUser) -> dict[str, Any]:
    """The parts the user's role may see; the others are left out, not emptied."""
    return {name: await part(runtime, user) for name, (part, roles) in SNAPSHOT_PARTS.items()
            if user.role == "admin" or user.role in roles}


async def _user_for(runtime: Runtime, token: str | None) -> StaffUser | None:
    if token is None:
        return None
    async with runtime.sessions() as session:
        try:
            return await accounts_service.user_for_token(session, token=token,
                                                         now=runtime.clock.now())
        except AuthenticationError:
            return None


async def _replay_for(websocket: WebSocket, runtime: Runtime) -> list[BusEvent] | None:
    """What the client missed, if it asked to resume and the bus still holds it."""
    since = websocket.query_params.get("since", "")
    epoch = websocket.query_params.get("epoch", "")
    if not since.isdigit() or not epoch:
        return None
    return await runtime.bus.replay_since(int(since), epoch)


@router.websocket("/api/v1/live")
async def live(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.runtime
    token = presented_token(websocket)
    user = await _user_for(runtime, token)
    await websocket.accept()  # accepted first so that a browser can read the close code
    if user is None or token is None:
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="not logged in")
        return
    # The feed's own scope, as current_user gives every request: the snapshot's queries and
    # each event are narrowed to the user's centres.
    scope = await _scope_of(runtime, user)
    enter_scope(scope)
    hearing = FeedScope(runtime, scope)
    async with runtime.bus.subscribe() as subscription, _present(runtime, user):
        # Subscribed first, so nothing published while the snapshot is built goes missing.
        sent_up_to = await _send_start(websocket, runtime, user, hearing,
                                        await _replay_for(websocket, runtime))
        recheck = asyncio.Event()
        tasks = [asyncio.create_task(_forward(websocket, subscription, user, hearing,
                                              sent_up_to, recheck)),
                 asyncio.create_task(_watch_session(websocket, runtime, token, recheck))]
        try:
            await _until_disconnect(websocket)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect,
                                         RuntimeError):
                    await task


# Open live connections per user: the routing desk rings only people who are there.
_connections: Counter[str] = Counter()
_leaving: set[asyncio.Task[None]] = set()


@contextlib.asynccontextmanager
async def _present(runtime: Runtime, user: StaffUser) -> AsyncIterator[None]:
    username = user.username
    _connections[username] += 1
    await routing_flows.desk_opened(runtime, username)
    try:
        yield
    finally:
        _connections[username] -= 1
        if _connections[username] <= 0:
            del _connections[username]
            leaving = asyncio.create_task(routing_flows.desk_closed(
                runtime, username, still_open=lambda: _connections[username] > 0))
            _leaving.add(leaving)
            leaving.add_done_callback(_leaving.discard)


async def _until_disconnect(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it goes away."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def _scope_of(runtime: Runtime, user: StaffUser) -> AreaScope:
    async with runtime.sessions() as session:
        return await accounts_service.scope_of_user(session, user)


async def _forward(websocket: WebSocket, subscription: Subscription, user: StaffUser,
                   hearing: FeedScope, sent_up_to: int, recheck: asyncio.Event) -> None:
    """Send each event the user may see; a subscriber that fell behind is told to resume."""
    try:
        while True:
            event = await subscription.next()
            if event.topic == SESSION_ENDED and event.data.get("user_id") == user.id:
                recheck.set()
            if event.seq > sent_up_to and event.visible_to(user.role) \
                    and await hearing.hears(event):
                await websocket.send_json(event.as_message())
    except SubscriberOverflow:
        await websocket.close(code=CLOSE_TOO_SLOW, reason="too slow; resume with since")


async def _watch_session(websocket: WebSocket, runtime: Runtime, token: str,
                         recheck: asyncio.Event) -> None:
    """Close the feed once its session is gone (logged out, expired, account disabled)."""
    interval = runtime.settings.live_session_check_seconds
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(recheck.wait(), timeout=interval)
        recheck.clear()
        if await _user_for(runtime, token) is None:
            await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="session ended")
            return


async def _send_start(websocket: WebSocket, runtime: Runtime, user: StaffUser,
                      hearing: FeedScope, replay: list[BusEvent] | None) -> int:
    """Send the replay or the snapshot; return the last sequence number covered by it."""
    epoch = runtime.bus.epoch
    if replay is not None:
        up_to = replay[-1].seq if replay else int(websocket.query_params["since"])
        await websocket.send_json({"type": "resume", "epoch": epoch, "seq": up_to,
                                   "replayed": len(replay)})
        for event in replay:
            if event.visible_to(user.role) and await hearing.hears(event):
                await websocket.send_json(event.as_message())
        return up_to
    seq = runtime.bus.last_seq
    await websocket.send_json({"type": "snapshot", "epoch": epoch, "seq": seq,
                               "data": await build_snapshot(runtime, user)})
    return seq
