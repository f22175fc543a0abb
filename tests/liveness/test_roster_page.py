"""The roster a page at a time under filters, with consent and enrolment per row."""

from __future__ import annotations

from typing import Any

import httpx

from accounts.roles import Role
from runtime.context import Runtime
from tests.conftest import LoginAs
from tests.liveness.test_api import enrol_directly, new_senior
from tests.seniors.test_api import senior_body

# A second valid resident id (the checksum holds), for a second senior.
OTHER_ID = "150102194503020038"


async def test_filters_count_and_page_the_roster(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime,
        templates: dict[str, list[float]]) -> None:
    """Two overdue seniors: one without consent, one enrolled; held after the hold list."""
    staff = await login_as(Role.SUBSIDY_STAFF)
    bare = await new_senior(client, staff, consent=False)
    made = await client.post("/api/v1/seniors", headers=staff,
                             json=senior_body(resident_id=OTHER_ID, name="李桂兰"))
    assert made.status_code == 201, made.text
    ready = made.json()["id"]
    await client.post(f"/api/v1/seniors/{ready}/consents", headers=staff, json={
        "purpose": "biometric", "granted": True, "method": "signed_form"})
    await enrol_directly(runtime, ready, templates["obama"])

    async def page(**params: str | int) -> dict[str, Any]:
        answer = await client.get("/api/v1/liveness/roster/page", params=params, headers=staff)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    everyone = await page()
    assert everyone["counts"] == {"all": 2, "due_soon": 0, "overdue": 2, "held": 0,
                                  "no_consent": 1, "no_enrolment": 1}
    no_consent = await page(show="no_consent")
    assert [(r["senior_id"], r["consent"], r["enrolled"]) for r in no_consent["items"]] == [
        (bare, False, False)]
    assert [r["senior_id"] for r in (await page(show="no_enrolment"))["items"]] == [bare]
    second = await page(limit=1, offset=1)
    assert second["total"] == 2 and [r["senior_id"] for r in second["items"]] == [ready]
    await client.get("/api/v1/liveness/holds.csv", headers=staff)
    assert (await page(show="held"))["total"] == 2
    bad = await client.get("/api/v1/liveness/roster/page", params={"show": "late"},
                           headers=staff)
    assert bad.status_code == 422
