"""The audit log filtered by who, action, senior and time, named subjects, and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx

from accounts import service as accounts_service
from accounts.roles import Role
from runtime.context import Runtime
from tests.conftest import LoginAs
from tests.seniors.test_api import senior_body

DAY = datetime(2026, 1, 5, 9, tzinfo=UTC)


async def seed(runtime: Runtime, senior_id: int) -> None:
    """Four entries an hour apart: two liveness actions on the senior, two by the admin."""
    async with runtime.sessions() as session:
        for hour, actor, action, subject in (
                (0, "zhao", "liveness.link", str(senior_id)),
                (1, "zhao", "liveness.check", str(senior_id)),
                (2, "root", "staff.create", "7"),
                (3, "root", "liveness_other.x", "7")):
            await accounts_service.record_audit(
                session, actor=actor, action=action,
                subject_type="senior" if subject == str(senior_id) else "staff",
                subject_id=subject, now=DAY + timedelta(hours=hour), detail={"n": hour})
        await session.commit()


async def test_filters_combine_and_subjects_are_named(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """The liveness family by zhao for the senior from 10:00 is one entry, named 王秀英."""
    admin = await login_as(Role.ADMIN)
    senior_id = (await client.post("/api/v1/seniors", json=senior_body(),
                                   headers=admin)).json()["id"]
    await seed(runtime, senior_id)
    base = {"action": "liveness", "subject_type": "senior", "subject_id": str(senior_id)}
    family = (await client.get("/api/v1/audit", params=base, headers=admin)).json()
    assert [e["action"] for e in family] == ["liveness.check", "liveness.link"]
    assert {e["subject_name"] for e in family} == {"王秀英"}
    later = (await client.get("/api/v1/audit", headers=admin, params={
        **base, "actor": "zhao", "since": "2026-01-05T10:00:00+00:00",
        "until": "2026-01-05T11:00:00+00:00"})).json()
    assert [e["action"] for e in later] == ["liveness.check"]
    page = (await client.get("/api/v1/audit", headers=admin, params={
        "actor": "root", "limit": 1, "offset": 1})).json()
    assert [e["action"] for e in page] == ["staff.create"]
    assert page[0]["subject_name"] is None


async def test_the_csv_holds_the_filtered_rows_and_is_audited(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """CSV of actor=zhao: a header and two rows with the senior's name; the export is logged."""
    admin = await login_as(Role.ADMIN)
    senior_id = (await client.post("/api/v1/seniors", json=senior_body(),
                                   headers=admin)).json()["id"]
    await seed(runtime, senior_id)
    answer = await client.get("/api/v1/audit.csv", params={"actor": "zhao"}, headers=admin)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:6] == ["at", "actor", "action", "subject_type", "subject_id",
                           "subject_name"]
    assert [(r[2], r[5]) for r in rows[1:]] == [("liveness.check", "王秀英"),
                                              ("liveness.link", "王秀英")]
    exported = (await client.get("/api/v1/audit", params={"action": "audit.export"},
                                 headers=admin)).json()
    assert exported[0]["detail"] == {"rows": 2}


async def test_bad_times_are_refused(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """A time without a zone, a bare number for a time or an empty range is a 422 naming the
    problem; operators get 403."""
    admin = await login_as(Role.ADMIN)
    naive = await client.get("/api/v1/audit", params={"since": "2026-01-05T10:00:00"},
                             headers=admin)
    assert naive.status_code == 422 and "since needs a time zone" in naive.text
    number = await client.get("/api/v1/audit.csv", params={"until": "-24"}, headers=admin)
    assert number.status_code == 422 and "not a number" in number.text  # not 1969
    empty = await client.get("/api/v1/audit.csv", headers=admin, params={
        "since": "2026-01-05T10:00:00+00:00", "until": "2026-01-05T09:00:00+00:00"})
    assert empty.status_code == 422 and "until must be after since" in empty.text
    operator = await login_as(Role.OPERATOR)
    assert (await client.get("/api/v1/audit.csv", headers=operator)).status_code == 403
