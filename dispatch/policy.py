"""Dispatch's reading of the settings, parsed once into a frozen policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from config.keys import Purpose, purpose_key
from config.settings import Settings
from dispatch.matching import Weights


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    offer_timeout: dict[str, timedelta]
    due_after: dict[str, timedelta]
    parallel_offers: int
    max_offers: int
    link_lifetime: timedelta
    timezone: ZoneInfo
    weights: Weights
    link_key: bytes
    webhook_secret_key: bytes  # seals each provider's webhook secret at rest
    public_base_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchPolicy:
        s = settings
        return cls(
            offer_timeout={
                "urgent": timedelta(seconds=s.dispatch_offer_timeout_urgent_s),
                "same_day": timedelta(seconds=s.dispatch_offer_timeout_same_day_s),
                "scheduled": timedelta(seconds=s.dispatch_offer_timeout_scheduled_s),
            },
            due_after={
                "urgent": timedelta(minutes=s.dispatch_due_minutes_urgent),
                "same_day": timedelta(minutes=s.dispatch_due_minutes_same_day),
                "scheduled": timedelta(minutes=s.dispatch_due_minutes_scheduled),
            },
            parallel_offers=s.dispatch_parallel_offers,
            max_offers=s.dispatch_max_offers,
            link_lifetime=timedelta(hours=s.dispatch_link_hours),
            timezone=ZoneInfo(s.dispatch_timezone),
            weights=Weights(
                travel=s.dispatch_weight_travel,
                load=s.dispatch_weight_load,
                idle=s.dispatch_weight_idle,
                rating=s.dispatch_weight_rating,
                slack=s.dispatch_weight_slack,
                familiarity=s.dispatch_weight_familiarity,
                reliability=s.dispatch_weight_reliability,
                speed_kmh=s.dispatch_speed_kmh,
            ),
            link_key=purpose_key(s, Purpose.PROVIDER_LINKS),
            webhook_secret_key=purpose_key(s, Purpose.WEBHOOK_SECRETS),
            public_base_url=(s.public_base_url or f"http://{s.http_host}:{s.http_port}").rstrip(
                "/"
            ),
        )
