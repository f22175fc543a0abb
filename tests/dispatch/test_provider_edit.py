"""Dispatchers edit, suspend and reactivate providers through PATCH; matching follows."""

from __future__ import annotations

from typing import Any

import httpx

from accounts.roles import Role
from dispatch.notify import FakeNotifier, LoggingSmsSender
from runtime.context import Runtime
from tests.conftest import LoginAs
from tests.dispatch.conftest import AddProvider
from tests.dispatch.steps import act, create_order, open_offers, timeline

Channels = tuple[FakeNotifier, LoggingSmsSender]


async def patch(
    client: httpx.AsyncClient, headers: dict[str, str], provider_id: int, body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(f"/api/v1/providers/{provider_id}", json=body, headers=headers)


async def test_dispatcher_edits_services_hours_capacity_and_contact(
    client: httpx.AsyncClient,
    dispatcher: dict[str, str],
    login_as: LoginAs,
    add_provider: AddProvider,
) -> None:
    """Only the given fields change, the provider page shows them, and the edit is audited."""
    provider_id = await add_provider("王师傅")
    response = await patch(
        client,
        dispatcher,
        provider_id,
        {
            "services": ["nursing", "cleaning"],
            "certifications": ["nurse"],
            "work_start_minute": 7 * 60,
            "work_end_minute": 20 * 60,
            "capacity": 4,
            "channel": "webhook",
            "webhook_url": "https://93.184.216.34/anxin",
        },
    )
    assert response.status_code == 200, response.text
    shown = (await client.get(f"/api/v1/providers/{provider_id}", headers=dispatcher)).json()
    assert shown["services"] == ["nursing", "cleaning"]
    assert (shown["work_start_minute"], shown["work_end_minute"]) == (420, 1200)
    assert (shown["capacity"], shown["channel"]) == (4, "webhook")
    assert shown["webhook_url"] == "https://93.184.216.34/anxin"
    assert shown["districts"] == ["新城区"] and shown["name"] == "王师傅"
    supervisor = await login_as(Role.SUPERVISOR)
    audit = await client.get(
        f"/api/v1/audit?subject_type=provider&subject_id={provider_id}", headers=supervisor
    )
    entries = [e for e in audit.json() if e["action"] == "dispatch.provider_updated"]
    assert len(entries) == 1 and entries[0]["actor"] == "test_dispatcher"


async def test_bad_edits_are_refused_with_a_reason_and_change_nothing(
    client: httpx.AsyncClient,
    dispatcher: dict[str, str],
    login_as: LoginAs,
    add_provider: AddProvider,
) -> None:
    """Wrong role 403, unknown provider 404, empty or contradictory edits 422 naming the problem."""
    provider_id = await add_provider("李师傅")
    operator = await login_as(Role.OPERATOR)
    assert (await patch(client, operator, provider_id, {"capacity": 3})).status_code == 403
    missing = await patch(client, dispatcher, 9999, {"capacity": 3})
    assert missing.status_code == 404 and "9999" in missing.json()["detail"]
    empty = await patch(client, dispatcher, provider_id, {})
    assert empty.status_code == 422 and "nothing to change" in empty.json()["detail"]
    no_area = await patch(client, dispatcher, provider_id, {"districts": [], "capacity": 5})
    assert no_area.status_code == 422 and "service area" in no_area.json()["detail"]
    no_url = await patch(client, dispatcher, provider_id, {"channel": "webhook"})
    assert no_url.status_code == 422 and "webhook_url" in no_url.json()["detail"]
    cleared = await patch(client, dispatcher, provider_id, {"services": None})
    assert cleared.status_code == 422 and "services cannot be cleared" in cleared.json()["detail"]
    shown = (await client.get(f"/api/v1/providers/{provider_id}", headers=dispatcher)).json()
    assert (shown["capacity"], shown["channel"], shown["districts"]) == (2, "sms", ["新城区"])


async def test_suspension_withdraws_the_open_offer_and_the_next_provider_gets_it(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """A suspended provider's offer is withdrawn, their reply refused, and no new offer reaches
    them until they are reactivated."""
    near = await add_provider("near", km_north=0.5)
    far = await add_provider("far", km_north=3)
    first = await create_order(client, dispatcher, senior_id)
    token = (await open_offers(runtime, first["id"]))[near]
    suspended = await patch(client, dispatcher, near, {"status": "suspended"})
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    assert list(await open_offers(runtime, first["id"])) == [far]
    late = await act(
        client, runtime, provider_id=near, order_id=first["id"], action="accept", token=token
    )
    assert late.status_code == 409 and "withdrawn" in late.json()["detail"]
    reasons = [t["reason"] for t in await timeline(client, dispatcher, first["id"])]
    assert any(f"(#{near}) superseded" in r for r in reasons)
    second = await create_order(client, dispatcher, senior_id)
    assert list(await open_offers(runtime, second["id"])) == [far]
    assert (await patch(client, dispatcher, near, {"status": "active"})).status_code == 200
    third = await create_order(client, dispatcher, senior_id)
    assert list(await open_offers(runtime, third["id"])) == [near]


async def test_suspending_a_firm_suspends_its_workers(
    client: httpx.AsyncClient,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """The firm's page lists its workers; suspending the firm stops offers to all of them."""
    firm = await add_provider("北疆家政", kind="firm")
    worker = await add_provider("张阿姨", firm_id=firm, km_north=0.3)
    shown = (await client.get(f"/api/v1/providers/{firm}", headers=dispatcher)).json()
    assert [w["id"] for w in shown["workers"]] == [worker]
    assert shown["kpis"]["offers_received"] == 0
    assert (await patch(client, dispatcher, firm, {"status": "suspended"})).status_code == 200
    listed = {
        p["id"]: p["status"]
        for p in (await client.get("/api/v1/providers", headers=dispatcher)).json()
    }
    assert listed == {firm: "suspended", worker: "suspended"}
    order = await create_order(client, dispatcher, senior_id)
    assert order["state"] == "escalated"


async def test_a_moved_service_area_changes_who_is_offered(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Take a provider out of the senior's district and they get no more offers there; give
    them a radius around the senior instead and they do again."""
    provider_id = await add_provider("赵师傅")
    moved = await patch(client, dispatcher, provider_id, {"districts": ["赛罕区"]})
    assert moved.status_code == 200
    order = await create_order(client, dispatcher, senior_id)
    assert order["state"] == "escalated"
    assert "新城区" in order["escalation_reason"]
    radius = await patch(
        client,
        dispatcher,
        provider_id,
        {"area_latitude": 40.86, "area_longitude": 111.67, "area_radius_km": 5},
    )
    assert radius.status_code == 200
    again = await create_order(client, dispatcher, senior_id)
    assert list(await open_offers(runtime, again["id"])) == [provider_id]


async def test_block_for_an_unknown_senior_is_404(client: httpx.AsyncClient,
                                                  add_provider: AddProvider,
                                                  dispatcher: dict[str, str]) -> None:
    """Blocking a provider for a senior who does not exist names the senior, and stores nothing."""
    provider_id = await add_provider("王阿姨")
    answer = await client.post(f"/api/v1/providers/{provider_id}/blocks",
                               json={"senior_id": 987654}, headers=dispatcher)
    assert answer.status_code == 404 and "987654" in answer.json()["detail"]
