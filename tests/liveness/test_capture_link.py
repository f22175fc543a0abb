"""The capture link from the senior's side: its standing, retries within the limits, and the
request for a phone call or a home visit instead of the camera."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from accounts.models import AuditEntry
from accounts.roles import Role
from liveness.links import CaptureLink, sign_link
from liveness.models import LivenessTask
from liveness.runtime import liveness_of
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import LoginAs
from tests.liveness.test_api import enrol_directly, frames_body, new_senior, record_check


def link_for(runtime: Runtime, senior_id: int, *, minutes: float = 10,
             attempt: int = 1) -> str:
    return sign_link(liveness_of(runtime).link_key, CaptureLink(
        senior_id, "home", "test_subsidy_staff", runtime.clock.now() + timedelta(minutes=minutes),
        attempt=attempt))


async def state_of(client: httpx.AsyncClient, token: str) -> dict[str, object]:
    answer = await client.get(f"/liveness/capture/{token}/status")
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


async def test_link_standing_names_why_a_check_cannot_start(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, clock: ManualClock,
        templates: dict[str, list[float]]) -> None:
    """invalid, expired, no consent, not enrolled, rate limited and ready, opening no task."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    senior_id = await new_senior(client, headers, consent=False)
    assert (await state_of(client, "e30.forged"))["state"] == "invalid"
    assert (await state_of(client, link_for(runtime, senior_id, minutes=-1)))["state"] == \
        "expired"
    assert (await state_of(client, link_for(runtime, senior_id)))["state"] == "no_consent"
    consent = await client.post(f"/api/v1/seniors/{senior_id}/consents", headers=headers, json={
        "purpose": "biometric", "granted": True, "method": "signed_form"})
    assert consent.status_code == 201, consent.text
    assert (await state_of(client, link_for(runtime, senior_id)))["state"] == "not_enrolled"
    await enrol_directly(runtime, senior_id, templates["obama"])
    ready = await state_of(client, link_for(runtime, senior_id, attempt=2))
    assert ready["state"] == "ready" and ready["attempt"] == 2 and ready["attempts"] == 3
    for _ in range(5):
        await record_check(runtime, senior_id, "fail")
        clock.advance(20)
    limited = await state_of(client, link_for(runtime, senior_id))
    assert limited["state"] == "rate_limited" and limited["retry_after"] is not None
    async with runtime.sessions() as session:
        assert await session.scalar(select(LivenessTask)) is None


async def test_a_failed_check_hands_back_the_next_try_until_the_last(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime,
        templates: dict[str, list[float]], photos: dict[str, bytes]) -> None:
    """Tries 1 and 2 fail with a retry token for the next; try 3 of 3 has none; spent: 'spent'."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    senior_id = await new_senior(client, headers)
    await enrol_directly(runtime, senior_id, templates["obama"])
    token: str | None = link_for(runtime, senior_id)
    seen = []
    while token is not None:
        started = await client.post(f"/liveness/capture/{token}/sessions")
        assert started.status_code == 201, started.text
        session = started.json()
        checked = await client.post(
            f"/liveness/capture/{token}/sessions/{session['id']}/frames",
            json=frames_body(session["nonce"], photos["obama2"], 1.0))
        result = checked.json()
        assert result["outcome"] == "fail"
        seen.append((result["attempt"], result["attempts"], result["retry_token"] is not None))
        assert (await state_of(client, token))["state"] == "spent"
        token = result["retry_token"]
    assert seen == [(1, 3, True), (2, 3, True), (3, 3, False)]


async def test_the_senior_can_ask_for_a_call_or_a_visit_instead(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """Even without consent, the link files one staff task per kind, audited to its sender."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    senior_id = await new_senior(client, headers, consent=False)
    token = link_for(runtime, senior_id)
    call = await client.post(f"/liveness/capture/{token}/requests", json={"kind": "call"})
    assert call.status_code == 201, call.text
    assert call.json()["kind"] == "call" and call.json()["reason"] == "senior_request"
    again = await client.post(f"/liveness/capture/{token}/requests", json={"kind": "call"})
    assert again.json()["id"] == call.json()["id"]
    visit = await client.post(f"/liveness/capture/{token}/requests", json={"kind": "home_visit"})
    assert visit.status_code == 201
    tasks = await client.get("/api/v1/liveness/tasks", headers=headers)
    assert sorted(t["kind"] for t in tasks.json()) == ["call", "home_visit"]
    async with runtime.sessions() as session:
        audited = (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "liveness.request"))).all()
    assert [a.actor for a in audited] == ["link:test_subsidy_staff"] * 3


async def test_a_bad_request_or_link_files_nothing(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """An unknown kind is a 422 and a forged link a 403; neither opens a task."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    senior_id = await new_senior(client, headers)
    token = link_for(runtime, senior_id)
    wrong = await client.post(f"/liveness/capture/{token}/requests", json={"kind": "letter"})
    assert wrong.status_code == 422
    forged = await client.post("/liveness/capture/e30.forged/requests", json={"kind": "call"})
    assert forged.status_code == 403
    async with runtime.sessions() as session:
        assert await session.scalar(select(LivenessTask)) is None
