"""HTTP routes for seniors; every read and change is written to the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from accounts.audiences import audience
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import SENIOR_EDITORS, SENIOR_READERS, Role
from areas import service as areas_service
from areas.exceptions import AreaOutsideScopeError, UnknownAreaError
from runtime.deps import RuntimeDep, SessionDep
from runtime.scope import current_scope
from seniors import areas, service
from seniors.exceptions import DuplicateResidentIdError, SeniorNotFoundError
from seniors.models import Senior
from seniors.schemas import (
    ConsentIn,
    ConsentOut,
    ContactsReplace,
    SeniorCreate,
    SeniorOut,
    SeniorPage,
    SeniorUpdate,
)
from seniors.views import audited, view_for
from storage.bounds import Limit, Offset, RowId

router = APIRouter(prefix="/api/v1/seniors", tags=["seniors"])
Reader = Annotated[StaffUser, Depends(require_roles(SENIOR_READERS))]
Editor = Annotated[StaffUser, Depends(require_roles(SENIOR_EDITORS))]
Archiver = Annotated[StaffUser, Depends(require_roles({Role.SUPERVISOR}))]


async def _audit(session: AsyncSession, runtime: RuntimeDep, user: StaffUser, action: str,
                 senior_id: RowId | None, **detail: object) -> None:
    await accounts_service.record_audit(
        session, actor=user.username, action=action, subject_type="senior",
        subject_id=None if senior_id is None else str(senior_id), now=runtime.clock.now(),
        detail=dict(detail),
    )


async def _load(session: AsyncSession, senior_id: int) -> Senior:
    try:
        return await service.get_senior(session, senior_id)
    except SeniorNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


@router.get("", response_model=SeniorPage)
async def search(
    user: Reader,
    runtime: RuntimeDep,
    session: SessionDep,
    name: Annotated[str | None, Query(max_length=64)] = None,
    phone: Annotated[str | None, Query(max_length=32)] = None,
    district: Annotated[str | None, Query(max_length=64)] = None,
    resident_id: Annotated[str | None, Query(min_length=6, max_length=18)] = None,
    after: Annotated[RowId | None, Query(description="the last senior of the previous page")
                     ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> SeniorPage:
    """Search active seniors by name, phone, district and resident ID, a page at a time
    (``after`` pages by key; ``offset`` still works); resident IDs come masked."""
    found = await service.search_seniors(
        session, name=name, phone=phone, district=district, resident_id=resident_id,
        after=after, limit=limit, offset=offset)
    await _audit(session, runtime, user, "senior.search", None, name=name, phone=phone,
                 district=district, resident_id=None if resident_id is None else "given",
                 returned=[s.id for s in found.seniors])
    await session.commit()
    today = runtime.clock.now().date()
    return SeniorPage(total=found.total, total_exact=found.exact,
                      items=[service.summary_of(s, today) for s in found.seniors],
                      next_after=found.next_after)


@router.post("", response_model=SeniorOut, status_code=status.HTTP_201_CREATED)
async def create(body: SeniorCreate, user: Editor, runtime: RuntimeDep,
                 session: SessionDep) -> SeniorOut:
    """Register a senior with phones and ordered emergency contacts."""
    try:
        senior = await service.create_senior(session, data=body, now=runtime.clock.now())
    except DuplicateResidentIdError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    except (AreaOutsideScopeError, UnknownAreaError) as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    await _audit(session, runtime, user, "senior.create", senior.id)
    await session.commit()
    runtime.bus.publish("senior.created", {"id": senior.id, "summary": senior.name},
                        roles=audience("senior.created"), area=senior.area_code)
    return service.detail_of(senior, runtime.clock.now().date(), view=view_for(user.role))


class AreaOut(BaseModel):
    """An area a senior may be registered in or moved to, in words."""

    code: str
    parent_code: str | None
    name_zh: str
    name_en: str


@router.get("/areas", response_model=list[AreaOut])
async def served_areas(user: Editor, session: SessionDep) -> list[AreaOut]:
    """The areas the caller's centres serve, by code (parents before their children): where
    they may register or move a senior."""
    return [AreaOut(code=a.code, parent_code=a.parent_code, name_zh=a.name_zh,
                    name_en=a.name_en)
            for a in await areas_service.all_areas(session) if current_scope().covers(a.code)]


@router.get("/{senior_id}", response_model=SeniorOut)
async def read(senior_id: RowId, user: Reader, runtime: RuntimeDep,
               session: SessionDep) -> SeniorOut:
    """One senior's record, as the reader's role sees it (seniors/views.py)."""
    senior = await _load(session, senior_id)
    view = view_for(user.role)
    await _audit(session, runtime, user, "senior.read", senior_id, **audited(view))
    await session.commit()
    return service.detail_of(senior, runtime.clock.now().date(), view=view_for(user.role))


@router.patch("/{senior_id}", response_model=SeniorOut)
async def update(senior_id: RowId, body: SeniorUpdate, user: Editor, runtime: RuntimeDep,
                 session: SessionDep) -> SeniorOut:
    """Change some fields of a senior's record."""
    before = (await _load(session, senior_id)).area_code
    try:
        senior, fields = await service.update_senior(
            session, senior_id=senior_id, data=body, now=runtime.clock.now()
        )
    except SeniorNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except (AreaOutsideScopeError, UnknownAreaError) as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    await _audit(session, runtime, user, "senior.update", senior_id, fields=fields)
    if senior.area_code != before and senior.area_code is not None:
        moved = await areas.move_open_work(session, senior_id=senior_id,
                                           area_code=senior.area_code)
        await _audit(session, runtime, user, "senior.move", senior_id, from_area=before,
                     to_area=senior.area_code, moved=moved)
    await session.commit()
    runtime.bus.publish("senior.updated", {"id": senior_id, "summary": senior.name,
                                           "fields": fields}, roles=audience("senior.updated"),
                        area=senior.area_code)
    return service.detail_of(senior, runtime.clock.now().date(), view=view_for(user.role))


@router.put("/{senior_id}/contacts", response_model=SeniorOut)
async def put_contacts(senior_id: RowId, body: ContactsReplace, user: Editor,
                       runtime: RuntimeDep, session: SessionDep) -> SeniorOut:
    """Replace the ordered list of emergency contacts."""
    try:
        senior = await service.replace_contacts(
            session, senior_id=senior_id, contacts=body.contacts, now=runtime.clock.now()
        )
    except SeniorNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    await _audit(session, runtime, user, "senior.contacts", senior_id,
                 count=len(body.contacts))
    await session.commit()
    return service.detail_of(senior, runtime.clock.now().date(), view=view_for(user.role))


@router.post("/{senior_id}/consents", response_model=ConsentOut,
             status_code=status.HTTP_201_CREATED)
async def post_consent(senior_id: RowId, body: ConsentIn, user: Editor, runtime: RuntimeDep,
                       session: SessionDep) -> ConsentOut:
    """Record a consent given or withdrawn; earlier records are kept."""
    try:
        consent = await service.add_consent(session, senior_id=senior_id, data=body,
                                            recorded_by=user.username, now=runtime.clock.now())
    except SeniorNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    await _audit(session, runtime, user, "senior.consent", senior_id,
                 purpose=body.purpose.value, granted=body.granted)
    await session.commit()
    return ConsentOut.model_validate(consent)


@router.delete("/{senior_id}", status_code=status.HTTP_204_NO_CONTENT)
async def archive(senior_id: RowId, user: Archiver, runtime: RuntimeDep,
                  session: SessionDep) -> None:
    """Archive a senior (moved away or deceased); the record and its history are kept."""
    try:
        archived = await service.archive_senior(session, senior_id=senior_id,
                                                now=runtime.clock.now())
    except SeniorNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    await _audit(session, runtime, user, "senior.archive", senior_id)
    await session.commit()
    runtime.bus.publish("senior.archived", {"id": senior_id, "summary": str(senior_id)},
                        roles=audience("senior.archived"), area=archived.area_code)
