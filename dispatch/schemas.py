"""Pydantic models at the HTTP edge: what comes in is checked here, once."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from dispatch.catalogue import ServiceCode
from storage.bounds import RowId

SUBSIDY_CATEGORIES = ("old_age_allowance", "disability", "veterans", "low_income", "care_subsidy")


class Urgency(StrEnum):
    URGENT = "urgent"
    SAME_DAY = "same_day"
    SCHEDULED = "scheduled"


class OrderSource(StrEnum):
    OPERATOR = "operator"
    GREEN_KEY = "green_key"
    ALARM = "alarm"
    SCHEDULE = "schedule"


class Channel(StrEnum):
    SMS = "sms"
    WEBHOOK = "webhook"
    PAGE = "page"


class ProviderKind(StrEnum):
    FIRM = "firm"
    WORKER = "worker"


class ProviderStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class ProviderAction(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    EN_ROUTE = "en_route"
    ARRIVE = "arrive"
    COMPLETE = "complete"
    COULD_NOT_COMPLETE = "could_not_complete"
    ABORT = "abort"


Minute = Annotated[int, Field(ge=0, le=24 * 60)]


class ProviderCreate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ProviderKind = ProviderKind.WORKER
    firm_id: RowId | None = None
    name: Annotated[str, Field(min_length=1, max_length=64)]
    phone: Annotated[str, Field(max_length=20)] = ""
    services: Annotated[list[ServiceCode], Field(min_length=1)]
    certifications: list[Annotated[str, Field(max_length=32)]] = []
    districts: list[str] = []
    area_latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    area_longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    area_radius_km: Annotated[float, Field(gt=0, le=500)] | None = None
    work_start_minute: Minute = 8 * 60
    work_end_minute: Minute = 18 * 60
    capacity: Annotated[int, Field(ge=1, le=100)] = 1
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    channel: Channel = Channel.PAGE
    webhook_url: HttpUrl | None = None

    @model_validator(mode="after")
    def _area_and_channel(self) -> ProviderCreate:
        radius = (self.area_latitude, self.area_longitude, self.area_radius_km)
        if not self.districts and None in radius:
            raise ValueError(
                "give a service area: districts, or area_latitude, "
                "area_longitude and area_radius_km"
            )
        if self.channel == Channel.WEBHOOK and self.webhook_url is None:
            raise ValueError("channel 'webhook' needs a webhook_url")
        if self.channel == Channel.SMS and not self.phone:
            raise ValueError("channel 'sms' needs a phone number")
        return self


class ProviderStatusIn(BaseModel):
    status: ProviderStatus


class ProviderUpdate(BaseModel):
    """A dispatcher's edit: only the fields given change; null clears an optional field.

    The provider as edited must still pass the checks of ``ProviderCreate`` (a service area, a
    webhook URL for the webhook channel, a phone for SMS). ``status`` suspends or reactivates;
    on a firm it applies to the firm's workers too.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    phone: Annotated[str, Field(max_length=20)] | None = None
    services: Annotated[list[ServiceCode], Field(min_length=1)] | None = None
    certifications: list[Annotated[str, Field(max_length=32)]] | None = None
    districts: list[str] | None = None
    area_latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    area_longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    area_radius_km: Annotated[float, Field(gt=0, le=500)] | None = None
    work_start_minute: Minute | None = None
    work_end_minute: Minute | None = None
    capacity: Annotated[int, Field(ge=1, le=100)] | None = None
    channel: Channel | None = None
    webhook_url: HttpUrl | None = None
    status: ProviderStatus | None = None

    @model_validator(mode="after")
    def _something(self) -> ProviderUpdate:
        if not self.model_fields_set:
            raise ValueError("nothing to change: give at least one field")
        for name in sorted(self.model_fields_set - CLEARABLE):
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be cleared")
        return self


# Fields of a provider that may be set to null by an edit.
CLEARABLE = frozenset({"area_latitude", "area_longitude", "area_radius_km", "webhook_url"})


class ProviderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    firm_id: RowId | None
    name: str
    phone: str
    services: list[str]
    certifications: list[str]
    districts: list[str]
    area_latitude: float | None
    area_longitude: float | None
    area_radius_km: float | None
    work_start_minute: int
    work_end_minute: int
    capacity: int
    active_jobs: int
    status: str
    channel: str
    webhook_url: str | None
    webhook_secret_set: bool
    latitude: float | None
    longitude: float | None


class WebhookSecretOut(BaseModel):
    """A provider's new webhook secret: shown this once, stored only sealed."""

    provider_id: int
    webhook_secret: str


class ProviderCreated(ProviderOut):
    """A new provider and its webhook secret, shown this once."""

    webhook_secret: str


class OrderCreate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    senior_id: RowId
    service: ServiceCode
    urgency: Urgency = Urgency.SAME_DAY
    source: OrderSource = OrderSource.OPERATOR
    source_ref: Annotated[str, Field(max_length=64)] = ""
    service_at: datetime | None = None
    due_by: datetime | None = None
    notes: Annotated[str, Field(max_length=2000)] = ""
    # Scheduled visits may wait for the next batch assignment instead of matching now.
    batch: bool = False


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    senior_id: RowId
    service: str
    urgency: str
    source: str
    source_ref: str
    state: str
    district: str
    service_at: datetime
    due_by: datetime
    provider_id: RowId | None
    offers_made: int
    escalation_reason: str
    escalation_code: str
    price_fen: int
    subsidised_fen: int
    senior_pays_fen: int
    subsidy_category: str | None
    rating: int | None
    notes: str
    completion_note: str
    late_alerted_at: datetime | None
    created_at: datetime


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_state: str
    to_state: str
    event: str
    actor: str
    reason: str
    at: datetime


class OfferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: RowId
    provider_id: RowId
    round: int
    state: str
    score: float
    offered_at: datetime
    expires_at: datetime


class ProviderActionIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action: ProviderAction
    offer_token: Annotated[str, Field(max_length=32)] = ""
    note: Annotated[str, Field(max_length=2000)] = ""
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None


class ReasonIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=500)]


class ReassignIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    provider_id: RowId
    reason: Annotated[str, Field(min_length=1, max_length=500)] = "reassigned by dispatcher"


class RatingIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stars: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, Field(max_length=1000)] = ""


class ComplaintIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: Annotated[str, Field(min_length=1, max_length=2000)]


class BatchIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    order_ids: Annotated[list[RowId], Field(min_length=1, max_length=5000)]


class BlockIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    senior_id: RowId
    reason: Annotated[str, Field(max_length=500)] = ""


class ProviderKpis(BaseModel):
    provider_id: RowId
    offers_received: int
    acceptance_rate: float | None
    mean_seconds_to_accept: float | None
    on_time_arrival_rate: float | None
    completion_rate: float | None
    rating: float | None
    complaints: int


class ProviderDetail(ProviderOut):
    kpis: ProviderKpis
    workers: list[ProviderOut]


Weekday = Annotated[int, Field(ge=0, le=6)]


class ScheduleCreate(BaseModel):
    """A recurring visit: the service, on which weekdays (0 = Monday), at what local time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    senior_id: RowId
    service: ServiceCode
    weekdays: Annotated[list[Weekday], Field(min_length=1, max_length=7)]
    at: time
    notes: Annotated[str, Field(max_length=2000)] = ""
    starts_on: date | None = None  # local dates, both included
    ends_on: date | None = None
    skip_dates: Annotated[list[date], Field(max_length=366)] = []  # holidays, a hospital stay

    @model_validator(mode="after")
    def _distinct_days(self) -> ScheduleCreate:
        if len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError("weekdays lists a day twice")
        check_schedule_dates(self.starts_on, self.ends_on)
        return self


def check_schedule_dates(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise ValueError(f"ends_on {ends_on} is before starts_on {starts_on}")


class ScheduleUpdate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    weekdays: Annotated[list[Weekday], Field(min_length=1, max_length=7)] | None = None
    at: time | None = None
    notes: Annotated[str, Field(max_length=2000)] | None = None
    active: bool | None = None
    # Sent as null, starts_on/ends_on make the schedule open-ended again.
    starts_on: date | None = None
    ends_on: date | None = None
    skip_dates: Annotated[list[date], Field(max_length=366)] | None = None


class ScheduleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    senior_id: RowId
    service: str
    weekdays: list[int]
    local_minute: int
    starts_on: date | None
    ends_on: date | None
    skip_dates: list[date]
    notes: str
    active: bool
    created_by: str
    created_at: datetime
