"""The seniors API: register, search, read, change, contacts, consent, archive, audit."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from accounts.models import AuditEntry
from accounts.roles import Role
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.models import Senior
from tests.conftest import LoginAs

ID_A = "150102194503020017"  # last character wrong


def senior_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "王秀英",
        "resident_id": "150102194503020011",
        "sex": "female",
        "address": "呼和浩特市新城区新华大街12号3单元501室",
        "district": "新城区",
        "latitude": 40.86,
        "longitude": 111.67,
        "lives_alone": True,
        "languages": ["zh-CN", "mn"],
        "medical_notes": "高血压",
        "subsidy_categories": ["old_age_allowance"],
        "phones": ["138 0471 0001", "0471-6543210"],
        "contacts": [
            {"name": "李强", "relation": "儿子", "phones": ["13900000001"]},
            {"name": "李梅", "relation": "女儿", "phones": ["+86 139 0000 0002"]},
        ],
    }
    body.update(overrides)
    return body


async def count_seniors(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Senior)) or 0)


async def test_register_then_read_the_whole_record(client: httpx.AsyncClient,
                                                   login_as: LoginAs) -> None:
    """A registered senior reads back with normalised phones, ordered contacts and birth date."""
    headers = await login_as(Role.ADMIN)
    created = await client.post("/api/v1/seniors", json=senior_body(), headers=headers)
    assert created.status_code == 201, created.text
    senior = (await client.get(f"/api/v1/seniors/{created.json()['id']}", headers=headers)).json()
    assert senior["birth_date"] == "1945-03-02"
    assert senior["phones"] == ["+8613804710001", "+864716543210"]
    assert [c["name"] for c in senior["contacts"]] == ["李强", "李梅"]
    assert senior["contacts"][1]["phones"] == ["+8613900000002"]
    assert senior["resident_id_masked"] == "150102********0011"


async def test_invalid_resident_id_answers_422_naming_the_field(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime
) -> None:
    """A wrong check digit is refused with the field named, and nothing is stored."""
    headers = await login_as(Role.OPERATOR)
    response = await client.post("/api/v1/seniors", json=senior_body(resident_id=ID_A),
                                 headers=headers)
    assert response.status_code == 422
    assert "resident_id" in response.json()["detail"]
    assert "check digit" in response.json()["detail"]
    assert await count_seniors(runtime) == 0


async def test_invalid_phone_and_missing_field_answer_422(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime
) -> None:
    """A bad phone number and a missing address each name their field; nothing is stored."""
    headers = await login_as(Role.OPERATOR)
    bad_phone = await client.post("/api/v1/seniors", json=senior_body(phones=["12345"]),
                                  headers=headers)
    assert bad_phone.status_code == 422
    assert bad_phone.json()["errors"][0]["field"].startswith("phones")
    body = senior_body()
    del body["address"]
    missing = await client.post("/api/v1/seniors", json=body, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "address"
    bad_contact = senior_body(contacts=[{"name": "x", "relation": "儿子", "phones": ["1"]}])
    response = await client.post("/api/v1/seniors", json=bad_contact, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contacts.0.phones"
    assert await count_seniors(runtime) == 0


async def test_duplicate_resident_id_is_a_conflict(client: httpx.AsyncClient,
                                                   login_as: LoginAs) -> None:
    """The same person cannot be registered twice."""
    headers = await login_as(Role.OPERATOR)
    assert (await client.post("/api/v1/seniors", json=senior_body(), headers=headers)).status_code \
        == 201
    again = await client.post("/api/v1/seniors", json=senior_body(name="别名"), headers=headers)
    assert again.status_code == 409


async def test_search_by_name_phone_and_district(client: httpx.AsyncClient,
                                                 login_as: LoginAs) -> None:
    """Search finds by part of a name, any spelling of a phone, and district; IDs masked."""
    headers = await login_as(Role.OPERATOR)
    await client.post("/api/v1/seniors", json=senior_body(), headers=headers)
    await client.post("/api/v1/seniors", headers=headers, json=senior_body(
        name="张建国", resident_id="150105193807150039", sex="male", district="赛罕区",
        phones=["13912340000"], contacts=[]))

    async def names(**params: str) -> list[str]:
        page = (await client.get("/api/v1/seniors", params=params, headers=headers)).json()
        return [item["name"] for item in page["items"]]

    assert await names(name="秀英") == ["王秀英"]
    assert await names(phone="+86 138-0471-0001") == ["王秀英"]
    assert await names(phone="0471 6543210") == ["王秀英"]
    assert await names(phone="2340000") == ["张建国"]
    assert await names(district="赛罕区") == ["张建国"]
    page = (await client.get("/api/v1/seniors", headers=headers)).json()
    assert page["total"] == 2
    assert all("*" in item["resident_id_masked"] for item in page["items"])
    assert "resident_id" not in page["items"][0]


async def test_caller_id_finds_the_senior(client: httpx.AsyncClient, login_as: LoginAs,
                                          runtime: Runtime) -> None:
    """A caller ID in any common format finds the senior registered with that number."""
    headers = await login_as(Role.OPERATOR)
    await client.post("/api/v1/seniors", json=senior_body(), headers=headers)
    async with runtime.sessions() as session:
        found = await seniors_service.find_by_phone(session, "+864716543210")
        unknown = await seniors_service.find_by_phone(session, "13700000000")
        withheld = await seniors_service.find_by_phone(session, "anonymous")
    assert [s.name for s in found] == ["王秀英"]
    assert unknown == [] and withheld == []


async def test_update_contacts_consent_and_archive(client: httpx.AsyncClient,
                                                   login_as: LoginAs) -> None:
    """Fields change, contacts are replaced in order, consents are kept, archive hides."""
    headers = await login_as(Role.OPERATOR)
    senior_id = (await client.post("/api/v1/seniors", json=senior_body(),
                                   headers=headers)).json()["id"]
    patched = await client.patch(f"/api/v1/seniors/{senior_id}", headers=headers,
                                 json={"address": "新地址 1号", "phones": ["13700000009"]})
    assert patched.status_code == 200
    assert patched.json()["address"] == "新地址 1号"
    assert patched.json()["phones"] == ["+8613700000009"]
    bad_patch = await client.patch(f"/api/v1/seniors/{senior_id}", headers=headers,
                                   json={"resident_id": "150102194503020011"})
    assert bad_patch.status_code == 422
    contacts = await client.put(f"/api/v1/seniors/{senior_id}/contacts", headers=headers,
                                json={"contacts": [{"name": "邻居老赵", "relation": "邻居",
                                                    "phones": ["13600000000"]}]})
    assert [c["name"] for c in contacts.json()["contacts"]] == ["邻居老赵"]
    for granted in (True, False):
        consent = await client.post(f"/api/v1/seniors/{senior_id}/consents", headers=headers,
                                    json={"purpose": "biometric", "granted": granted,
                                          "method": "signed_form"})
        assert consent.status_code == 201
    record = (await client.get(f"/api/v1/seniors/{senior_id}", headers=headers)).json()
    assert [c["granted"] for c in record["consents"]] == [True, False]
    supervisor = await login_as(Role.SUPERVISOR)
    operator_delete = await client.delete(f"/api/v1/seniors/{senior_id}", headers=headers)
    assert operator_delete.status_code == 403
    assert (await client.delete(f"/api/v1/seniors/{senior_id}",
                                headers=supervisor)).status_code == 204
    assert (await client.get(f"/api/v1/seniors/{senior_id}", headers=headers)).status_code == 404
    assert (await client.get("/api/v1/seniors", headers=headers)).json()["total"] == 0


async def test_consent_withdrawal_is_the_current_answer(client: httpx.AsyncClient,
                                                        login_as: LoginAs,
                                                        runtime: Runtime) -> None:
    """The newest consent record decides whether the purpose is allowed."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    senior_id = (await client.post("/api/v1/seniors", json=senior_body(),
                                   headers=headers)).json()["id"]
    async with runtime.sessions() as session:
        assert not await seniors_service.has_consent(session, senior_id=senior_id,
                                                     purpose="biometric")
    for granted in (True, False):
        await client.post(f"/api/v1/seniors/{senior_id}/consents", headers=headers,
                          json={"purpose": "biometric", "granted": granted, "method": "in_person"})
    async with runtime.sessions() as session:
        assert not await seniors_service.has_consent(session, senior_id=senior_id,
                                                     purpose="biometric")


async def test_every_read_and_change_is_audited(client: httpx.AsyncClient, login_as: LoginAs,
                                                runtime: Runtime) -> None:
    """Create, search, read and update each leave an audit entry naming the staff member."""
    headers = await login_as(Role.OPERATOR)
    senior_id = (await client.post("/api/v1/seniors", json=senior_body(),
                                   headers=headers)).json()["id"]
    await client.get("/api/v1/seniors", params={"name": "王"}, headers=headers)
    await client.get(f"/api/v1/seniors/{senior_id}", headers=headers)
    await client.patch(f"/api/v1/seniors/{senior_id}", json={"medical_notes": "糖尿病"},
                       headers=headers)
    async with runtime.sessions() as session:
        rows = (await session.execute(
            select(AuditEntry.action, AuditEntry.actor).where(AuditEntry.subject_type == "senior")
            .order_by(AuditEntry.id))).all()
    assert [row.action for row in rows] == ["senior.create", "senior.search", "senior.read",
                                            "senior.update"]
    assert {row.actor for row in rows} == {"test_operator"}
    supervisor = await login_as(Role.SUPERVISOR)
    log = await client.get("/api/v1/audit", params={"subject_type": "senior",
                                                   "subject_id": str(senior_id)},
                           headers=supervisor)
    assert [entry["action"] for entry in log.json()] == ["senior.update", "senior.read",
                                                         "senior.create"]
