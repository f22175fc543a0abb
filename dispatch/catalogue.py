"""The service catalogue as data: what the centre can send, how long it takes, who pays.

Prices are in fen (1/100 yuan) so that sums stay exact. A senior's subsidy categories
(``seniors.subsidy_categories``) each cover a share of some services; the most generous
applicable category wins and the senior pays the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ServiceCode(StrEnum):
    MEALS = "meals"
    CLEANING = "cleaning"
    BATHING = "bathing"
    ESCORT = "escort"
    REPAIRS = "repairs"
    NURSING = "nursing"
    MEDICAL_VISIT = "medical_visit"
    COMPANIONSHIP = "companionship"
    EMERGENCY_RESPONDER = "emergency_responder"


@dataclass(frozen=True, slots=True)
class ServiceType:
    code: ServiceCode
    name_zh: str
    name_en: str
    duration_minutes: int
    price_fen: int
    # A provider must hold this certification to be offered the service.
    certification: str | None = None


CATALOGUE: dict[ServiceCode, ServiceType] = {
    s.code: s
    for s in (
        ServiceType(ServiceCode.MEALS, "助餐送餐", "Meal delivery", 30, 1_500),
        ServiceType(ServiceCode.CLEANING, "助洁保洁", "Cleaning", 120, 8_000),
        ServiceType(ServiceCode.BATHING, "助浴", "Bathing", 60, 6_000, "care_worker"),
        ServiceType(ServiceCode.ESCORT, "陪同就医出行", "Escort", 180, 9_000),
        ServiceType(ServiceCode.REPAIRS, "居家维修", "Home repairs", 90, 5_000, "electrician"),
        ServiceType(ServiceCode.NURSING, "上门护理", "Home nursing", 60, 12_000, "nurse"),
        ServiceType(ServiceCode.MEDICAL_VISIT, "医生上门", "Doctor's visit", 45, 15_000, "doctor"),
        ServiceType(ServiceCode.COMPANIONSHIP, "精神慰藉陪伴", "Companionship", 120, 4_000),
        ServiceType(
            ServiceCode.EMERGENCY_RESPONDER,
            "紧急上门响应",
            "Emergency responder",
            30,
            0,
            "first_aid",
        ),
    )
}

# Share of the price each subsidy category pays, per service (absent: pays nothing).
SUBSIDY_COVERAGE: dict[str, dict[ServiceCode, float]] = {
    "old_age_allowance": {ServiceCode.MEALS: 0.3, ServiceCode.CLEANING: 0.2},
    "disability": {
        ServiceCode.BATHING: 0.8,
        ServiceCode.NURSING: 0.6,
        ServiceCode.ESCORT: 0.5,
        ServiceCode.CLEANING: 0.5,
    },
    "veterans": dict.fromkeys(ServiceCode, 1.0),
    "low_income": {
        ServiceCode.MEALS: 0.8,
        ServiceCode.CLEANING: 0.8,
        ServiceCode.REPAIRS: 0.8,
        ServiceCode.BATHING: 0.5,
    },
    "care_subsidy": {
        ServiceCode.NURSING: 0.8,
        ServiceCode.BATHING: 0.8,
        ServiceCode.COMPANIONSHIP: 1.0,
        ServiceCode.MEDICAL_VISIT: 0.5,
    },
}


@dataclass(frozen=True, slots=True)
class PriceQuote:
    price_fen: int
    subsidised_fen: int
    senior_pays_fen: int
    subsidy_category: str | None


def quote(service: ServiceCode, subsidy_categories: list[str]) -> PriceQuote:
    """What the service costs, what the best applicable subsidy pays, and what is left."""
    price = CATALOGUE[service].price_fen
    best_category, best_share = None, 0.0
    for category in subsidy_categories:
        share = SUBSIDY_COVERAGE.get(category, {}).get(service, 0.0)
        if share > best_share:
            best_category, best_share = category, share
    subsidised = round(price * best_share)
    return PriceQuote(price, subsidised, price - subsidised, best_category)
