"""Paging the seniors list by key: every senior once, in (name, id) order, and a capped count."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from accounts.roles import Role
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.models import Senior, SeniorNameGram, name_grams
from tests.conftest import LoginAs

NAMES = ("王秀英", "李桂兰", "王秀英", "张建国", "刘玉珍", "王秀英", "陈志强")


async def add_seniors(runtime: Runtime, count: int, *, district: str = "新城区",
                      first_id: int = 1) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [{"id": n, "name": NAMES[n % len(NAMES)], "resident_id": f"R{n:017d}",
             "birth_date": date(1940, 1, 1), "sex": "F", "address": "", "district": district,
             "lives_alone": False, "languages": [], "medical_notes": "",
             "subsidy_categories": [], "created_at": now, "updated_at": now}
            for n in range(first_id, first_id + count)]
    # In bulk, as the region generator writes them: the name pieces as their own rows.
    pieces = [{"senior_id": row["id"], "gram": gram, "name": row["name"]}
              for row in rows for gram in name_grams(str(row["name"]))]
    async with runtime.sessions() as session:
        await session.execute(insert(Senior), rows)
        await session.execute(insert(SeniorNameGram), pieces)
        await session.commit()


async def pages(client: httpx.AsyncClient, headers: dict[str, str],
                **params: Any) -> list[list[int]]:
    found, after = [], None
    while True:
        query = {**params, "limit": 4, **({"after": after} if after else {})}
        page = (await client.get("/api/v1/seniors", params=query, headers=headers)).json()
        found.append([item["id"] for item in page["items"]])
        after = page["next_after"]
        if after is None:
            return found


async def test_keyset_pages_hold_every_senior_once_in_name_order(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """Following next_after visits every senior once, by name then id, equal names included."""
    headers = await login_as(Role.OPERATOR)
    await add_seniors(runtime, 15)
    await add_seniors(runtime, 6, district="赛罕区", first_id=100)
    seen = [senior for page in await pages(client, headers) for senior in page]
    expected = sorted(list(range(1, 16)) + list(range(100, 106)),
                      key=lambda n: (NAMES[n % len(NAMES)], n))
    assert seen == expected
    in_district = await pages(client, headers, district="赛罕区")
    assert [len(page) for page in in_district] == [4, 2]
    assert sorted(n for page in in_district for n in page) == list(range(100, 106))


async def test_resident_id_finds_one_senior(client: httpx.AsyncClient, login_as: LoginAs,
                                            runtime: Runtime) -> None:
    """A resident ID filter answers the one senior with that ID, whatever the case typed."""
    headers = await login_as(Role.OPERATOR)
    await add_seniors(runtime, 5)
    page = (await client.get("/api/v1/seniors", params={"resident_id": "r00000000000000003"},
                             headers=headers)).json()
    assert [item["id"] for item in page["items"]] == [3]


async def test_count_stops_at_the_cap(client: httpx.AsyncClient, login_as: LoginAs,
                                      runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond the cap the page says "more than" instead of counting every match."""
    monkeypatch.setattr(seniors_service, "COUNT_CAP", 5)
    headers = await login_as(Role.OPERATOR)
    await add_seniors(runtime, 8)
    page = (await client.get("/api/v1/seniors", params={"limit": 3}, headers=headers)).json()
    assert (page["total"], page["total_exact"], len(page["items"])) == (5, False, 3)
    exact = (await client.get("/api/v1/seniors", params={"name": "王"},
                              headers=headers)).json()
    assert (exact["total"], exact["total_exact"]) == (3, True)


async def test_after_an_unknown_senior_is_an_empty_page(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """A page after a senior that does not exist is empty, not the whole list again."""
    headers = await login_as(Role.OPERATOR)
    await add_seniors(runtime, 3)
    page = (await client.get("/api/v1/seniors", params={"after": 999},
                             headers=headers)).json()
    assert page["items"] == [] and page["next_after"] is None
