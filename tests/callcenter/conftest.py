"""A senior with two emergency contacts, and helpers to drive simulated calls."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.seniors.test_api import senior_body

SENIOR_PHONE = "+8613804710001"
SON_PHONE = "+8613900000001"
DAUGHTER_PHONE = "+8613900000002"


@pytest.fixture
async def senior_id(runtime: Runtime) -> int:
    """王秀英, phone 138 0471 0001, contacts 李强 (son) then 李梅 (daughter)."""
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=runtime.clock.now())
        await session.commit()
        return senior.id


def spoken(answer: dict[str, Any]) -> str:
    """Everything the caller heard in one answer, joined."""
    return " ".join(a.get("text") or a.get("prompt") or "" for a in answer["actions"])


async def dial(client: httpx.AsyncClient, headers: dict[str, str],
               number: str) -> dict[str, Any]:
    response = await client.post("/telephony/simulator/calls", json={"from_number": number},
                                 headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def press(client: httpx.AsyncClient, headers: dict[str, str], call_id: int,
                **body: str) -> dict[str, Any]:
    response = await client.post(f"/telephony/simulator/calls/{call_id}/input", json=body,
                                 headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def phone_event(client: httpx.AsyncClient, headers: dict[str, str], call_id: int,
                      kind: str) -> dict[str, Any]:
    response = await client.post(f"/telephony/simulator/calls/{call_id}/events",
                                 json={"kind": kind}, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
