"""Errors of the areas domain."""


class CentreNotFoundError(Exception):
    """No centre has this name."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"centre {slug!r} not found")
        self.slug = slug


class AreaOutsideScopeError(Exception):
    """The caller asked to put a record in an area none of their centres serves."""

    def __init__(self, area_code: str) -> None:
        super().__init__(f"area {area_code} is not served by your centres")
        self.area_code = area_code


class UnknownAreaError(Exception):
    """No area has this code."""

    def __init__(self, area_code: str) -> None:
        super().__init__(f"no area has the code {area_code!r}")
        self.area_code = area_code


class OpeningHoursError(ValueError):
    """Opening hours that cannot be read (a bad time, a range that closes before it opens)."""
