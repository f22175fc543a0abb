"""The bureau's monthly report: every figure of a constructed month, as JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import httpx
from openpyxl import load_workbook

from accounts.roles import Role
from reports import service
from runtime.context import Runtime
from tests.conftest import LoginAs
from tests.reports.conftest import EAST, WEST, build_month
from tests.retention.conftest import Store

MARCH = service.Month.of("2026-03", ZoneInfo("Asia/Shanghai"))


async def test_constructed_month_figures(store: Store) -> None:
    """Registered, alone, age bands, categories, devices, alarm answer shares, calls, orders
    and proof of life per district; local month edges respected."""
    async with store.sessions() as session:
        await build_month(session)
        figures = {f.district: f for f in await service.monthly_report(session, month=MARCH)}
    east, west = figures[EAST], figures[WEST]
    assert dict(east.seniors) == {"registered": 2, "living_alone": 1, "registered_this_month": 1}
    assert {k: v for k, v in east.age_bands.items() if v} == {"70_79": 1, "90_plus": 1}
    assert {k: v for k, v in west.age_bands.items() if v} == {"under_60": 1}
    assert dict(east.subsidy_categories) == {"low_income": 2, "disabled": 1}
    assert dict(east.devices) == {"deployed": 2, "online": 1} and not west.devices
    sos = next(a for a in east.alarms if a["kind"] == "sos")
    assert (sos["count"], sos["answered"], sos["within_60s"], sos["within_180s"]) == (4, 3, 2, 3)
    assert (sos["share_within_60s"], sos["share_within_180s"], sos["median_answer_s"]) == (
        0.5, 0.75, 30)
    fall = next(a for a in east.alarms if a["kind"] == "fall")
    assert (fall["count"], fall["within_180s"]) == (1, 0)
    assert dict(east.calls_by_purpose) == {"hotline": 2, "callback": 1}
    assert dict(figures[service.NO_DISTRICT].calls_by_purpose) == {"hotline": 1}
    assert east.orders == [{"service": "meal_delivery", "count": 2, "completed": 1,
                            "price_fen": 6000, "subsidised_fen": 4000}]
    assert west.orders[0]["subsidised_fen"] == 0
    assert dict(east.proof_of_life) == {"certifications": 2, "current": 1, "held": 1,
                                        "completion": 0.5}


async def test_report_over_http_as_json_csv_and_xlsx(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """One district's report in three formats with the same figures; bad months get 422."""
    async with runtime.sessions() as session:
        await build_month(session)
    staff = await login_as(Role.SUBSIDY_STAFF)
    url = "/api/v1/reports/monthly"
    body = (await client.get(url, params={"month": "2026-03", "district": EAST},
                             headers=staff)).json()
    assert [d["district"] for d in body["districts"]] == [EAST]
    assert body["districts"][0]["seniors"]["registered"] == 2
    text = (await client.get(url, params={"month": "2026-03", "format": "csv"},
                             headers=staff)).text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["district", "section", "item", "value"]
    assert [EAST, "alarms", "sos/P1/share_within_60s", "0.5"] in rows
    xlsx = await client.get(url, params={"month": "2026-03", "format": "xlsx"}, headers=staff)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert (WEST, "orders", "cleaning/price_fen", 5000) in cells
    for bad in ("2026-13", "March", "2026-3"):
        answer = await client.get(url, params={"month": bad}, headers=staff)
        assert answer.status_code == 422 and "YYYY-MM" in answer.text
    operator = await login_as(Role.OPERATOR)
    assert (await client.get(url, params={"month": "2026-03"},
                             headers=operator)).status_code == 403
