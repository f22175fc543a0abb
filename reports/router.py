"""HTTP: ``/api/v1/reports/monthly`` as JSON, CSV or XLSX."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel

from accounts import service as accounts_service
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from callcenter.routing.lifespan import DeskDep
from callcenter.routing.rules import OperatorState
from reports import areas as report_areas
from reports import centres as report_centres
from reports import export, service
from runtime.context import Runtime
from runtime.csv_export import CsvExport
from runtime.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
Reader = Annotated[StaffUser, Depends(require_roles({Role.SUPERVISOR, Role.SUBSIDY_STAFF,
                                                     Role.ADMIN}))]
Supervisor = Annotated[StaffUser, Depends(require_roles({Role.SUPERVISOR}))]
AT_WORDS = "an ISO 8601 time with a zone, e.g. 2026-01-05T00:00:00+08:00"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class MonthlyReport(BaseModel):
    month: str
    district: str | None
    districts: list[dict[str, Any]]
    areas: list[report_areas.AreaFigures] = []


@router.get("/centres", response_model=list[report_centres.CentreStatus])
async def centres(user: Supervisor, desk: DeskDep, runtime: RuntimeDep, session: SessionDep,
                  from_: Annotated[str | None, Query(alias="from", max_length=40,
                                                     description=AT_WORDS)] = None,
                  to: Annotated[str | None, Query(max_length=40, description=AT_WORDS)] = None,
                  ) -> list[report_centres.CentreStatus]:
    """The centres the caller oversees, parents first: open alarms, operators on duty, and
    the KPIs of calls and alarms in [from, to) (default: today, the centre's time zone), each
    centre's counting its whole subtree."""
    start, end = _span(runtime, from_, to)
    on_duty = {op.username for op in desk.router.operators.values()
               if op.state != OperatorState.OFFLINE}
    return await report_centres.centre_tree(session, on_duty=on_duty, start=start, end=end)


def _span(runtime: Runtime, given_start: str | None, given_end: str | None
          ) -> tuple[datetime, datetime]:
    if given_start is None and given_end is None:
        zone = ZoneInfo(runtime.settings.timezone)
        midnight = runtime.clock.now().astimezone(zone).replace(hour=0, minute=0, second=0,
                                                                microsecond=0)
        return midnight, midnight + timedelta(days=1)
    start, end = _time(given_start), _time(given_end)
    if start is None or end is None or start.tzinfo is None or end.tzinfo is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "give both from and to, with a time zone "
                            "(e.g. 2026-01-05T00:00:00+08:00), or neither for today")
    if end <= start:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "to must be after from")
    return start, end


def _time(text: str | None) -> datetime | None:
    """An ISO 8601 time as typed (a number is not one: no Unix seconds here)."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"{text!r} is not a time such as 2026-01-05T00:00:00+08:00"
                            ) from error


@router.get("/monthly", response_model=MonthlyReport,
            responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
async def monthly(user: Reader, runtime: RuntimeDep, session: SessionDep,
                  month: Annotated[str, Query(description="YYYY-MM, the centre's time zone")],
                  district: Annotated[str | None, Query(max_length=64)] = None,
                  format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
                  ) -> MonthlyReport | Response:
    """Seniors, devices, alarms with answer times, calls, orders and proof of life per
    district for one month."""
    if not MONTH.match(month):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "month must be YYYY-MM, e.g. 2026-03")
    span = service.Month.of(month, ZoneInfo(runtime.settings.timezone))
    figures = await service.monthly_report(session, month=span, district=district)
    await accounts_service.record_audit(session, actor=user.username, action="report.monthly",
                                        subject_type="report", subject_id=month,
                                        now=runtime.clock.now(),
                                        detail={"district": district, "format": format})
    await session.commit()
    filename = f"anxin-report-{month}{'-' + district if district else ''}"
    if format == "csv":
        csv = CsvExport()
        csv.row(export.HEADER)
        for row in export.rows(figures):
            csv.row(row)
        return csv.response(f"{filename}.csv")
    if format == "xlsx":
        return Response(export.xlsx(figures, month=month), media_type=XLSX, headers={
            "Content-Disposition": f'attachment; filename="{filename}.xlsx"'})
    rolled = await report_areas.rolled_up(session, month=span)
    return MonthlyReport(month=month, district=district,
                         districts=[one.as_dict() for one in figures], areas=rolled)
