"""Errors of the seniors domain."""


class SeniorNotFoundError(Exception):
    """No (active) senior has this id."""

    def __init__(self, senior_id: int) -> None:
        super().__init__(f"senior {senior_id} not found")
        self.senior_id = senior_id


class DuplicateResidentIdError(Exception):
    """A senior with this resident ID is already registered."""
