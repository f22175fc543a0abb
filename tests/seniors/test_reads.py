"""What other domains read of a senior through seniors.service: frozen views, not rows."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import httpx
import pytest

from accounts.roles import Role
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.conftest import LoginAs
from tests.seniors.test_api import senior_body

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


async def register(runtime: Runtime, **overrides: object) -> int:
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body(**overrides)), now=NOW)
        await session.commit()
        return senior.id


async def test_reach_names_phones_in_order_then_contacts_in_cascade_order(
        runtime: Runtime) -> None:
    """reach_of gives the senior's numbers in order and each contact with their numbers."""
    senior_id = await register(runtime)
    async with runtime.sessions() as session:
        reach = await seniors_service.reach_of(session, senior_id=senior_id)
    assert reach is not None
    assert reach.name == "王秀英"
    assert reach.phones == ("+8613804710001", "+864716543210")
    assert [(c.position, c.name, c.phones) for c in reach.contacts] == [
        (0, "李强", ("+8613900000001",)), (1, "李梅", ("+8613900000002",))]
    with pytest.raises(dataclasses.FrozenInstanceError):
        reach.name = "someone else"  # type: ignore[misc]


async def test_reach_of_an_archived_senior_is_still_given_and_of_nobody_is_none(
        runtime: Runtime) -> None:
    """A case outlives the record: an archived senior is still reachable; no senior is None."""
    senior_id = await register(runtime)
    async with runtime.sessions() as session:
        await seniors_service.archive_senior(session, senior_id=senior_id, now=NOW)
        await session.commit()
    async with runtime.sessions() as session:
        assert await seniors_service.reach_of(session, senior_id=senior_id) is not None
        assert await seniors_service.reach_of(session, senior_id=senior_id + 99) is None


async def test_campaign_reach_picks_active_seniors_living_alone_of_the_district(
        runtime: Runtime) -> None:
    """reach_of_active narrows to those living alone and to a district, and skips archived."""
    alone = await register(runtime)
    family = await register(runtime, resident_id="150105193807150039", lives_alone=False)
    elsewhere = await register(runtime, resident_id="150102195001010010", district="赛罕区")
    gone = await register(runtime, resident_id="150102194001010016")
    async with runtime.sessions() as session:
        await seniors_service.archive_senior(session, senior_id=gone, now=NOW)
        await session.commit()

    async def picked(*, lives_alone_only: bool, district: str | None) -> list[int]:
        async with runtime.sessions() as session:
            return [s.id for s in await seniors_service.reach_of_active(
                session, lives_alone_only=lives_alone_only, district=district)]

    assert await picked(lives_alone_only=True, district=None) == [alone, elsewhere]
    assert await picked(lives_alone_only=True, district="新城区") == [alone]
    assert await picked(lives_alone_only=False, district="新城区") == [alone, family]


async def test_contact_and_places_are_read_by_id(runtime: Runtime) -> None:
    """get_contact names one contact (None for none); places_of gives name and address."""
    senior_id = await register(runtime)
    async with runtime.sessions() as session:
        first = (await seniors_service.contacts_of(session, senior_id=senior_id))[0]
        contact = await seniors_service.get_contact(session, contact_id=first.id)
        missing = await seniors_service.get_contact(session, contact_id=first.id + 99)
        places = await seniors_service.places_of(session, senior_ids=[senior_id, senior_id])
    assert contact == first and contact.senior_id == senior_id
    assert missing is None
    assert places[senior_id].district == "新城区"
    assert places[senior_id].address.startswith("呼和浩特市")


async def test_phone_page_offers_registered_numbers_of_seniors(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """The simulator's caller IDs are the seniors' registered numbers, by senior."""
    first = await register(runtime)
    second = await register(runtime, resident_id="150105193807150039", phones=["13800000009"])
    headers = await login_as(Role.OPERATOR)
    response = await client.get("/telephony/simulator/numbers", headers=headers)
    assert response.status_code == 200
    offered = sorted((item["senior_id"], item["number"]) for item in response.json())
    assert offered == [(first, "+8613804710001"), (first, "+864716543210"),
                       (second, "+8613800000009")]
