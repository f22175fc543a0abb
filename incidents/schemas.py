"""What the incident API reads and answers; inputs are frozen and refuse unknown fields."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from alarms.schemas import AlarmOut
from callcenter.schemas import CallOut
from devices.schemas import DeviceOut
from dispatch.catalogue import ServiceCode
from dispatch.schemas import OrderOut, Urgency
from incidents.kinds import Disposition
from seniors.schemas import SeniorOut
from storage.bounds import RowId

Text = Annotated[str, Field(min_length=1, max_length=2000)]


class Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class IncidentOpen(Input):
    senior_id: RowId
    note: Annotated[str, Field(max_length=2000)] = ""


class NoteIn(Input):
    text: Text


class ContactOutcome(StrEnum):
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    LEFT_MESSAGE = "left_message"


class ContactRecordIn(Input):
    """A contact reached some other way than a call placed from here (an SMS reply, a visit)."""

    position: Annotated[int, Field(ge=0)]
    outcome: ContactOutcome
    text: Annotated[str, Field(max_length=2000)] = ""


class CallContactIn(Input):
    position: Annotated[int, Field(ge=0)]


class ConferenceParty(StrEnum):
    CONTACT = "contact"
    EMERGENCY_SERVICES = "emergency_services"  # 120, or the number configured


class ConferenceIn(Input):
    """Dial someone into the operator's live call of this incident."""

    party: ConferenceParty
    position: Annotated[int | None, Field(ge=0)] = None
    call_id: RowId | None = None  # which live call; the latest connected one when left out


class OrderIn(Input):
    service: ServiceCode
    urgency: Urgency = Urgency.URGENT
    notes: Annotated[str, Field(max_length=2000)] = ""
    service_at: datetime | None = None


class ResolveIn(Input):
    disposition: Disposition
    summary: Text


class OwnerIn(Input):
    owner: Annotated[str, Field(min_length=1, max_length=64)]


class IncidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    senior_id: RowId
    senior_name: str = ""
    state: str
    owner: str
    owner_name: str = ""  # the owner's display name, for people; ``owner`` is the account
    # the most urgent linked alarm, so that a list shows what the incident is about
    priority: int | None = None
    alarm_kind: str | None = None
    opened_via: str
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    disposition: str | None
    summary: str


class TimelineItem(BaseModel):
    """One moment of the incident, whatever it came from (``source`` and ``ref_id`` say)."""

    at: datetime
    source: str  # incident | alarm | call | order | message
    ref_id: RowId | None
    what: str  # e.g. opened, note, alarm.raised, call.answered, order.accepted, closed
    actor: str | None
    actor_name: str | None = None  # the actor's display name when the actor is staff
    text: str = ""
    detail: dict[str, object] = {}


class ContactReached(BaseModel):
    position: int
    name: str
    relation: str
    number: str | None
    at: datetime
    outcome: str
    via: str  # call | recorded
    call_id: RowId | None = None


class IncidentDetail(IncidentOut):
    alarms: list[AlarmOut]
    calls: list[CallOut]
    orders: list[OrderOut]
    contacts_reached: list[ContactReached]
    timeline: list[TimelineItem]


class SeniorRecord(BaseModel):
    """What an operator needs on screen the moment a call or alarm of the senior is answered."""

    senior: SeniorOut
    devices: list[DeviceOut]
    recent_alarms: list[AlarmOut]
    recent_calls: list[CallOut]
    recent_orders: list[OrderOut]
    open_incident_id: RowId | None
