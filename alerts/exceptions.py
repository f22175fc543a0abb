"""Errors of the supervisor alerts."""


class AlertNotFoundError(Exception):
    def __init__(self, alert_id: int) -> None:
        super().__init__(f"alert {alert_id} not found")


class AlertStateError(Exception):
    """The alert is already in that state or beyond (seen twice, closed twice)."""
