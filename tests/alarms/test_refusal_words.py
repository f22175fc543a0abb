"""Refusals carry a stable code and words in the caller's language (Accept-Language)."""

from __future__ import annotations

import httpx

from accounts.roles import Role
from alarms import flows
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import LoginAs

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-GB,en;q=0.8"}


async def test_a_missing_alarm_is_refused_by_code_in_either_language(
        client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """404 names the code alarm_not_found, in Chinese for zh-CN and English for en."""
    operator = await login_as(Role.OPERATOR)
    chinese = await client.get("/api/v1/alarms/9999", headers={**operator, **ZH})
    english = await client.get("/api/v1/alarms/9999", headers={**operator, **EN})
    assert chinese.status_code == english.status_code == 404
    assert chinese.json() == {"code": "alarm_not_found", "detail": "找不到该警报"}
    assert english.json() == {"code": "alarm_not_found", "detail": "alarm 9999 not found"}
    assert chinese.headers["content-language"] == "zh-CN"


async def test_an_owned_alarm_is_refused_in_chinese_naming_the_owner(
        runtime: Runtime, client: httpx.AsyncClient, login_as: LoginAs, senior_id: int,
        clock: ManualClock) -> None:
    """The 409 OwnedConflict has code alarm_owned and says who owns it in the caller's words."""
    raised = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                            at=clock.now())
    operator = await login_as(Role.OPERATOR)
    await client.post(f"/api/v1/alarms/{raised.alarm.id}/ack", headers=operator)
    supervisor = await login_as(Role.SUPERVISOR)
    taken = await client.post(f"/api/v1/alarms/{raised.alarm.id}/ack",
                              headers={**supervisor, **ZH})
    assert taken.status_code == 409
    assert taken.json() == {"code": "alarm_owned", "detail": "该警报已由Test operator接手",
                            "owner": "test_operator", "owner_name": "Test operator"}


async def test_a_refused_field_is_named_without_its_location_in_chinese(
        client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """422 says which field and what is wrong in zh-CN, not `query.target: Input should…`."""
    supervisor = await login_as(Role.SUPERVISOR)
    answer = await client.get("/api/v1/staffing", headers={**supervisor, **ZH}, params={
        "calls_per_hour": 10, "handle_seconds": 120, "target": 1.5})
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "invalid"
    assert body["errors"] == [{"field": "target", "code": "less_than", "message": "必须小于 1"}]
    assert body["detail"] == "target：必须小于 1"


async def test_a_refusal_without_a_domain_error_takes_its_status_code(
        client: httpx.AsyncClient) -> None:
    """Not signed in: code not_signed_in and the Chinese sentence for zh-CN callers."""
    answer = await client.get("/api/v1/alarms", headers=ZH)
    assert answer.status_code == 401
    assert answer.json() == {"code": "not_signed_in", "detail": "未登录或登录已过期，请重新登录"}
