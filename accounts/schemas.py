"""Request and response bodies of the accounts routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from accounts.roles import Role


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: StaffOut


class StaffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    locked: bool = False  # some client address is locked out after failed log-ins
    centres: list[MembershipOut] = []  # where they work and their role in each


class MembershipOut(BaseModel):
    """A centre a staff member works for, in words, with their role there."""

    model_config = ConfigDict(from_attributes=True)

    centre_slug: str
    name_zh: str
    name_en: str
    role: Role


class MembershipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    centre: Annotated[str, Field(min_length=1, max_length=32, description="the centre's slug")]
    role: Role


class MembershipsIn(BaseModel):
    """Every centre the account works for, its own first (their area, the role shown)."""

    model_config = ConfigDict(extra="forbid")

    centres: Annotated[list[MembershipIn], Field(min_length=1, max_length=50)]


class CentreOut(BaseModel):
    """A centre, in words, for choosing where staff work."""

    model_config = ConfigDict(from_attributes=True)

    slug: str
    name_zh: str
    name_en: str


class StaffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.-]{2,63}$")]
    display_name: Annotated[str, Field(min_length=1, max_length=128)]
    role: Role
    password: Annotated[str, Field(min_length=10, max_length=256)]


class StaffUpdate(BaseModel):
    """A new display name or role; left out: unchanged."""

    model_config = ConfigDict(extra="forbid")

    display_name: Annotated[str | None, Field(min_length=1, max_length=128)] = None
    role: Role | None = None


class SessionsEnded(BaseModel):
    sessions_ended: int


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str | None
    detail: dict[str, object]
    subject_name: str | None = None  # e.g. the senior's name, where the domain names it
    actor_name: str | None = None  # the actor's display name; ``actor`` is the account


LoginResponse.model_rebuild()
