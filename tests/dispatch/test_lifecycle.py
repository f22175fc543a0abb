"""The order lifecycle through the HTTP API: offers, replies, progress, exits, timeline."""

from __future__ import annotations

import httpx
import pytest

from accounts.roles import Role
from dispatch.notify import FakeNotifier, LoggingSmsSender
from runtime.context import Runtime
from tests.conftest import LoginAs
from tests.dispatch.conftest import AddProvider
from tests.dispatch.steps import accept_first, act, create_order, open_offers, order_of, timeline

Channels = tuple[FakeNotifier, LoggingSmsSender]


async def test_same_day_order_goes_to_the_nearest_provider_first(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """A same-day order is offered to one provider, the nearest, who gets an SMS with a link."""
    await add_provider("far", km_north=8)
    near = await add_provider("near", km_north=0.5)
    order = await create_order(client, dispatcher, senior_id)
    assert order["state"] == "offered"
    assert list(await open_offers(runtime, order["id"])) == [near]
    _, sms = channels
    assert len(sms.sent) == 1 and "/p/" in sms.sent[0][1]
    steps = [
        (t["from_state"], t["to_state"]) for t in await timeline(client, dispatcher, order["id"])
    ]
    assert steps == [("", "created"), ("created", "matching"), ("matching", "offered")]


async def test_order_records_price_subsidy_and_what_the_senior_pays(
    client: httpx.AsyncClient,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Cleaning for a senior with a disability subsidy: half subsidised, half paid."""
    await add_provider("a")
    order = await create_order(client, dispatcher, senior_id)
    assert (order["price_fen"], order["subsidised_fen"], order["senior_pays_fen"]) == (
        8000,
        4000,
        4000,
    )
    assert order["subsidy_category"] == "disability"


async def test_urgent_order_is_offered_to_the_top_three_at_once(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Urgent: three parallel offers; the first accept wins and the others are told so."""
    ids = [await add_provider(f"p{i}", km_north=i + 1) for i in range(4)]
    order = await create_order(client, dispatcher, senior_id, urgency="urgent")
    offers = await open_offers(runtime, order["id"])
    assert set(offers) == set(ids[:3])
    winner, loser = ids[1], ids[0]
    accepted = await act(
        client,
        runtime,
        provider_id=winner,
        order_id=order["id"],
        action="accept",
        token=offers[winner],
    )
    assert accepted.status_code == 200 and accepted.json()["provider_id"] == winner
    late = await act(
        client,
        runtime,
        provider_id=loser,
        order_id=order["id"],
        action="accept",
        token=offers[loser],
    )
    assert late.status_code == 409
    assert "taken by another provider" in late.json()["detail"]


async def test_full_happy_path_to_rated(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Accept, on my way, arrived, completed with a note, rated; KPIs count it all."""
    await add_provider("a")
    order_id = (await create_order(client, dispatcher, senior_id))["id"]
    provider = await accept_first(client, runtime, order_id)
    for action in ("en_route", "arrive", "complete"):
        response = await act(
            client,
            runtime,
            provider_id=provider,
            order_id=order_id,
            action=action,
            note="窗户也擦了" if action == "complete" else "",
        )
        assert response.status_code == 200, response.text
    rated = await client.post(
        f"/api/v1/orders/{order_id}/rating", json={"stars": 5}, headers=dispatcher
    )
    assert rated.json()["state"] == "rated"
    assert rated.json()["completion_note"] == "窗户也擦了"
    states = [t["to_state"] for t in await timeline(client, dispatcher, order_id)]
    assert states == [
        "created",
        "matching",
        "offered",
        "accepted",
        "en_route",
        "on_site",
        "completed",
        "rated",
    ]
    assert all(t["actor"] and t["at"] for t in await timeline(client, dispatcher, order_id))
    kpis = (await client.get(f"/api/v1/providers/{provider}/kpis", headers=dispatcher)).json()
    assert kpis["acceptance_rate"] == 1.0 and kpis["on_time_arrival_rate"] == 1.0
    assert kpis["completion_rate"] == 1.0 and kpis["rating"] == 5.0


async def test_declines_walk_the_chain_then_escalate_with_the_reason(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Each decline offers the next provider; when nobody is left the order is escalated."""
    a = await add_provider("a", km_north=1)
    b = await add_provider("b", km_north=2)
    order_id = (await create_order(client, dispatcher, senior_id))["id"]
    for expected in (a, b):
        offers = await open_offers(runtime, order_id)
        assert list(offers) == [expected]
        response = await act(
            client,
            runtime,
            provider_id=expected,
            order_id=order_id,
            action="decline",
            token=offers[expected],
        )
        assert response.status_code == 200
    order = await order_of(client, dispatcher, order_id)
    assert order["state"] == "escalated"
    assert "declined" in order["escalation_reason"]
    assert order["escalation_code"] == "all_declined"


async def test_escalates_after_max_offers(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """With more providers than allowed offers, the order escalates after N declines."""
    limit = runtime.settings.dispatch_max_offers
    for i in range(limit + 2):
        await add_provider(f"p{i}", km_north=i + 1)
    order_id = (await create_order(client, dispatcher, senior_id))["id"]
    for _ in range(limit):
        ((provider, token),) = (await open_offers(runtime, order_id)).items()
        await act(
            client, runtime, provider_id=provider, order_id=order_id, action="decline", token=token
        )
    order = await order_of(client, dispatcher, order_id)
    assert order["state"] == "escalated"
    assert order["escalation_reason"] == f"no provider accepted after {limit} offers"
    assert order["escalation_code"] == "no_acceptance"


async def test_no_provider_in_the_district_escalates_at_once(
    client: httpx.AsyncClient,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Bathing is offered only in 玉泉区: the order escalates at once, saying so."""
    await add_provider("elsewhere", districts=["玉泉区"], latitude=40.75, longitude=111.67)
    order = await create_order(client, dispatcher, senior_id, service="bathing")
    assert order["state"] == "escalated"
    assert order["escalation_reason"] == "no provider offers bathing in 新城区"
    assert order["escalation_code"] == "no_area"


async def test_abort_goes_back_to_matching_without_that_provider(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """A provider who aborts frees the slot and the next provider is offered the order."""
    first = await add_provider("first", km_north=1)
    second = await add_provider("second", km_north=3)
    order_id = (await create_order(client, dispatcher, senior_id))["id"]
    assert await accept_first(client, runtime, order_id) == first
    aborted = await act(
        client, runtime, provider_id=first, order_id=order_id, action="abort", note="车坏了"
    )
    assert aborted.status_code == 200
    assert list(await open_offers(runtime, order_id)) == [second]
    providers = (await client.get("/api/v1/providers", headers=dispatcher)).json()
    assert {p["id"]: p["active_jobs"] for p in providers}[first] == 0
    reasons = [t["reason"] for t in await timeline(client, dispatcher, order_id)]
    assert "车坏了" in reasons


async def test_could_not_complete_needs_a_follow_up(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Could not complete → follow-up, then the dispatcher sends it out again."""
    await add_provider("a", km_north=1)
    second = await add_provider("b", km_north=2)
    order_id = (await create_order(client, dispatcher, senior_id))["id"]
    provider = await accept_first(client, runtime, order_id)
    await act(client, runtime, provider_id=provider, order_id=order_id, action="arrive")
    done = await act(
        client,
        runtime,
        provider_id=provider,
        order_id=order_id,
        action="could_not_complete",
        note="老人不在家",
    )
    assert done.json()["state"] == "follow_up"
    again = await client.post(
        f"/api/v1/orders/{order_id}/rematch", json={"reason": "老人已回家"}, headers=dispatcher
    )
    assert again.json()["state"] == "offered"
    assert list(await open_offers(runtime, order_id)) == [second]


async def _order_in(
    state: str, client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str], senior_id: int
) -> tuple[int, int | None]:
    """Drive a fresh order to ``state``; returns (order id, provider id)."""
    if state == "created":
        return (await create_order(client, headers, senior_id, urgency="scheduled", batch=True))[
            "id"
        ], None
    if state == "escalated":
        return (await create_order(client, headers, senior_id, service="nursing"))["id"], None
    order_id = (await create_order(client, headers, senior_id))["id"]
    if state == "offered":
        return order_id, None
    provider = await accept_first(client, runtime, order_id)
    path = {
        "accepted": [],
        "en_route": ["en_route"],
        "on_site": ["arrive"],
        "follow_up": ["arrive", "could_not_complete"],
        "completed": ["arrive", "complete"],
    }[state]
    for action in path:
        response = await act(
            client, runtime, provider_id=provider, order_id=order_id, action=action
        )
        assert response.status_code == 200, response.text
    return order_id, provider


@pytest.mark.parametrize(
    "state", ["created", "offered", "accepted", "en_route", "on_site", "escalated", "follow_up"]
)
async def test_cancel_from_every_open_state(
    state: str,
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Cancelling an open order closes it, withdraws offers and frees the provider."""
    await add_provider("a", capacity=1)
    order_id, provider = await _order_in(state, client, runtime, dispatcher, senior_id)
    assert (await order_of(client, dispatcher, order_id))["state"] == state
    response = await client.post(
        f"/api/v1/orders/{order_id}/cancel", json={"reason": "家属已安排"}, headers=dispatcher
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "cancelled"
    assert await open_offers(runtime, order_id) == {}
    providers = (await client.get("/api/v1/providers", headers=dispatcher)).json()
    assert all(p["active_jobs"] == 0 for p in providers)
    last = (await timeline(client, dispatcher, order_id))[-1]
    assert (last["from_state"], last["reason"], last["actor"]) == (
        state,
        "家属已安排",
        "test_dispatcher",
    )


async def test_a_completed_order_cannot_be_cancelled(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Cancel after completion: 409 naming the state; the order stays completed."""
    await add_provider("a")
    order_id, _ = await _order_in("completed", client, runtime, dispatcher, senior_id)
    response = await client.post(
        f"/api/v1/orders/{order_id}/cancel", json={"reason": "x"}, headers=dispatcher
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "cannot cancel an order that is completed"
    assert (await order_of(client, dispatcher, order_id))["state"] == "completed"


@pytest.mark.parametrize("action", ["accept", "decline", "en_route", "arrive", "complete", "abort"])
async def test_provider_steps_out_of_order_are_refused(
    action: str,
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """After cancellation every provider action is refused and changes nothing."""
    await add_provider("a")
    order_id, provider = await _order_in("accepted", client, runtime, dispatcher, senior_id)
    await client.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "x"}, headers=dispatcher)
    assert provider is not None
    response = await act(
        client, runtime, provider_id=provider, order_id=order_id, action=action, token="0" * 24
    )
    assert response.status_code == 409, response.text
    assert (await order_of(client, dispatcher, order_id))["state"] == "cancelled"


async def test_dispatcher_reassigns_an_escalated_order(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """An escalated order is offered by hand to a chosen provider, who can accept it."""
    nurse = await add_provider("nurse", services=["cleaning"], districts=["玉泉区"])
    order_id, _ = await _order_in("escalated", client, runtime, dispatcher, senior_id)
    response = await client.post(
        f"/api/v1/orders/{order_id}/reassign", json={"provider_id": nurse}, headers=dispatcher
    )
    assert response.status_code == 200 and response.json()["state"] == "offered"
    assert await accept_first(client, runtime, order_id) == nurse


async def test_complaint_counts_against_the_provider(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """A complaint on an order shows in the provider's KPIs."""
    await add_provider("a")
    order_id, provider = await _order_in("completed", client, runtime, dispatcher, senior_id)
    response = await client.post(
        f"/api/v1/orders/{order_id}/complaints", json={"text": "迟到一小时"}, headers=dispatcher
    )
    assert response.status_code == 201
    kpis = (await client.get(f"/api/v1/providers/{provider}/kpis", headers=dispatcher)).json()
    assert kpis["complaints"] == 1


async def test_bad_input_gets_clear_4xx(
    client: httpx.AsyncClient, dispatcher: dict[str, str], senior_id: int, channels: Channels
) -> None:
    """Unknown service, past deadline, unknown senior, provider without area: 4xx naming it."""
    unknown = await client.post(
        "/api/v1/orders", json={"senior_id": senior_id, "service": "massage"}, headers=dispatcher
    )
    assert unknown.status_code == 422 and "service" in unknown.json()["detail"]
    past = await client.post(
        "/api/v1/orders",
        json={"senior_id": senior_id, "service": "meals", "due_by": "2020-01-01T00:00:00Z"},
        headers=dispatcher,
    )
    assert past.status_code == 422 and past.json()["detail"] == "due_by lies in the past"
    nobody = await client.post(
        "/api/v1/orders", json={"senior_id": 999, "service": "meals"}, headers=dispatcher
    )
    assert nobody.status_code == 404 and "999" in nobody.json()["detail"]
    no_area = await client.post(
        "/api/v1/providers", json={"name": "x", "services": ["meals"]}, headers=dispatcher
    )
    assert no_area.status_code == 422 and "service area" in no_area.json()["detail"]
    missing = await client.get("/api/v1/orders/12345/timeline", headers=dispatcher)
    assert missing.status_code == 404 and missing.json()["detail"] == "order 12345 does not exist"


async def test_roles_limit_dispatch(
    client: httpx.AsyncClient, login_as: LoginAs, senior_id: int, channels: Channels
) -> None:
    """Subsidy staff cannot order services; operators cannot reassign or add providers."""
    subsidy = await login_as(Role.SUBSIDY_STAFF)
    operator = await login_as(Role.OPERATOR)
    denied = await client.post(
        "/api/v1/orders", json={"senior_id": senior_id, "service": "meals"}, headers=subsidy
    )
    assert denied.status_code == 403
    assert (await client.get("/api/v1/dispatch/board", headers=subsidy)).status_code == 403
    provider = await client.post(
        "/api/v1/providers",
        json={"name": "x", "services": ["meals"], "districts": ["新城区"]},
        headers=operator,
    )
    assert provider.status_code == 403
    reassign = await client.post(
        "/api/v1/orders/1/reassign", json={"provider_id": 1}, headers=operator
    )
    assert reassign.status_code == 403
    client.cookies.clear()
    assert (await client.get("/api/v1/orders")).status_code == 401


async def test_a_radius_area_counts_as_coverage(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """A 5 km circle around a point near the senior counts as coverage; a 100 m one does not."""
    here = {"districts": [], "area_latitude": 40.86, "area_longitude": 111.66}
    await add_provider("small circle", km_north=0.2, **here, area_radius_km=0.1)
    wide = await add_provider("wide circle", km_north=2, **here, area_radius_km=5)
    order_id = (await create_order(client, dispatcher, senior_id))["id"]
    assert list(await open_offers(runtime, order_id)) == [wide]


async def test_a_provider_at_capacity_cannot_accept_another(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Two urgent offers to a one-slot provider: the second accept is refused as over capacity."""
    solo = await add_provider("solo", capacity=1)
    first = (await create_order(client, dispatcher, senior_id, urgency="urgent"))["id"]
    second = (await create_order(client, dispatcher, senior_id, urgency="urgent"))["id"]
    assert await accept_first(client, runtime, first) == solo
    token = (await open_offers(runtime, second))[solo]
    refused = await act(
        client, runtime, provider_id=solo, order_id=second, action="accept", token=token
    )
    assert refused.status_code == 409 and "capacity" in refused.json()["detail"]
    assert (await order_of(client, dispatcher, second))["state"] == "offered"


async def test_bad_feedback_moves_a_provider_down_the_ranking(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """The nearest provider who served the senior is first choice until a 1-star complaint."""
    near = await add_provider("near", km_north=1)
    other = await add_provider("other", km_north=2)
    served, provider = await _order_in("completed", client, runtime, dispatcher, senior_id)
    assert provider == near
    probe = (await create_order(client, dispatcher, senior_id))["id"]
    assert list(await open_offers(runtime, probe)) == [near]
    await client.post(
        f"/api/v1/orders/{probe}/cancel", json={"reason": "probe"}, headers=dispatcher
    )
    await client.post(f"/api/v1/orders/{served}/rating", json={"stars": 1}, headers=dispatcher)
    await client.post(
        f"/api/v1/orders/{served}/complaints", json={"text": "态度差"}, headers=dispatcher
    )
    after = (await create_order(client, dispatcher, senior_id))["id"]
    assert list(await open_offers(runtime, after)) == [other]


async def test_order_steps_are_audited_against_the_senior(
    client: httpx.AsyncClient,
    runtime: Runtime,
    login_as: LoginAs,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Creating an order and the provider's steps appear in the senior's audit trail."""
    await add_provider("a")
    await _order_in("on_site", client, runtime, dispatcher, senior_id)
    supervisor = await login_as(Role.SUPERVISOR)
    audit = await client.get(
        f"/api/v1/audit?subject_type=senior&subject_id={senior_id}", headers=supervisor
    )
    actions = {entry["action"] for entry in audit.json()}
    assert {"dispatch.order_created", "dispatch.arrive"} <= actions


@pytest.mark.parametrize("state", ["accepted", "en_route", "on_site"])
async def test_abort_from_every_state_with_the_provider(
    state: str,
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Aborting while accepted, en route or on site rematches without that provider."""
    await add_provider("a", km_north=1)
    second = await add_provider("b", km_north=2)
    order_id, provider = await _order_in(state, client, runtime, dispatcher, senior_id)
    assert provider is not None
    response = await act(
        client, runtime, provider_id=provider, order_id=order_id, action="abort", note="急事"
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "offered" and response.json()["provider_id"] is None
    assert list(await open_offers(runtime, order_id)) == [second]


async def test_a_suspended_provider_gets_no_offers(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Suspending the nearest provider sends the next order to the one after."""
    near = await add_provider("near", km_north=1)
    other = await add_provider("other", km_north=2)
    suspended = await client.put(
        f"/api/v1/providers/{near}/status", json={"status": "suspended"}, headers=dispatcher
    )
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    order_id = (await create_order(client, dispatcher, senior_id))["id"]
    assert list(await open_offers(runtime, order_id)) == [other]
