"""Search by part of a name or the last digits of a number, through the name pieces and the
reversed digits, kept in step with registrations, renames and number changes."""

from __future__ import annotations

import httpx

from accounts.roles import Role
from tests.conftest import LoginAs
from tests.seniors.test_api import senior_body


async def found(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> list[str]:
    page = (await client.get("/api/v1/seniors", params=params, headers=headers)).json()
    return [item["name"] for item in page["items"]]


async def test_any_part_of_a_name_finds_the_senior_until_renamed(
        client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """One, two or more characters from anywhere in the name find the senior, in any case;
    after a rename the new name's parts do and the old name's do not."""
    headers = await login_as(Role.ADMIN)
    created = await client.post("/api/v1/seniors", headers=headers, json=senior_body(
        name="王秀英", phones=["+8613912345678"]))
    assert created.status_code == 201, created.text
    await client.post("/api/v1/seniors", headers=headers, json=senior_body(
        name="Anna Berg", resident_id="150102194503020038", phones=["+8613900000001"]))
    for part in ("秀", "秀英", "王秀英", "berg", "NA B"):
        assert await found(client, headers, name=part) in (["王秀英"], ["Anna Berg"]), part
    assert await found(client, headers, name="英王") == []
    renamed = await client.patch(f"/api/v1/seniors/{created.json()['id']}", headers=headers,
                                 json={"name": "李桂兰"})
    assert renamed.status_code == 200, renamed.text
    assert await found(client, headers, name="桂兰") == ["李桂兰"]
    assert await found(client, headers, name="秀英") == []


async def test_the_last_digits_of_a_changed_number_find_the_senior(
        client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """The last four or more digits find the senior by their current number only."""
    headers = await login_as(Role.ADMIN)
    created = await client.post("/api/v1/seniors", headers=headers, json=senior_body(
        phones=["+8613912345678"]))
    assert await found(client, headers, phone="5678") == ["王秀英"]
    assert await found(client, headers, phone="345678") == ["王秀英"]
    assert await found(client, headers, phone="5679") == []
    changed = await client.patch(f"/api/v1/seniors/{created.json()['id']}", headers=headers,
                                 json={"phones": ["+8613800009999"]})
    assert changed.status_code == 200, changed.text
    assert await found(client, headers, phone="5678") == []
    assert await found(client, headers, phone="0009999") == ["王秀英"]
