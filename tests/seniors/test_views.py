"""Each role gets only the parts of a senior's record its work needs (issue 14, item 8)."""

from __future__ import annotations

import httpx
import pytest

from accounts.roles import Role
from tests.conftest import LoginAs
from tests.seniors.test_api import senior_body

FULL_ID = "150102194503020011"
MASKED = "150102********0011"


async def register(client: httpx.AsyncClient, login_as: LoginAs) -> int:
    created = await client.post("/api/v1/seniors", json=senior_body(),
                                headers=await login_as(Role.ADMIN))
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


# role → (view, full ID and birth date shown, medical notes shown, consents shown)
EXPECTED = {
    Role.OPERATOR: ("care", False, True, True),
    Role.SUPERVISOR: ("care", False, True, True),
    Role.DISPATCHER: ("service", False, False, False),
    Role.SUBSIDY_STAFF: ("subsidy", True, False, True),
    Role.ADMIN: ("full", True, True, True),
}


@pytest.mark.parametrize("role", list(EXPECTED))
async def test_each_role_reads_its_own_view(client: httpx.AsyncClient, login_as: LoginAs,
                                            role: Role) -> None:
    """The ID, birth date, medical notes and consents appear only for the roles that need
    them; everyone gets the masked ID, age, address, phones and contacts."""
    senior_id = await register(client, login_as)
    record = (await client.get(f"/api/v1/seniors/{senior_id}",
                               headers=await login_as(role))).json()
    view, full_id, medical, consents = EXPECTED[role]
    assert record["view"] == view and record["resident_id_masked"] == MASKED
    assert record["resident_id"] == (FULL_ID if full_id else None)
    assert record["birth_date"] == ("1945-03-02" if full_id else None)
    assert record["medical_notes"] == ("高血压" if medical else None)
    assert (record["consents"] is not None) is consents
    assert record["address"] and record["phones"] and len(record["contacts"]) == 2
    assert FULL_ID not in str(record) or full_id


async def test_a_write_answers_in_the_writers_view(client: httpx.AsyncClient,
                                                   login_as: LoginAs) -> None:
    """An operator who registers a senior gets the masked ID back, not the one typed in."""
    created = await client.post("/api/v1/seniors", json=senior_body(),
                                headers=await login_as(Role.OPERATOR))
    assert created.json()["resident_id"] is None and created.json()["view"] == "care"


async def test_reads_are_audited_with_what_was_shown(client: httpx.AsyncClient,
                                                     login_as: LoginAs) -> None:
    """The audit log says which view each read got, and whether the full ID was in it."""
    senior_id = await register(client, login_as)
    for role in (Role.SUBSIDY_STAFF, Role.DISPATCHER):
        await client.get(f"/api/v1/seniors/{senior_id}", headers=await login_as(role))
    audit = await client.get(f"/api/v1/audit?subject_type=senior&subject_id={senior_id}",
                             headers=await login_as(Role.SUPERVISOR))
    reads = {e["actor"]: e["detail"] for e in audit.json() if e["action"] == "senior.read"}
    assert reads["test_subsidy_staff"]["view"] == "subsidy"
    assert reads["test_subsidy_staff"]["resident_id"] is True
    assert reads["test_dispatcher"] == {"view": "service", "resident_id": False,
                                        "medical_notes": False}


async def test_the_call_panel_record_uses_the_same_view(client: httpx.AsyncClient,
                                                        login_as: LoginAs) -> None:
    """The operator's call-panel record has the medical notes but not the full ID."""
    senior_id = await register(client, login_as)
    record = (await client.get(f"/api/v1/incidents/seniors/{senior_id}/record",
                               headers=await login_as(Role.OPERATOR))).json()["senior"]
    assert (record["view"], record["resident_id"], record["medical_notes"]) == \
        ("care", None, "高血压")
