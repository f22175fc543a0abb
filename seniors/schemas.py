"""Request and response bodies for seniors; validation happens here, at the edge."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from seniors.identity import birth_date_of, normalise_resident_id
from seniors.phones import normalise_phone

Name = Annotated[str, Field(min_length=1, max_length=64)]


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class SubsidyCategory(StrEnum):
    OLD_AGE_ALLOWANCE = "old_age_allowance"  # 高龄津贴
    DISABILITY = "disability"  # 残疾人两项补贴
    VETERANS = "veterans"  # 优抚对象
    LOW_INCOME = "low_income"  # 低保
    CARE_SUBSIDY = "care_subsidy"  # 失能护理补贴


class ConsentPurpose(StrEnum):
    DATA_PROCESSING = "data_processing"
    BIOMETRIC = "biometric"
    CALL_RECORDING = "call_recording"
    FAMILY_NOTIFICATION = "family_notification"
    DEVICE_MONITORING = "device_monitoring"


class ConsentMethod(StrEnum):
    SIGNED_FORM = "signed_form"
    VERBAL_ON_CALL = "verbal_on_call"
    IN_PERSON = "in_person"
    ONLINE = "online"


def _phones(values: list[str]) -> list[str]:
    normalised: list[str] = []
    for value in values:
        number = normalise_phone(value)
        if number not in normalised:
            normalised.append(number)
    return normalised


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    relation: Annotated[str, Field(min_length=1, max_length=32)]
    phones: Annotated[list[str], Field(min_length=1, max_length=5)]
    notes: Annotated[str, Field(max_length=2000)] = ""

    _normalise = field_validator("phones")(_phones)


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    name: str
    relation: str
    phones: list[str]
    notes: str


class SeniorBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    sex: Sex
    address: Annotated[str, Field(min_length=1, max_length=255)]
    district: Annotated[str, Field(min_length=1, max_length=64)]
    latitude: Annotated[float | None, Field(ge=-90, le=90)] = None
    longitude: Annotated[float | None, Field(ge=-180, le=180)] = None
    lives_alone: bool = False
    languages: list[Annotated[str, Field(min_length=1, max_length=32)]] = ["zh-CN"]
    medical_notes: Annotated[str, Field(max_length=4000)] = ""
    subsidy_categories: list[SubsidyCategory] = []


AreaCode = Annotated[str, Field(pattern=r"^\d{6}(\d{3}){0,2}$")]


class SeniorCreate(SeniorBase):
    resident_id: str
    # The GB/T 2260 area, when the district's name does not say it (areas/codes.py).
    area_code: AreaCode | None = None
    birth_date: date | None = None
    phones: Annotated[list[str], Field(max_length=5)] = []
    contacts: Annotated[list[ContactIn], Field(max_length=10)] = []

    _normalise = field_validator("phones")(_phones)

    @field_validator("resident_id")
    @classmethod
    def _valid_resident_id(cls, value: str) -> str:
        return normalise_resident_id(value)

    @model_validator(mode="after")
    def _birth_date_matches_id(self) -> SeniorCreate:
        from_id = birth_date_of(self.resident_id)
        if self.birth_date is None:
            self.birth_date = from_id
        elif self.birth_date != from_id:
            raise ValueError("birth_date does not match the birth date in resident_id")
        return self


class SeniorUpdate(BaseModel):
    """Fields to change; the resident ID is fixed once registered."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    sex: Sex | None = None
    address: Annotated[str | None, Field(min_length=1, max_length=255)] = None
    district: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    area_code: AreaCode | None = None
    latitude: Annotated[float | None, Field(ge=-90, le=90)] = None
    longitude: Annotated[float | None, Field(ge=-180, le=180)] = None
    lives_alone: bool | None = None
    languages: list[Annotated[str, Field(min_length=1, max_length=32)]] | None = None
    medical_notes: Annotated[str | None, Field(max_length=4000)] = None
    subsidy_categories: list[SubsidyCategory] | None = None
    phones: Annotated[list[str] | None, Field(max_length=5)] = None

    @field_validator("phones")
    @classmethod
    def _normalise(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _phones(values)


class ContactsReplace(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contacts: Annotated[list[ContactIn], Field(max_length=10)]


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: ConsentPurpose
    granted: bool
    given_by: Annotated[str, Field(min_length=1, max_length=64)] = "senior"
    method: ConsentMethod
    notes: Annotated[str, Field(max_length=2000)] = ""


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    purpose: str
    granted: bool
    given_by: str
    method: str
    recorded_by: str
    recorded_at: datetime
    notes: str


class SeniorSummary(BaseModel):
    """A row of a listing: the resident ID is masked."""

    id: int
    name: str
    resident_id_masked: str
    age: int
    sex: str
    district: str
    address: str
    phones: list[str]
    lives_alone: bool


class SeniorOut(BaseModel):
    """A senior's record as one role sees it: parts outside the role's ``view`` are null
    (seniors/views.py)."""

    id: int
    view: str
    name: str
    resident_id: str | None
    resident_id_masked: str
    birth_date: date | None
    age: int
    sex: str
    address: str
    district: str
    area_code: str | None
    latitude: float | None
    longitude: float | None
    lives_alone: bool
    languages: list[str]
    medical_notes: str | None
    subsidy_categories: list[str]
    phones: list[str]
    contacts: list[ContactOut]
    consents: list[ConsentOut] | None
    created_at: datetime
    updated_at: datetime


class SeniorPage(BaseModel):
    # At most 1000 counted; ``total_exact`` false means "more than ``total``".
    total: int
    total_exact: bool = True
    items: list[SeniorSummary]
    # Pass as ``after`` for the next page; None on the last page.
    next_after: int | None = None

