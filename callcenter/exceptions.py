"""What can go wrong with calls; the routers turn these into HTTP answers."""


class CallCenterError(Exception):
    """Base for call-centre errors."""


class CallNotFoundError(CallCenterError):
    def __init__(self, call_id: int | str) -> None:
        super().__init__(f"no call {call_id}")


class CallNotWaitingError(CallCenterError):
    """The call is no longer waiting (answered by someone else, or the caller hung up)."""


class NotYourCallError(CallCenterError):
    """Only the operator on the call may hang it up."""


class CampaignNotFoundError(CallCenterError):
    """No campaign with that id."""



class CallNotLiveError(CallCenterError):
    """Nobody can join a call that has ended or was never answered."""


class UnknownPurposeError(CallCenterError):
    """A conference leg was asked for with a purpose the call centre does not know."""


class MonitoringUnsupportedError(CallCenterError):
    """The configured phone network cannot add a listening leg to a call."""


class NoPhoneEndpointError(CallCenterError):
    """A staff member must be dialled but has no phone endpoint on their routing profile."""


class NoPhoneNetworkError(CallCenterError):
    def __init__(self) -> None:
        super().__init__("no phone network is configured (set ANXIN_TELEPHONY=twilio)")


class NumberNotDialableError(CallCenterError):
    """An operator asked to dial something that is not a senior's, contact's, service's or
    staff member's number."""

    def __init__(self, to: str, services: list[str]) -> None:
        super().__init__(
            f"{to[:64]!r} cannot be dialled: only seniors' and their contacts' numbers, the "
            f"services {', '.join(services)} and staff phone endpoints")
