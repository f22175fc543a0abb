"""What can go wrong in proof-of-life; the router turns each into one HTTP answer."""

from __future__ import annotations


class LivenessError(Exception):
    """Base of this domain's errors."""


class ConsentMissingError(LivenessError):
    """No biometric consent: offer the home-visit route instead."""


class PhotoRefusedError(LivenessError):
    """An enrolment photo is unusable; the message says why."""


class NotEnrolledError(LivenessError):
    pass


class SessionNotFoundError(LivenessError):
    pass


class SessionRefusedError(LivenessError):
    """Expired, already used, or the nonce does not match."""


class LinkExpiredError(SessionRefusedError):
    """A capture link past its expiry."""


class FramesRefusedError(LivenessError):
    """The uploaded frames cannot be read."""


class RateLimitedError(LivenessError):
    pass


class ReviewError(LivenessError):
    """A review or override that breaks the four-eyes rule or is not pending."""


class DecisionNotFoundError(LivenessError):
    pass


class TemplateKeyError(LivenessError):
    """A stored template does not open with the configured key."""
