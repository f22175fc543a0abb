"""The message port's errors, translated to HTTP answers once in the router."""

from __future__ import annotations


class MessagingError(Exception):
    """Base of the message port's errors."""


class BadBindingLink(MessagingError):
    """A WeChat binding link that was tampered with or has expired."""


class BadReceipt(MessagingError):
    """A delivery-receipt callback whose token does not match."""
