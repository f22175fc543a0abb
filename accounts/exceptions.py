"""Errors of the accounts domain."""


class AuthenticationError(Exception):
    """Wrong username or password, or a missing or expired session."""


class AccountLockedError(Exception):
    """Too many failed log-ins; the account is locked until ``until``."""

    def __init__(self, until: str) -> None:
        super().__init__(f"account locked after repeated failed log-ins until {until}")
        self.until = until


class UsernameTakenError(Exception):
    """Another staff user already has this username."""
