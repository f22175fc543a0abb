"""What can go wrong in dispatch; the router turns each into one HTTP answer."""


class DispatchError(Exception):
    """Base of dispatch errors."""


class NotFound(DispatchError):
    """An order, provider or offer that does not exist (404)."""


class InvalidTransition(DispatchError):
    """The order's state does not allow this step (409)."""


class OfferClosed(DispatchError):
    """A reply to an offer that expired, was superseded or was taken by someone else (409)."""


class InvalidRequest(DispatchError):
    """Input that parses but makes no sense for dispatch (422)."""


class BadLink(DispatchError):
    """A provider link that is tampered with or expired (403)."""
