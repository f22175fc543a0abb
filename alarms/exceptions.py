"""Errors of the alarms domain."""


class AlarmNotFoundError(Exception):
    def __init__(self, alarm_id: int) -> None:
        super().__init__(f"alarm {alarm_id} not found")


class AlarmStateError(Exception):
    """The alarm is not in a state that allows this step (for example already resolved)."""


class AlarmOwnedError(AlarmStateError):
    """Another operator acknowledged the alarm first."""

    def __init__(self, alarm_id: int, owner: str) -> None:
        super().__init__(f"alarm {alarm_id} is already owned by {owner}")
        self.alarm_id = alarm_id
        self.owner = owner


class UnknownAlarmKindError(ValueError):
    def __init__(self, kind: str) -> None:
        super().__init__(f"unknown alarm kind {kind!r}")
