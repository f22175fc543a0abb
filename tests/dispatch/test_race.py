"""Providers accepting the same parallel offer at the same instant: exactly one wins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from accounts import service as accounts_service
from accounts.roles import Role
from config.settings import Settings
from dashboard.app import create_app
from dispatch.flows import dispatch_of
from dispatch.notify import LoggingSmsSender
from runtime.clock import ManualClock
from tests.conftest import TEST_PASSWORD, LiveServer, serve
from tests.dispatch.conftest import SENIOR_AT, link_for
from tests.dispatch.steps import open_offers
from tests.seniors.test_api import senior_body


@pytest.fixture
async def server(settings: Settings, clock: ManualClock) -> AsyncIterator[LiveServer]:
    async for running in serve(create_app(settings, clock=clock)):
        yield running


async def test_concurrent_accepts_have_exactly_one_winner(server: LiveServer) -> None:
    """Three providers accept an urgent order at once over real HTTP: one 200, two 409s."""
    runtime = server.runtime
    dispatch_of(runtime).sms = LoggingSmsSender()
    supervisor = await _supervisor(server)
    async with httpx.AsyncClient(base_url=server.url) as staff:
        staff.headers["Authorization"] = supervisor
        senior = (
            await staff.post(
                "/api/v1/seniors", json=senior_body(latitude=SENIOR_AT[0], longitude=SENIOR_AT[1])
            )
        ).json()["id"]
        for i in range(3):
            created = await staff.post(
                "/api/v1/providers",
                json={
                    "name": f"p{i}",
                    "services": ["emergency_responder"],
                    "certifications": ["first_aid"],
                    "districts": ["新城区"],
                    "work_start_minute": 0,
                    "work_end_minute": 0,
                    "latitude": SENIOR_AT[0] + 0.01 * (i + 1),
                    "longitude": SENIOR_AT[1],
                },
            )
            assert created.status_code == 201
        for _round in range(3):
            order = (
                await staff.post(
                    "/api/v1/orders",
                    json={
                        "senior_id": senior,
                        "service": "emergency_responder",
                        "urgency": "urgent",
                    },
                )
            ).json()
            offers = await open_offers(runtime, order["id"])
            assert len(offers) == 3
            answers = await asyncio.gather(
                *(
                    _accept(
                        server,
                        runtime_link=link_for(runtime, provider_id=p, order_id=order["id"]),
                        token=t,
                    )
                    for p, t in offers.items()
                )
            )
            codes = sorted(a.status_code for a in answers)
            assert codes == [200, 409, 409], [a.text for a in answers]
            winner = next(a.json()["provider_id"] for a in answers if a.status_code == 200)
            final = (await staff.get(f"/api/v1/orders/{order['id']}")).json()
            assert final["state"] == "accepted" and final["provider_id"] == winner
            timeline = (await staff.get(f"/api/v1/orders/{order['id']}/timeline")).json()
            assert [t["to_state"] for t in timeline].count("accepted") == 1
            await staff.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "next"})


async def _accept(server: LiveServer, *, runtime_link: str, token: str) -> httpx.Response:
    """Each provider on its own connection, as separate phones would be."""
    async with httpx.AsyncClient(base_url=server.url) as phone:
        return await phone.post(
            f"/p/{runtime_link}/actions", json={"action": "accept", "offer_token": token}
        )


@pytest.fixture
async def postgres_server_app(
    settings: Settings, clock: ManualClock, migrated_postgres_url: str
) -> AsyncIterator[LiveServer]:
    """The app served on PostgreSQL whichever pass this is: the race is about its row locks."""
    on_postgres = settings.model_copy(update={"database_url": migrated_postgres_url})
    async for running in serve(create_app(on_postgres, clock=clock)):
        yield running


async def test_a_provider_accepting_as_their_own_offer_closes_gets_one_answer(
    postgres_server_app: LiveServer, migrated_postgres_url: str
) -> None:
    """Accept and decline of one offer at once over real HTTP on PostgreSQL: one wins, the
    other gets 409, and neither fails on a deadlock (both lock the order before the offer)."""
    server = postgres_server_app
    runtime = server.runtime
    dispatch_of(runtime).sms = LoggingSmsSender()
    async with httpx.AsyncClient(base_url=server.url) as staff:
        staff.headers["Authorization"] = await _supervisor(server)
        senior = (
            await staff.post(
                "/api/v1/seniors", json=senior_body(latitude=SENIOR_AT[0], longitude=SENIOR_AT[1])
            )
        ).json()["id"]
        created = await staff.post(
            "/api/v1/providers",
            json={
                "name": "p0",
                "services": ["cleaning"],
                "districts": ["新城区"],
                "work_start_minute": 0,
                "work_end_minute": 0,
                "latitude": SENIOR_AT[0] + 0.01,
                "longitude": SENIOR_AT[1],
            },
        )
        assert created.status_code == 201, created.text
        order = (
            await staff.post(
                "/api/v1/orders",
                json={"senior_id": senior, "service": "cleaning", "urgency": "same_day"},
            )
        ).json()
        ((provider, token),) = (await open_offers(runtime, order["id"])).items()
        link = link_for(runtime, provider_id=provider, order_id=order["id"])
        database = make_url(migrated_postgres_url).set(drivername="postgresql")
        blocker = await asyncpg.connect(database.render_as_string(hide_password=False))
        try:
            # Hold the offer's row so both replies queue at their first lock: the decline
            # first, then the accept, which is the order the deadlock needed.
            holding = blocker.transaction()
            await holding.start()
            await blocker.execute(
                "SELECT 1 FROM dispatch_offers WHERE token = $1 FOR UPDATE", token
            )
            decline = asyncio.create_task(_act(server, link=link, token=token, action="decline"))
            await _until_waiting(blocker, 1)
            accept = asyncio.create_task(_act(server, link=link, token=token, action="accept"))
            await _until_waiting(blocker, 2)
            await holding.rollback()
            answers = {"decline": await decline, "accept": await accept}
        finally:
            await blocker.close()
        codes = {action: answer.status_code for action, answer in answers.items()}
        assert sorted(codes.values()) == [200, 409], {a: r.text for a, r in answers.items()}
        timeline = (await staff.get(f"/api/v1/orders/{order['id']}/timeline")).json()
        moves = [t["event"] for t in timeline]
        assert moves.count("accept") + moves.count("decline") == 1, moves


async def _supervisor(server: LiveServer) -> str:
    runtime = server.runtime
    async with runtime.sessions() as session:
        await accounts_service.create_user(
            session,
            username="d1",
            display_name="D",
            role=Role.SUPERVISOR,
            password=TEST_PASSWORD,
            now=runtime.clock.now(),
        )
        await session.commit()
    async with httpx.AsyncClient(base_url=server.url) as http:
        login = await http.post(
            "/api/v1/auth/login", json={"username": "d1", "password": TEST_PASSWORD}
        )
    return f"Bearer {login.json()['access_token']}"


async def _act(server: LiveServer, *, link: str, token: str, action: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as phone:
        return await phone.post(f"/p/{link}/actions", json={"action": action, "offer_token": token})


async def _until_waiting(observer: asyncpg.Connection, count: int, within: float = 30.0) -> None:
    """Until ``count`` other sessions of this database wait for a lock."""
    deadline = asyncio.get_running_loop().time() + within
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'"
    )
    while await observer.fetchval(query) < count:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"fewer than {count} sessions waiting for a lock")
        await asyncio.sleep(0.02)
