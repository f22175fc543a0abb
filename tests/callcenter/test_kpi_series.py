"""KPIs per hour for the supervisor's charts, on the constructed morning of test_kpis."""

from __future__ import annotations

from datetime import timedelta

import httpx

from accounts.roles import Role
from callcenter.kpis.series import queue_peaks
from runtime.context import Runtime
from tests.callcenter.test_kpis import at, seed
from tests.conftest import LoginAs

PARAMS = {"from": "2026-01-05T09:00:00+00:00", "to": "2026-01-05T12:00:00+00:00"}


async def test_hourly_figures_match_the_hand_computed_morning(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """9h: 4 calls (2 answered in 60 s, 2 abandoned), 4 alarms (1 in 60 s, 2 in 180 s)."""
    await seed(runtime)
    supervisor = await login_as(Role.SUPERVISOR)
    answer = await client.get("/api/v1/kpis/series", params=PARAMS, headers=supervisor)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["step_s"] == 3600
    nine, ten, eleven = report["buckets"]
    assert nine == {
        "start": "2026-01-05T09:00:00+00:00", "offered": 4, "answered": 2, "abandoned": 2,
        "calls_within_60s": 0.5, "calls_within_180s": 0.5, "alarms_raised": 4,
        "alarms_within_60s": 0.25, "alarms_within_180s": 0.5, "queue_peak": 2}
    # The gas alarm is never acknowledged: it waits through 10h (with the 10:00 call) and 11h.
    assert (ten["offered"], ten["calls_within_60s"], ten["alarms_within_60s"],
            ten["queue_peak"]) == (1, 1.0, None, 2)
    assert (eleven["offered"], eleven["calls_within_180s"], eleven["queue_peak"]) == \
        (0, None, 1)


async def test_series_is_for_supervisors_and_bounded(
        client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """Operators get 403; more than a month of hourly buckets is a 422 naming the limit."""
    operator = await login_as(Role.OPERATOR)
    assert (await client.get("/api/v1/kpis/series", params=PARAMS,
                             headers=operator)).status_code == 403
    supervisor = await login_as(Role.SUPERVISOR)
    too_long = await client.get("/api/v1/kpis/series", headers=supervisor, params={
        "from": "2026-01-01T00:00:00+00:00", "to": "2026-03-01T00:00:00+00:00"})
    assert too_long.status_code == 422 and "at most 744 buckets" in too_long.text


def test_work_answered_as_the_next_arrives_is_not_two_waiting() -> None:
    """A call answered at 9:10 and one offered at 9:10 never wait together; a short tail."""
    step = timedelta(minutes=30)
    peaks = queue_peaks([(at(9, 0), at(9, 10)), (at(9, 10), at(9, 20)),
                         (at(9, 15), None)], start=at(9, 0), end=at(10, 10), step=step)
    assert peaks == [2, 1, 1]


async def test_late_alarms_are_named(client: httpx.AsyncClient, login_as: LoginAs,
                                     runtime: Runtime) -> None:
    """Alarms waiting over 180 s carry their senior's name and their kind in both languages."""
    await seed(runtime)
    supervisor = await login_as(Role.SUPERVISOR)
    report = (await client.get("/api/v1/kpis", params=PARAMS, headers=supervisor)).json()
    late = report["alarms"]["waited_over_180s"]
    assert [(a["senior_name"], a["label"], a["label_en"]) for a in late] == [
        ("王秀英", "烟雾报警", "Smoke"), ("王秀英", "燃气泄漏", "Gas leak")]
