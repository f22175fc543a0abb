"""What can go wrong with an incident; the router turns each into one HTTP answer."""


class IncidentError(Exception):
    """Base for incident errors."""


class IncidentNotFoundError(IncidentError):
    def __init__(self, incident_id: int) -> None:
        super().__init__(f"incident {incident_id} does not exist")


class IncidentClosedError(IncidentError):
    def __init__(self, incident_id: int) -> None:
        super().__init__(f"incident {incident_id} is closed; open a new one for a new situation")


class NotIncidentOwnerError(IncidentError):
    def __init__(self, incident_id: int, owner: str) -> None:
        super().__init__(f"incident {incident_id} belongs to {owner}; only they or a "
                         "supervisor may act on it")


class IncidentAlreadyOpenError(IncidentError):
    def __init__(self, senior_id: int, incident_id: int) -> None:
        super().__init__(f"senior {senior_id} already has open incident {incident_id}")
        self.incident_id = incident_id


class IncidentConflictError(IncidentError):
    """The incident cannot take this step now (a call still live, no such contact…)."""


class IncidentInputError(IncidentError):
    """The request names something that does not belong to this incident's senior."""
