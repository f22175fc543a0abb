"""Errors of the accounts domain."""


class AuthenticationError(Exception):
    """Wrong username or password, or a missing or expired session."""


class StaffNotFoundError(Exception):
    """No staff account has this id."""


class UsernameTakenError(Exception):
    """Another staff user already has this username."""
