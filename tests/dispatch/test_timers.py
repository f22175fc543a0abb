"""Offer expiries, arrival deadlines and the SLA watchdog: timers kept in the database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from sqlalchemy import select

from config.settings import Settings
from dashboard.app import create_app
from dispatch import flows
from dispatch import orders as orders_service
from dispatch import providers as provider_service
from dispatch.flows import dispatch_of
from dispatch.models import DispatchTimer, ServiceOrder
from dispatch.notify import FakeNotifier, LoggingSmsSender
from dispatch.schemas import OrderCreate, ProviderAction, ProviderCreate
from runtime.bus import BusEvent, Subscription
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.dispatch.conftest import SENIOR_AT, AddProvider
from tests.dispatch.steps import accept_first, act, create_order, open_offers, order_of, timeline
from tests.seniors.test_api import senior_body

Channels = tuple[FakeNotifier, LoggingSmsSender]


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 5.0) -> None:
    """Wait (in real time) for the background loop to do what the moved clock made due."""
    for _ in range(int(seconds / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the background loop did not act in time")


async def drain(subscription: Subscription) -> list[BusEvent]:
    """The events already delivered to a subscription."""
    events = []
    while not subscription.queue.empty():
        event = subscription.queue.get_nowait()
        assert event is not None
        events.append(event)
    return events


async def order_state(runtime: Runtime, order_id: int) -> str:
    async with runtime.sessions() as session:
        order = await session.get(ServiceOrder, order_id)
        assert order is not None
        return order.state


async def test_an_unanswered_offer_times_out_and_the_next_provider_is_offered(
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """After 180 s without a reply (same day) the offer expires; a late accept is ignored."""
    first = await add_provider("first", km_north=1)
    second = await add_provider("second", km_north=2)
    order_id = (await create_order(client, dispatcher, senior_id))["id"]
    token = (await open_offers(runtime, order_id))[first]
    clock.advance(179)
    await asyncio.sleep(0.1)
    assert list(await open_offers(runtime, order_id)) == [first]
    clock.advance(2)

    async def moved_on() -> bool:
        # Time goes on as it would: a loop still busy with the 179 s round when the clock moved
        # went back to sleep from 181 s, and wakes only when the clock passes 182 s.
        clock.advance(0.1)
        return list(await open_offers(runtime, order_id)) == [second]

    await eventually(moved_on)
    late = await act(
        client, runtime, provider_id=first, order_id=order_id, action="accept", token=token
    )
    assert late.status_code == 409
    assert late.json()["detail"] == "this offer has expired; your reply was ignored"
    events = [(t["event"], t["actor"]) for t in await timeline(client, dispatcher, order_id)]
    assert ("offer_expired", "system") in events


async def test_offer_expiry_fires_after_a_restart(settings: Settings) -> None:
    """Stop the app mid-offer, move the clock past the expiry, start again: it fires."""
    clock = ManualClock()
    first_app = create_app(settings, clock=clock)
    async with first_app.router.lifespan_context(first_app):
        runtime: Runtime = first_app.state.runtime
        dispatch_of(runtime).sms = LoggingSmsSender()
        async with runtime.sessions() as session:
            senior = await seniors_service.create_senior(
                session,
                data=SeniorCreate(**senior_body(latitude=SENIOR_AT[0], longitude=SENIOR_AT[1])),
                now=clock.now(),
            )
            ids = []
            for name, north in (("a", 0.01), ("b", 0.02)):
                provider = await provider_service.create_provider(
                    session,
                    data=ProviderCreate(
                        name=name,
                        services=["meals"],
                        districts=["新城区"],
                        work_start_minute=0,
                        work_end_minute=0,
                        latitude=SENIOR_AT[0] + north,
                        longitude=SENIOR_AT[1],
                    ),
                    now=clock.now(),
                )
                ids.append(provider.id)
            await session.commit()
        order = await flows.create_order(
            runtime,
            data=OrderCreate(senior_id=senior.id, service="meals", urgency="scheduled"),
            actor="operator1",
        )
        assert list(await open_offers(runtime, order.id)) == [ids[0]]
    clock.advance(timedelta(minutes=16).total_seconds())
    second_app = create_app(settings, clock=clock)
    async with second_app.router.lifespan_context(second_app):
        runtime = second_app.state.runtime

        async def expired() -> bool:
            async with runtime.sessions() as session:
                fired = await session.scalar(
                    select(DispatchTimer).where(
                        DispatchTimer.order_id == order.id, DispatchTimer.fired_at.is_not(None)
                    )
                )
                return fired is not None

        await eventually(expired)
        offers = await open_offers(runtime, order.id)
        assert list(offers) == [ids[1]]
        assert await order_state(runtime, order.id) == "offered"


async def test_watchdog_alerts_the_dispatcher_when_a_job_will_be_late(
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """An accepted job whose provider cannot make the deadline raises one alert for dispatch."""
    await add_provider("far", km_north=12)  # about 37 minutes away
    order_id = (await create_order(client, dispatcher, senior_id, urgency="urgent"))["id"]
    async with runtime.bus.subscribe() as subscription:
        await accept_first(client, runtime, order_id)
        clock.advance(10 * 60)
        while True:
            event = await asyncio.wait_for(subscription.next(), 5)
            if event.topic == "dispatch.alert":
                break
    assert event.data["kind"] == "late" and event.data["order_id"] == order_id
    assert event.visible_to("dispatcher") and not event.visible_to("subsidy_staff")
    board = (await client.get("/api/v1/dispatch/board", headers=dispatcher)).json()
    assert board["late"] == [order_id]
    assert (await order_of(client, dispatcher, order_id))["late_alerted_at"] is not None


async def test_two_instances_on_one_database_fire_each_timer_once(settings: Settings) -> None:
    """Two app instances on one SQLite file race for a due offer expiry and a late job: the
    expiry moves the order on once, and the dispatcher hears of the late job once."""
    clock = ManualClock()
    quiet = settings.model_copy(update={"run_background_tasks": False})
    first_app, second_app = create_app(quiet, clock=clock), create_app(quiet, clock=clock)
    async with (
        first_app.router.lifespan_context(first_app),
        second_app.router.lifespan_context(second_app),
    ):
        first: Runtime = first_app.state.runtime
        second: Runtime = second_app.state.runtime
        for runtime in (first, second):
            dispatch_of(runtime).sms = LoggingSmsSender()
        async with first.sessions() as session:
            senior = await seniors_service.create_senior(
                session,
                data=SeniorCreate(**senior_body(latitude=SENIOR_AT[0], longitude=SENIOR_AT[1])),
                now=clock.now(),
            )
            ids = []
            for name, km in (("near", 1.0), ("far", 20.0)):
                provider = await provider_service.create_provider(
                    session,
                    data=ProviderCreate(
                        name=name,
                        services=["meals"],
                        districts=["新城区"],
                        work_start_minute=0,
                        work_end_minute=0,
                        latitude=SENIOR_AT[0] + km / 111.0,
                        longitude=SENIOR_AT[1],
                    ),
                    now=clock.now(),
                )
                ids.append(provider.id)
            await session.commit()
        order = await flows.create_order(
            first,
            data=OrderCreate(
                senior_id=senior.id,
                service="meals",
                urgency="same_day",
                due_by=clock.now() + timedelta(minutes=70),
            ),
            actor="operator1",
        )
        assert list(await open_offers(first, order.id)) == [ids[0]]
        clock.advance(181)
        fired = await asyncio.gather(flows.fire_due_timers(first), flows.fire_due_timers(second))
        assert sorted(fired) == [0, 1]
        async with first.sessions() as session:
            events = [t.event for t in await orders_service.timeline(session, order.id)]
        assert events.count("offer_expired") == 1 and events.count("offer") == 2
        offers_now = await open_offers(second, order.id)
        assert list(offers_now) == [ids[1]]
        accepted = await flows.provider_acts(
            second,
            order_id=order.id,
            provider_id=ids[1],
            action=ProviderAction.ACCEPT,
            offer_token=offers_now[ids[1]],
        )
        assert accepted.state == "accepted"
        clock.advance(600)  # 20 km (about 62 min) away with 54 min left: late, say so once
        async with first.bus.subscribe() as one, second.bus.subscribe() as two:
            await asyncio.gather(flows.check_sla(first), flows.check_sla(second))
            await first.bus.settled()
            await second.bus.settled()
            heard = [
                event
                for subscription in (one, two)
                for event in await drain(subscription)
                if event.topic == "dispatch.alert" and event.data["kind"] == "late"
            ]
        # Both instances show the one event of the shared log.
        assert len({event.seq for event in heard}) == 1
        assert heard[0].data["order_id"] == order.id
