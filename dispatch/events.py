"""What dispatch publishes, collected during a transaction and sent after it commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accounts.audiences import audience
from dispatch.notify import OfferNotice

ORDER_CHANGED = "order.changed"
DISPATCH_ALERT = "dispatch.alert"


@dataclass(frozen=True, slots=True)
class Publication:
    topic: str
    data: dict[str, Any]
    roles: frozenset[str]


@dataclass
class Outbox:
    """Bus events and provider notices that must wait for the commit."""

    publications: list[Publication] = field(default_factory=list)
    offers: list[OfferNotice] = field(default_factory=list)
    # Providers whose rows this transaction changed: the candidate index reloads them.
    providers: set[int] = field(default_factory=set)

    def provider_changed(self, provider_id: int) -> None:
        self.providers.add(provider_id)

    def order_changed(self, data: dict[str, Any]) -> None:
        self.publications.append(Publication(ORDER_CHANGED, data, audience(ORDER_CHANGED)))

    def alert(self, data: dict[str, Any]) -> None:
        self.publications.append(Publication(DISPATCH_ALERT, data, audience(DISPATCH_ALERT)))
