"""The order lifecycle as a transition table: (state, event) → next state.

Anything not in the table is refused, so adding a step is a data change here and nowhere else.
"""

from __future__ import annotations

from enum import StrEnum

from dispatch.exceptions import InvalidTransition


class OrderState(StrEnum):
    CREATED = "created"
    MATCHING = "matching"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    RATED = "rated"
    ESCALATED = "escalated"
    CANCELLED = "cancelled"
    FOLLOW_UP = "follow_up"


class OrderEvent(StrEnum):
    START_MATCHING = "start_matching"
    OFFER = "offer"
    ACCEPT = "accept"
    DECLINE = "decline"
    OFFER_EXPIRED = "offer_expired"
    ESCALATE = "escalate"
    REASSIGN = "reassign"
    REMATCH = "rematch"
    EN_ROUTE = "en_route"
    ARRIVE = "arrive"
    COMPLETE = "complete"
    COULD_NOT_COMPLETE = "could_not_complete"
    ABORT = "abort"
    RATE = "rate"
    CANCEL = "cancel"


S, E = OrderState, OrderEvent
# States from which the provider has the job in hand.
WITH_PROVIDER = frozenset({S.ACCEPTED, S.EN_ROUTE, S.ON_SITE})
# States where nothing more happens except, for completed, a rating.
CLOSED = frozenset({S.COMPLETED, S.RATED, S.CANCELLED})
OPEN = frozenset(S) - CLOSED

TRANSITIONS: dict[tuple[OrderState, OrderEvent], OrderState] = {
    (S.CREATED, E.START_MATCHING): S.MATCHING,
    (S.MATCHING, E.OFFER): S.OFFERED,
    (S.MATCHING, E.ESCALATE): S.ESCALATED,
    (S.OFFERED, E.ACCEPT): S.ACCEPTED,
    # A decline or expiry with no other offer open sends the order back to matching.
    (S.OFFERED, E.DECLINE): S.MATCHING,
    (S.OFFERED, E.OFFER_EXPIRED): S.MATCHING,
    (S.ACCEPTED, E.EN_ROUTE): S.EN_ROUTE,
    (S.ACCEPTED, E.ARRIVE): S.ON_SITE,
    (S.EN_ROUTE, E.ARRIVE): S.ON_SITE,
    (S.ON_SITE, E.COMPLETE): S.COMPLETED,
    (S.ON_SITE, E.COULD_NOT_COMPLETE): S.FOLLOW_UP,
    (S.COMPLETED, E.RATE): S.RATED,
    (S.ESCALATED, E.REMATCH): S.MATCHING,
    (S.FOLLOW_UP, E.REMATCH): S.MATCHING,
    **{(state, E.ABORT): S.MATCHING for state in WITH_PROVIDER},
    **{
        (state, E.REASSIGN): S.OFFERED
        for state in (S.MATCHING, S.OFFERED, S.ESCALATED, S.FOLLOW_UP, *WITH_PROVIDER)
    },
    **{(state, E.CANCEL): S.CANCELLED for state in OPEN},
}


def next_state(state: OrderState, event: OrderEvent) -> OrderState:
    """The state ``event`` leads to from ``state``; refuses what the table does not allow."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise InvalidTransition(
            f"cannot {event.value.replace('_', ' ')} an order that is "
            f"{state.value.replace('_', ' ')}"
        ) from None
