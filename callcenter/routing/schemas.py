"""Bodies of the routing routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class StateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["available", "break", "offline"]


class OperatorSetup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skills: Annotated[list[Annotated[str, Field(min_length=1, max_length=32)]],
                      Field(max_length=20)]
    languages: Annotated[list[Annotated[str, Field(min_length=1, max_length=16)]],
                         Field(min_length=1, max_length=10)]


class OperatorOut(BaseModel):
    username: str
    state: str
    skills: list[str]
    languages: list[str]
    idle_since: datetime | None
    misses: int
    wrap_until: datetime | None = None  # when wrap-up ends and offers resume


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
    reservation_expires: datetime | None
    assigned_to: str | None


class MyDesk(BaseModel):
    operator: OperatorOut | None
    offers: list[TaskOut]
    working_on: list[TaskOut]
