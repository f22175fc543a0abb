"""The phone network when none is configured (``ANXIN_TELEPHONY=none``, the default outside
demo mode): every call or text fails at once, so attempts are recorded as failed."""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.exceptions import NoPhoneNetworkError


@dataclass
class NoPhoneNetwork:
    """A TelephonyProvider that refuses everything."""

    name: str = "none"
    dials_operators: bool = False
    supports_monitoring: bool = False

    async def place_call(self, *, call_id: int, to: str) -> str:
        raise NoPhoneNetworkError

    async def send_sms(self, *, to: str, body: str) -> str:
        raise NoPhoneNetworkError

    async def bridge_to_operator(self, *, call_sid: str, call_id: int, operator: str) -> None:
        raise NoPhoneNetworkError

    async def dial_into_conference(self, *, call_id: int, to: str, conference: str,
                                   muted: bool = False) -> str:
        raise NoPhoneNetworkError

    async def hang_up(self, *, call_sid: str) -> None:
        """Nothing is live on no network."""

    async def start_recording(self, *, call_sid: str, call_id: int) -> str:
        raise NoPhoneNetworkError

    async def fetch_recording(self, *, recording_ref: str) -> bytes | None:
        raise NoPhoneNetworkError
