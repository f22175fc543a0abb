"""Bodies of the routing routes."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from seniors.phones import normalise_phone

_SIP_URI = re.compile(r"^sips?:[^\s@:]+@[A-Za-z0-9.\-]+(:\d{1,5})?(;\S*)?$")
_CLIENT = re.compile(r"^client:[A-Za-z0-9_.\-]{1,64}$")


def parse_phone_endpoint(value: str) -> str:
    """A staff phone the network can dial: a SIP URI, a Twilio client, or a phone number."""
    text = value.strip()
    if _SIP_URI.match(text) or _CLIENT.match(text):
        return text
    try:
        return normalise_phone(text)
    except ValueError:
        raise ValueError(f"{value!r} is neither a phone number, a sip: URI "
                         "nor a client: identity") from None


class StateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["available", "break", "offline"]


class OperatorSetup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skills: Annotated[list[Annotated[str, Field(min_length=1, max_length=32)]],
                      Field(max_length=20)]
    languages: Annotated[list[Annotated[str, Field(min_length=1, max_length=16)]],
                         Field(min_length=1, max_length=10)]
    # Left out: unchanged. null: no phone (the operator answers in the browser only).
    phone_endpoint: str | None = Field(default=None, max_length=128)

    @field_validator("phone_endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return None if value is None else parse_phone_endpoint(value)


class OperatorOut(BaseModel):
    username: str
    display_name: str = ""  # for people; ``username`` is the account
    state: str
    skills: list[str]
    languages: list[str]
    idle_since: datetime | None
    misses: int
    wrap_until: datetime | None = None  # when wrap-up ends and offers resume
    phone_endpoint: str | None = None


class SubjectOut(BaseModel):
    """What the task is about, in words: who, what, where, since when."""

    kind: str
    senior_id: int | None
    senior_name: str | None
    what_zh: str
    what_en: str
    address: str | None
    district: str | None
    since: datetime
    priority: int


class TaskOut(BaseModel):
    id: int
    kind: str
    priority: int
    ref: str
    state: str
    created_at: datetime
    waited_seconds: float
    offered_to: list[str]
    reserved_to: str | None
    # The same people by display name, for pages to show.
    offered_to_names: list[str] = []
    reserved_to_name: str | None = None
    reservation_expires: datetime | None
    assigned_to: str | None
    subject: SubjectOut | None = None


class MyDesk(BaseModel):
    operator: OperatorOut | None
    offers: list[TaskOut]
    working_on: list[TaskOut]
