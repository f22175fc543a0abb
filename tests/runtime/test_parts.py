"""The lifespan's parts: each names the parts it needs, and a list that cannot give it them
stops the start-up with both names instead of running without them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from accounts.roles import Role
from callcenter import events as callcenter_events
from config.settings import Settings
from dashboard import app as app_module
from dashboard.app import LIFESPAN_PARTS, create_app
from dispatch import flows as dispatch_flows
from dispatch.events import Outbox
from dispatch.notify import OfferNotice
from liveness.loops import liveness_housekeeping
from liveness.models import Certification
from liveness.runtime import LIVENESS
from messaging.lifespan import MESSAGING
from runtime.bus import BusEvent, Subscription
from runtime.clock import ManualClock
from runtime.context import Runtime
from runtime.parts import Part, PartNotRunningError, PartOrderError, check_order
from tests.conftest import LoginAs
from tests.seniors.test_api import senior_body


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The loops are driven by hand here, so each test knows which pass sent what."""
    return settings.model_copy(update={"run_background_tasks": False})


def named(parts: list[Part[Any]]) -> list[str]:
    return [part.name for part in parts]


def without(name: str) -> list[Part[Any]]:
    return [part for part in LIFESPAN_PARTS if part.name != name]


async def start(settings: Settings) -> None:
    application = create_app(settings, clock=ManualClock())
    async with application.router.lifespan_context(application):
        pass


async def test_a_part_list_missing_a_dependency_fails_at_start_naming_both(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the message port, start-up stops and names dispatch and messaging (the old
    Runtime started and turned provider SMS into log lines)."""
    monkeypatch.setattr(app_module, "LIFESPAN_PARTS", without("messaging"))
    with pytest.raises(PartOrderError,
                       match="'dispatch' needs part 'messaging', which is not in the list"):
        await start(settings)


async def test_a_part_listed_before_its_dependency_fails_at_start_naming_both(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The message port moved below liveness: start-up stops naming both, rather than
    sorting the list behind the reader's back or sending reminders to the log."""
    reordered = [*without("messaging"), MESSAGING]
    monkeypatch.setattr(app_module, "LIFESPAN_PARTS", reordered)
    with pytest.raises(PartOrderError,
                       match="'dispatch' needs part 'messaging', which is listed after it"):
        await start(settings)


async def test_a_wrong_list_opens_nothing() -> None:
    """The list is checked before the first part opens: nothing starts only to be torn down."""
    opened: list[str] = []

    def recording(name: str, *needs: Part[Any]) -> Part[str]:
        @asynccontextmanager
        async def open_part(runtime: Runtime) -> AsyncIterator[str]:
            opened.append(name)
            yield name

        return Part(name, open_part, needs=needs)

    broker = recording("broker")
    feed = recording("feed", broker)
    with pytest.raises(PartOrderError, match="'feed' needs part 'broker', which is listed after"):
        check_order([feed, broker])
    with pytest.raises(PartOrderError, match="'broker' is listed twice"):
        check_order([broker, feed, broker])
    assert opened == []
    check_order([broker, feed])


def test_the_apps_own_list_holds_every_part_in_order() -> None:
    """The assembled app opens all seven parts, every part's needs listed above it."""
    check_order(LIFESPAN_PARTS)
    assert sorted(named(LIFESPAN_PARTS)) == ["accounts", "callcenter", "devices", "dispatch",
                                             "liveness", "messaging", "routing"]


async def test_reading_a_part_that_is_not_running_names_it(runtime: Runtime) -> None:
    """Code that asks for a part the lifespan did not open gets an error naming the part."""
    stray: Part[str] = Part("stray", lambda runtime: _nothing())
    with pytest.raises(PartNotRunningError, match="'stray' part is not running"):
        runtime.part(stray)


async def test_a_route_whose_part_is_closed_answers_503_naming_it(
        runtime: Runtime, client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """A route that takes its part as a dependency answers 503 naming the part when that part
    is not open, and nothing else fails."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    liveness = runtime.part(LIVENESS)
    runtime.withdraw(LIVENESS)
    try:
        refused = await client.post("/api/v1/liveness/links", headers=headers,
                                    json={"senior_id": 1})
    finally:
        runtime.provide(LIVENESS, liveness)
    assert refused.status_code == 503, refused.text
    assert "liveness is not running" in refused.text


@asynccontextmanager
async def _nothing() -> AsyncIterator[str]:
    yield ""


async def _next_text(feed: Subscription) -> BusEvent:
    while True:
        event = await feed.next()
        if event.topic == callcenter_events.PHONE_SMS:
            return event


async def test_a_provider_offer_by_sms_reaches_the_phone_network(runtime: Runtime) -> None:
    """With the real parts, an offer announced after its commit is a text on the simulated
    phone network, not a log line."""
    notice = OfferNotice(provider_id=1, channel="sms", phone="+8613900000011",
                         webhook_url=None, order_id=42, offer_token="t", service="cleaning",
                         district="新城区", urgency="normal", expires_at="2026-12-02T08:00:00Z",
                         link="https://example.test/p/x")
    await runtime.bus.settled()
    async with runtime.bus.subscribe() as feed:
        await dispatch_flows.announce(runtime, Outbox(offers=[notice]))
        text = await asyncio.wait_for(_next_text(feed), timeout=10)
    assert text.data["number"] == "+8613900000011"
    assert "#42" in text.data["body"]


async def test_the_hourly_liveness_pass_sends_due_reminders_through_the_phone_network(
        runtime: Runtime, client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """A certification due in a few days gets its reminder from the housekeeping loop as a
    text on the phone network, with the real parts assembled."""
    headers = await login_as(Role.OPERATOR)
    created = await client.post("/api/v1/seniors", headers=headers,
                                json=senior_body(phones=["13900000012"]))
    assert created.status_code == 201, created.text
    async with runtime.sessions() as session:
        session.add(Certification(senior_id=created.json()["id"], category="old_age_allowance",
                                  certified_until=runtime.clock.now().date()
                                  + timedelta(days=3)))
        await session.commit()
    await runtime.bus.settled()
    async with runtime.bus.subscribe() as feed:
        loop = asyncio.create_task(liveness_housekeeping(runtime))
        try:
            text = await asyncio.wait_for(_next_text(feed), timeout=10)
        finally:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
    assert text.data["number"].endswith("13900000012")
    assert "生存认证" in text.data["body"]
