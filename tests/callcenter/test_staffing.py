"""Erlang C staffing: the two worked examples from the domain notes, bad input, the route."""

import json
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest

from accounts.roles import Role
from callcenter.planning.erlang import erlang_c, plan
from tests.conftest import LoginAs


def test_alarm_line_example_needs_five_operators() -> None:
    """30 calls/h of 3 min at 98.5 % within 60 s needs 5 operators (4 reach only 96.8 %)."""
    result = plan(calls_per_hour=30, handle_seconds=180, target=0.985, within_seconds=60)
    assert result.operators == 5
    assert result.traffic_erlangs == 1.5
    assert result.service_level >= 0.985


def test_consultation_line_example_needs_eleven() -> None:
    """120 calls/h of 4 min at 80 % within 20 s needs 11 operators."""
    result = plan(calls_per_hour=120, handle_seconds=240, target=0.80, within_seconds=20)
    assert result.operators == 11
    assert result.occupancy == round(8 / 11, 4)


def test_large_centres_do_not_overflow() -> None:
    """A provincial line (5,000 calls/h) is planned without float overflow."""
    result = plan(calls_per_hour=5000, handle_seconds=200, target=0.9, within_seconds=20,
                  shrinkage=0.3)
    assert 278 < result.operators < 320
    assert result.operators_with_shrinkage > result.operators
    assert 0 < erlang_c(result.operators, result.traffic_erlangs) < 1


@pytest.mark.parametrize(("field", "value"), [("target", 1.5), ("calls_per_hour", 0)])
def test_bad_input_names_the_problem(field: str, value: float) -> None:
    """Impossible targets or no traffic are refused with the field named."""
    arguments: dict[str, Any] = {"calls_per_hour": 30.0, "handle_seconds": 180.0, "target": 0.985,
                 "within_seconds": 60.0, field: value}
    with pytest.raises(ValueError, match=field):
        plan(**arguments)


def test_command_line_prints_one_json_line() -> None:
    """`anxin plan staffing` prints the plan as one JSON line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "plan", "staffing", "--calls-per-hour", "30",
         "--handle-minutes", "3", "--target", "0.985", "--within", "60"],
        capture_output=True, text=True, env=env, timeout=60, check=True)
    assert json.loads(result.stdout)["operators"] == 5


async def test_route_is_for_supervisors(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """Supervisors get the plan; operators get 403; bad numbers get 422."""
    supervisor = await login_as(Role.SUPERVISOR)
    params = {"calls_per_hour": 120, "handle_seconds": 240, "target": 0.8, "within_seconds": 20}
    response = await client.get("/api/v1/staffing", params=params, headers=supervisor)
    assert response.json()["operators"] == 11
    operator = await login_as(Role.OPERATOR)
    assert (await client.get("/api/v1/staffing", params=params,
                             headers=operator)).status_code == 403
    bad = await client.get("/api/v1/staffing", params={**params, "target": 2},
                           headers=supervisor)
    assert bad.status_code == 422 and "target" in bad.json()["detail"]


async def test_the_plan_carries_its_curve(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """The curve runs from 9 operators (traffic 8 erlangs) to 15, rising, 11 meeting 80 %."""
    supervisor = await login_as(Role.SUPERVISOR)
    params = {"calls_per_hour": 120, "handle_seconds": 240, "target": 0.8, "within_seconds": 20}
    plan = (await client.get("/api/v1/staffing", params=params, headers=supervisor)).json()
    operators = [n for n, _ in plan["curve"]]
    shares = [share for _, share in plan["curve"]]
    assert operators == list(range(9, 16))
    assert shares == sorted(shares) and shares[-1] < 1
    levels = dict(plan["curve"])
    assert levels[10] < 0.8 <= levels[11] == plan["service_level"]
