"""What the liveness API accepts and returns."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from liveness.decision import Outcome
from liveness.image_format import FRAME_LIMITS, PHOTO_LIMITS, ImageRefused, check_image
from storage.bounds import RowId

Channel = Literal["kiosk", "home", "home_visit"]
# The capture page sends 320×240 JPEGs at 12 fps for at most ~20 s (three actions after the
# baseline): about 240 frames of 10–30 kB each. Each frame's own caps: FRAME_LIMITS.
MAX_FRAMES = 300
MAX_PHOTOS = 5
# Request body limits of the upload routes (dashboard/body_limit.py): the largest valid upload
# (base64 costs 4/3, JSON and multipart framing a little) and no more.
FRAMES_BODY_LIMIT = MAX_FRAMES * (FRAME_LIMITS.max_bytes * 4 // 3 + 64) + 4096
ENROLMENT_BODY_LIMIT = MAX_PHOTOS * (PHOTO_LIMITS.max_bytes + 1024) + 4096


class SessionIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    senior_id: RowId
    channel: Channel = "kiosk"
    category: str | None = None


class StepOut(BaseModel):
    action: str
    prompt_zh: str
    prompt_en: str
    starts_at: float
    ends_at: float


class SessionOut(BaseModel):
    id: str
    nonce: str
    senior_id: RowId
    expires_at: datetime
    steps: list[StepOut]


class FrameIn(BaseModel):
    """One camera frame: seconds since the first frame and the JPEG (or PNG), base64-encoded."""

    model_config = ConfigDict(frozen=True)

    t: float = Field(ge=0)
    jpeg: bytes

    @field_validator("jpeg", mode="before")
    @classmethod
    def _decode(cls, value: object) -> bytes:
        if not isinstance(value, str):
            raise ValueError("a frame is a base64 JPEG string")
        try:
            data = base64.b64decode(value.split(",")[-1], validate=True)
        except binascii.Error as error:
            raise ValueError("a frame is not valid base64") from error
        try:
            check_image(data, FRAME_LIMITS)
        except ImageRefused as error:
            raise ValueError(f"a frame is refused: {error}") from None
        return data


class FramesIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    nonce: str
    frames: list[FrameIn] = Field(min_length=6, max_length=MAX_FRAMES)


class DecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    senior_id: RowId
    session_id: str | None
    overrides_id: RowId | None
    outcome: str
    reasons: list[str]
    scores: dict[str, float]
    thresholds: dict[str, float]
    versions: dict[str, str]
    channel: str
    category: str
    staff: str
    approved_by: str | None
    note: str
    decided_at: datetime
    record_hash: str


class ReviewIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    reason: str = Field(min_length=2, max_length=500)


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    decision_id: RowId
    outcome: str
    reason: str
    requested_by: str
    approved_by: str | None


class EnrolmentOut(BaseModel):
    senior_id: RowId
    templates: int
    photo_sha256: list[str]


class ChainOut(BaseModel):
    intact: bool
    first_broken_id: RowId | None


class RosterRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    senior_id: RowId
    name: str
    category: str
    certified_until: date | None
    standing: str
    under_review: bool
    held_since: date | None
    back_pay_due: bool
    consent: bool = False
    enrolled: bool = False


RosterFilter = Literal["all", "due_soon", "overdue", "held", "no_consent", "no_enrolment"]


class RosterPageOut(BaseModel):
    """One page of the roster under a filter, and how many rows each filter would show."""

    show: RosterFilter
    total: int
    counts: dict[str, int]
    items: list[RosterRowOut]


class LinkIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    senior_id: RowId
    channel: Channel = "home"


class LinkOut(BaseModel):
    url: str
    expires_at: datetime


class CaptureResultOut(BaseModel):
    """What the capture page shows: the verdict and why, nothing about templates."""

    decision_id: RowId
    outcome: str
    reasons: list[str]
    attempt: int = 1
    attempts: int = 1
    # After a failed check with tries left: the token of the next try's link.
    retry_token: str | None = None


class CaptureStatusOut(BaseModel):
    """Where a capture link stands before the camera opens (state: see liveness.capture)."""

    state: str
    attempt: int | None = None
    attempts: int
    expires_at: datetime | None = None
    retry_after: datetime | None = None


class CaptureRequestIn(BaseModel):
    """The senior asks for a phone call or a home visit instead of the camera."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["call", "home_visit"]


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    senior_id: RowId
    kind: str
    reason: str
    decision_id: RowId | None
    created_at: datetime
    done_at: datetime | None
    senior_name: str | None = None  # in the staff's task list
