"""What can go wrong in dispatch; the router turns each into one HTTP answer."""


class DispatchError(Exception):
    """Base of dispatch errors."""


class NotFound(DispatchError):
    """An order, provider or offer that does not exist (404)."""

    code = "dispatch_not_found"


class InvalidTransition(DispatchError):
    """The order's state does not allow this step (409)."""

    code = "order_state"


class OfferClosed(DispatchError):
    """A reply to an offer that expired, was superseded or was taken by someone else (409)."""

    code = "offer_closed"


class InvalidRequest(DispatchError):
    """Input that parses but makes no sense for dispatch (422)."""

    code = "dispatch_invalid"


class BadLink(DispatchError):
    """A provider link that is tampered with or expired (403)."""

    code = "bad_link"
