"""Request bodies for the call-centre API, parsed and checked at the edge."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from seniors.phones import normalise_phone


class SimulatedDial(BaseModel):
    """The phone page calls 12349 from this number (a senior's, or any other)."""

    model_config = ConfigDict(frozen=True)
    from_number: str = Field(min_length=3, max_length=32)


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


class CallbackDone(BaseModel):
    model_config = ConfigDict(frozen=True)
    outcome: str = Field(min_length=1, max_length=24)


def parse_number(value: str) -> str:
    """Accept any number the normaliser knows; other strings (like 'anonymous') pass as-is."""
    try:
        return normalise_phone(value)
    except ValueError:
        return value.strip()
