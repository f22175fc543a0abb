"""Seniors registry: register, find, change, contacts, consent, caller-ID lookup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from seniors import areas
from seniors.exceptions import DuplicateResidentIdError, SeniorNotFoundError
from seniors.identity import mask_resident_id
from seniors.models import (
    Consent,
    EmergencyContact,
    Senior,
    SeniorNameGram,
    SeniorPhone,
    reversed_digits,
)
from seniors.phones import try_normalise_phone
from seniors.schemas import (
    ConsentIn,
    ConsentOut,
    ContactIn,
    ContactOut,
    SeniorCreate,
    SeniorOut,
    SeniorSummary,
    SeniorUpdate,
)
from seniors.views import RecordView


def age_on(birth_date: date, today: date) -> int:
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)


async def create_senior(session: AsyncSession, *, data: SeniorCreate, now: datetime) -> Senior:
    assert data.birth_date is not None  # filled from the resident ID by the schema
    area_code = await areas.area_for(session, district=data.district,
                                     resident_id=data.resident_id, chosen=data.area_code)
    senior = Senior(
        **data.model_dump(exclude={"phones", "contacts", "birth_date", "resident_id",
                                   "area_code"}),
        area_code=area_code,
        resident_id=data.resident_id,
        birth_date=data.birth_date,
        created_at=now,
        updated_at=now,
    )
    senior.phones = _phone_rows(data.phones)
    senior.contacts = _contact_rows(data.contacts)
    senior.consents = []
    session.add(senior)
    try:
        await session.flush()
    except IntegrityError as error:
        raise DuplicateResidentIdError("a senior with this resident_id is already registered") \
            from error
    return senior


def _phone_rows(numbers: Sequence[str]) -> list[SeniorPhone]:
    return [SeniorPhone(number=number, position=i) for i, number in enumerate(numbers)]


def _contact_rows(contacts: Sequence[ContactIn]) -> list[EmergencyContact]:
    return [
        EmergencyContact(position=i, name=c.name, relation=c.relation, phones=c.phones,
                         notes=c.notes)
        for i, c in enumerate(contacts)
    ]


async def names_of(session: AsyncSession, senior_ids: Iterable[int]) -> dict[int, str]:
    """The names of these seniors (archived ones too), for lists that show a senior by name."""
    ids = set(senior_ids)
    if not ids:
        return {}
    rows = await session.execute(select(Senior.id, Senior.name).where(Senior.id.in_(ids)))
    return {row.id: row.name for row in rows}


@dataclass(frozen=True, slots=True)
class ContactView:
    """An emergency contact as other domains name and dial them: position in the cascade,
    name, relation, numbers (the first is the one to call)."""

    id: int
    senior_id: int
    position: int
    name: str
    relation: str
    phones: tuple[str, ...]


def _contact_view(contact: EmergencyContact) -> ContactView:
    return ContactView(id=contact.id, senior_id=contact.senior_id, position=contact.position,
                       name=contact.name, relation=contact.relation,
                       phones=tuple(contact.phones))


async def contacts_of(session: AsyncSession, *, senior_id: int) -> list[ContactView]:
    """The senior's emergency contacts in cascade order."""
    contacts = await session.scalars(select(EmergencyContact).where(
        EmergencyContact.senior_id == senior_id).order_by(EmergencyContact.position))
    return [_contact_view(contact) for contact in contacts]


async def get_contact(session: AsyncSession, *, contact_id: int) -> ContactView | None:
    """One emergency contact, or None when there is no such contact."""
    contact = await session.get(EmergencyContact, contact_id)
    return _contact_view(contact) if contact else None


@dataclass(frozen=True, slots=True)
class SeniorReach:
    """How the call centre reaches a senior: their numbers in order, then their contacts in
    cascade order."""

    id: int
    name: str
    phones: tuple[str, ...]
    contacts: tuple[ContactView, ...]


def _reach(senior: Senior) -> SeniorReach:
    return SeniorReach(id=senior.id, name=senior.name,
                       phones=tuple(phone.number for phone in senior.phones),
                       contacts=tuple(_contact_view(contact) for contact in senior.contacts))


async def reach_of(session: AsyncSession, *, senior_id: int) -> SeniorReach | None:
    """How to reach this senior (archived ones too: a case outlives the record), or None."""
    senior = await session.get(Senior, senior_id)
    return _reach(senior) if senior else None


async def reach_of_active(session: AsyncSession, *, lives_alone_only: bool,
                          district: str | None) -> list[SeniorReach]:
    """How to reach every active senior (those living alone only, of one district if given),
    by id: the recipients a campaign picks from."""
    query = select(Senior).where(Senior.archived_at.is_(None))
    if lives_alone_only:
        query = query.where(Senior.lives_alone.is_(True))
    if district:
        query = query.where(Senior.district == district)
    result = await session.execute(query.order_by(Senior.id))
    return [_reach(senior) for senior in result.scalars().all()]


@dataclass(frozen=True, slots=True)
class SeniorPlace:
    """Who a senior is and where they live, as a work queue names them."""

    id: int
    name: str
    address: str
    district: str
    area_code: str | None


async def places_of(session: AsyncSession, *, senior_ids: Iterable[int]) -> dict[int, SeniorPlace]:
    """Name and address of these seniors (archived ones too), by id, in one query."""
    ids = set(senior_ids)
    if not ids:
        return {}
    rows = await session.execute(select(
        Senior.id, Senior.name, Senior.address, Senior.district, Senior.area_code)
        .where(Senior.id.in_(ids)))
    return {row.id: SeniorPlace(*row) for row in rows}


@dataclass(frozen=True, slots=True)
class SeniorSketch:
    """A senior as the demo seeds and the simulators pick them: home and subsidies."""

    id: int
    latitude: float | None
    longitude: float | None
    subsidy_categories: tuple[str, ...]

    @property
    def home(self) -> tuple[float, float] | None:
        """Where they live, when both coordinates are known."""
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)


async def first_seniors(session: AsyncSession, *, limit: int | None = None,
                        include_archived: bool = False) -> list[SeniorSketch]:
    """The first registered seniors by id (active ones unless archived are asked for)."""
    query = select(Senior.id, Senior.latitude, Senior.longitude, Senior.subsidy_categories)
    if not include_archived:
        query = query.where(Senior.archived_at.is_(None))
    rows = await session.execute(query.order_by(Senior.id).limit(limit))
    return [SeniorSketch(row.id, row.latitude, row.longitude, tuple(row.subsidy_categories))
            for row in rows]


async def sample_numbers(session: AsyncSession, *, limit: int) -> list[tuple[int, str]]:
    """(senior id, number) of the first registered phones by senior: caller IDs to try."""
    rows = await session.execute(select(SeniorPhone.senior_id, SeniorPhone.number)
                                 .order_by(SeniorPhone.senior_id).limit(limit))
    return [(row.senior_id, row.number) for row in rows]


@dataclass(frozen=True, slots=True)
class SubsidisedSenior:
    """An active senior with the subsidy categories whose certification is tracked."""

    id: int
    name: str
    subsidy_categories: tuple[str, ...]


async def subsidised(session: AsyncSession, *, district: str | None) -> list[SubsidisedSenior]:
    """Every active senior (of one district if given) with their subsidy categories, by id.

    Only these columns: a whole Senior loads phones, contacts and consents too.
    """
    query = select(Senior.id, Senior.name, Senior.subsidy_categories).where(
        Senior.archived_at.is_(None))
    if district is not None:
        query = query.where(Senior.district == district)
    rows = await session.execute(query.order_by(Senior.id))
    return [SubsidisedSenior(row.id, row.name, tuple(row.subsidy_categories)) for row in rows]


def ids_in_district(district: str) -> Select[int]:
    """The ids of the district's seniors, as a subquery another domain narrows its rows by."""
    return select(Senior.id).where(Senior.district == district)


async def get_senior(session: AsyncSession, senior_id: int) -> Senior:
    senior = await session.get(Senior, senior_id)
    if senior is None or senior.archived_at is not None:
        raise SeniorNotFoundError(senior_id)
    return senior


@dataclass(frozen=True, slots=True)
class SeniorSearch:
    """One page of a search: ``total`` counts at most ``COUNT_CAP`` matches (``exact`` says
    whether it stopped there); ``next_after`` is the last senior shown when more follow."""

    total: int
    exact: bool
    seniors: Sequence[Senior]
    next_after: int | None


# Counting every match of a broad search over half a million seniors costs more than the
# page itself; beyond this the page says "more than".
COUNT_CAP = 1000


async def search_seniors(
    session: AsyncSession,
    *,
    name: str | None = None,
    phone: str | None = None,
    district: str | None = None,
    resident_id: str | None = None,
    after: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> SeniorSearch:
    """Active seniors matching every given filter, by name then id, a page at a time.

    ``after`` (the last senior of the previous page) pages by key: the query starts at that
    name and id in the (district,) name, id index instead of counting past ``offset`` rows.
    A part of a name is looked up by its first one or two characters in the name pieces
    (``SeniorNameGram``), whose index holds each piece's seniors in (name, id) order.
    """
    query = select(Senior).where(Senior.archived_at.is_(None))
    order: tuple[Any, Any] = (Senior.name, Senior.id)
    if name and name.strip():
        wanted = name.strip().lower()
        query = query.join(SeniorNameGram, SeniorNameGram.senior_id == Senior.id).where(
            SeniorNameGram.gram == wanted[:2])
        if len(wanted) > 2:
            query = query.where(func.lower(Senior.name).contains(wanted, autoescape=True))
        order = (SeniorNameGram.name, SeniorNameGram.senior_id)
    if district:
        query = query.where(Senior.district == district.strip())
    if resident_id:
        query = query.where(Senior.resident_id == resident_id.strip().upper())
    if phone:
        # Looked up once, not once for the count and again for the page.
        matched = (await session.scalars(_phone_match(phone).limit(COUNT_CAP + 1))).all()
        query = query.where(Senior.id.in_(matched))
    counted = query.with_only_columns(Senior.id).limit(COUNT_CAP + 1)
    total = (await session.execute(select(func.count()).select_from(counted.subquery()))
             ).scalar_one()
    if after is not None:
        query = query.where(tuple_(*order) > tuple_(
            select(Senior.name).where(Senior.id == after).scalar_subquery(), after))
    else:
        query = query.offset(offset)
    rows = (await session.execute(query.order_by(*order).limit(limit + 1))).scalars().all()
    more = len(rows) > limit
    return SeniorSearch(total=min(total, COUNT_CAP), exact=total <= COUNT_CAP,
                        seniors=rows[:limit], next_after=rows[limit - 1].id if more else None)


def _phone_match(phone: str) -> Select[int]:
    """Seniors whose number equals the normalised input, or ends with the digits typed (a
    prefix of the reversed digits, which their index serves: a suffix match read them all)."""
    normalised = try_normalise_phone(phone)
    digits = "".join(ch for ch in phone if ch.isdigit())
    conditions = []
    if normalised:
        conditions.append(SeniorPhone.number == normalised)
    if len(digits) >= 4:
        tail = reversed_digits(digits)
        # Digits sort before letters in every collation: [tail, tail + "a") is the prefix.
        conditions.append((SeniorPhone.digits_reversed >= tail)
                          & (SeniorPhone.digits_reversed < tail + "a"))
    if not conditions:
        conditions.append(SeniorPhone.number == phone)
    return select(SeniorPhone.senior_id).where(or_(*conditions))


async def is_known_number(session: AsyncSession, number: str) -> bool:
    """Whether an active senior or one of their emergency contacts has this (E.164) number."""
    if await session.scalar(select(SeniorPhone.id).join(Senior).where(
            SeniorPhone.number == number, Senior.archived_at.is_(None)).limit(1)):
        return True
    # Contacts keep their numbers as a JSON list: narrow by text, then compare exactly.
    rows = await session.scalars(select(EmergencyContact.phones).join(Senior).where(
        cast(EmergencyContact.phones, String).contains(number), Senior.archived_at.is_(None)))
    return any(number in phones for phones in rows)


async def find_by_phone(session: AsyncSession, caller_id: str) -> Sequence[Senior]:
    """Seniors registered with this caller ID (a shared landline may give several)."""
    number = try_normalise_phone(caller_id)
    if number is None:
        return []
    result = await session.execute(
        select(Senior)
        .join(SeniorPhone, SeniorPhone.senior_id == Senior.id)
        .where(SeniorPhone.number == number, Senior.archived_at.is_(None))
        .order_by(Senior.id)
    )
    return result.scalars().unique().all()


async def update_senior(
    session: AsyncSession, *, senior_id: int, data: SeniorUpdate, now: datetime
) -> tuple[Senior, list[str]]:
    """Apply the given fields; returns the senior and the names of the fields changed. A new
    district (or area) gives the senior its area: ``senior.area_code`` then differs from the
    area before, which the caller moves their open work with (seniors/areas.py)."""
    senior = await get_senior(session, senior_id)
    changes = data.model_dump(exclude_unset=True)
    phones = changes.pop("phones", None)
    chosen = changes.pop("area_code", None)
    if chosen is not None or "district" in changes:
        senior.area_code = await areas.area_for(
            session, district=changes.get("district", senior.district),
            resident_id=senior.resident_id, chosen=chosen)
    for field, value in changes.items():
        setattr(senior, field, value)
    if phones is not None:
        senior.phones = _phone_rows(phones)
    senior.updated_at = now
    await session.flush()
    return senior, sorted(data.model_fields_set)


async def replace_contacts(
    session: AsyncSession, *, senior_id: int, contacts: Sequence[ContactIn], now: datetime
) -> Senior:
    senior = await get_senior(session, senior_id)
    senior.contacts = _contact_rows(contacts)
    senior.updated_at = now
    await session.flush()
    return senior


async def add_consent(
    session: AsyncSession, *, senior_id: int, data: ConsentIn, recorded_by: str, now: datetime
) -> Consent:
    senior = await get_senior(session, senior_id)
    consent = Consent(**data.model_dump(), recorded_by=recorded_by, recorded_at=now)
    senior.consents.append(consent)
    await session.flush()
    return consent


async def consenting(session: AsyncSession, *, purpose: str) -> set[int]:
    """The seniors whose newest consent record for ``purpose`` grants it."""
    rows = await session.execute(
        select(Consent.senior_id, Consent.granted).where(Consent.purpose == purpose)
        .order_by(Consent.senior_id, Consent.recorded_at, Consent.id))
    newest = {row.senior_id: row.granted for row in rows}
    return {senior_id for senior_id, granted in newest.items() if granted}


async def has_consent(session: AsyncSession, *, senior_id: int, purpose: str) -> bool:
    """Whether the newest consent record for ``purpose`` grants it."""
    result = await session.execute(
        select(Consent.granted)
        .where(Consent.senior_id == senior_id, Consent.purpose == purpose)
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(1)
    )
    return bool(result.scalar_one_or_none())


async def archive_senior(session: AsyncSession, *, senior_id: int, now: datetime) -> Senior:
    senior = await get_senior(session, senior_id)
    senior.archived_at = now
    await session.flush()
    return senior


def summary_of(senior: Senior, today: date) -> SeniorSummary:
    return SeniorSummary(
        id=senior.id, name=senior.name, resident_id_masked=mask_resident_id(senior.resident_id),
        age=age_on(senior.birth_date, today), sex=senior.sex, district=senior.district,
        address=senior.address, phones=[p.number for p in senior.phones],
        lives_alone=senior.lives_alone,
    )


def detail_of(senior: Senior, today: date, *, view: RecordView) -> SeniorOut:
    """The record as ``view`` shows it; withheld parts are None."""
    return SeniorOut(
        id=senior.id, view=view.name, name=senior.name,
        resident_id=senior.resident_id if view.resident_id else None,
        resident_id_masked=mask_resident_id(senior.resident_id),
        birth_date=senior.birth_date if view.resident_id else None,
        age=age_on(senior.birth_date, today), sex=senior.sex, address=senior.address,
        district=senior.district, area_code=senior.area_code, latitude=senior.latitude,
        longitude=senior.longitude, lives_alone=senior.lives_alone,
        languages=list(senior.languages),
        medical_notes=senior.medical_notes if view.medical_notes else None,
        subsidy_categories=list(senior.subsidy_categories),
        phones=[p.number for p in senior.phones],
        contacts=[ContactOut.model_validate(c) for c in senior.contacts],
        consents=[ConsentOut.model_validate(c) for c in senior.consents]
        if view.consents else None,
        created_at=senior.created_at, updated_at=senior.updated_at,
    )
