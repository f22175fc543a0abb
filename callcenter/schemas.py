"""Request bodies for the call-centre API, parsed and checked at the edge."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from seniors.phones import normalise_phone
from storage.bounds import RowId


class SimulatedDial(BaseModel):
    """The phone page calls 12349 from this number (a senior's, or any other), on a
    centre's line (``to_number``) or the platform's hotline."""

    model_config = ConfigDict(frozen=True)
    from_number: str = Field(min_length=3, max_length=32)
    to_number: str | None = Field(default=None, min_length=3, max_length=32,
                                  pattern=r"^[0-9+\- ]+$")


class SimulatedInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    digits: str | None = Field(default=None, max_length=8, pattern=r"^[0-9*#]*$")
    speech: str | None = Field(default=None, max_length=200)


class SimulatedEvent(BaseModel):
    """What happened to a simulated call on the phone's side."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["ringing", "answered", "no_answer", "busy", "failed", "completed"]


class CampaignIn(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["wellbeing", "warning"]
    name: str = Field(min_length=1, max_length=128)
    district: str | None = Field(default=None, max_length=64)
    message: str = Field(default="", max_length=500)
    scheduled_at: datetime | None = None

    @field_validator("message")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class PartyIn(BaseModel):
    """Someone to dial into a live call: a contact, 120, a supervisor, an operator's phone."""

    model_config = ConfigDict(frozen=True)
    to: str = Field(min_length=3, max_length=64)
    purpose: str = Field(min_length=1, max_length=24)
    muted: bool = False
    senior_id: RowId | None = None
    contact_position: int | None = Field(default=None, ge=1)


class OutboundCallIn(BaseModel):
    """A call an operator places themselves; answered, the person is straight on with them."""

    model_config = ConfigDict(frozen=True)
    to: str = Field(min_length=3, max_length=64)
    purpose: str = Field(default="operator_call", min_length=1, max_length=24)
    senior_id: RowId | None = None
    contact_position: int | None = Field(default=None, ge=1)


class CallbackDone(BaseModel):
    model_config = ConfigDict(frozen=True)
    outcome: str = Field(min_length=1, max_length=24)


def parse_number(value: str) -> str:
    """Accept any number the normaliser knows; other strings (like 'anonymous') pass as-is."""
    try:
        return normalise_phone(value)
    except ValueError:
        return value.strip()


class IvrStepOut(BaseModel):
    """One step of a call's path: its code (``menu``, ``key:2``, ``answered``…), and for a step
    a person took, that person's display name (the account stays in ``ivr_path``)."""

    model_config = ConfigDict(frozen=True)
    code: str
    person: str | None = None


class CallOut(BaseModel):
    """One call leg as the dashboard and the live feed show it. The names (``operator_name``,
    ``requested_by_name``, people in ``ivr_steps``) are filled where the API looks them up;
    the live feed leaves them empty and pages read the call again."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    direction: str
    purpose: str
    from_number: str = Field(serialization_alias="from")
    to_number: str = Field(serialization_alias="to")
    senior_id: RowId | None
    status: str
    queue: str | None
    priority: int
    operator: str | None
    reserved_for: str | None
    ivr_path: list[str]
    offered_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    case_id: RowId | None
    campaign_id: RowId | None
    conference: str | None = None
    parent_call_id: RowId | None = None
    requested_by: str | None = None
    for_centre_id: int | None = None
    handled_by_centre_id: int | None = None
    handled_for: dict[str, str] | None = None  # a parent centre answered for a station
    operator_name: str | None = None
    requested_by_name: str | None = None
    ivr_steps: list[IvrStepOut] = Field(default_factory=list)


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    to_number: str = Field(serialization_alias="to")
    contact_position: int | None
    status: str
    outcome: str | None
    contact_name: str | None = None  # the emergency contact at that position, for the pages


class TextOut(BaseModel):
    """A notice to the family, as the message port holds it (sms or wechat; pending, sent,
    delivered or failed)."""

    to_number: str = Field(serialization_alias="to")
    reason: str
    body: str
    channel: str = "sms"
    state: str = "pending"


class CaseOut(BaseModel):
    """An outbound case with every attempt and text message, in order."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    state: str
    senior_id: RowId | None
    alarm_id: RowId | None
    number: str
    outcome: str | None
    attempts: list[AttemptOut]
    texts: list[TextOut]
    senior_name: str | None = None
    created_at: datetime | None = None


class CampaignOut(BaseModel):
    id: int
    kind: str
    name: str
    district: str | None
    message: str
    scheduled_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    results: dict[str, int]
    calls: list[CallOut]


class PhoneAnswer(BaseModel):
    """What the simulated phone shows after an action: the call and what it hears next."""

    call: CallOut
    actions: list[dict[str, Any]]


class CaseClosed(BaseModel):
    id: int
    state: str
    outcome: str | None


class PhoneNumber(BaseModel):
    number: str
    senior_id: RowId


class MonitorOut(BaseModel):
    """How the supervisor follows the call: their muted phone leg, or a live view."""

    mode: Literal["listening", "watching"]
    call: CallOut
    leg: CallOut | None
