"""Errors raised while reading settings."""


class InsecureSettingsError(RuntimeError):
    """The settings would run the service with a default or missing secret."""
