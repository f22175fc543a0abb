"""The telephony port: provider-neutral call actions and events, and what a provider must do.

The IVR and the flows speak only in these types; the Twilio adapter renders actions as TwiML,
the simulator sends them to the phone page as JSON, and the FreeSWITCH adapter
executes them as dialplan applications over the event socket (callcenter/freeswitch/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Say:
    """Speak a prompt (slowly; seniors listen). ``key`` names the prompt, so that a network
    with recorded prompts can play ``<language>/<key>`` instead of speaking ``text``."""

    text: str
    language: str
    key: str = field(default="", compare=False)  # a rendering hint, not what is said


@dataclass(frozen=True, slots=True)
class Gather:
    """Play a prompt and wait for one key or a spoken answer; ``timeout_seconds`` of silence
    after the prompt is no input (the value comes from ``ivr.GATHER_TIMEOUTS``)."""

    prompt: str
    language: str
    timeout_seconds: int
    speech_hints: tuple[str, ...] = ()
    key: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Enqueue:
    """Put the caller in a queue to wait for an operator."""

    queue: str
    priority: int


@dataclass(frozen=True, slots=True)
class ConnectOperator:
    """Connect the call straight to one operator."""

    operator: str


@dataclass(frozen=True, slots=True)
class Conference:
    """Join the call to a named conference (operator and caller meet there)."""

    name: str


@dataclass(frozen=True, slots=True)
class Hangup:
    """End the call (only after a message has been given, never from the menu)."""


CallAction = Say | Gather | Enqueue | ConnectOperator | Conference | Hangup


class CallEventKind(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    DIGITS = "digits"
    SPEECH = "speech"
    NO_INPUT = "no_input"
    COMPLETED = "completed"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CallEvent:
    """Something the network told us about a call."""

    kind: CallEventKind
    value: str = ""


class CallStatus(StrEnum):
    """A call leg's progress; statuses only ever move forward (see ``STATUS_RANK``)."""

    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELED = "canceled"


STATUS_RANK: dict[CallStatus, int] = {
    CallStatus.QUEUED: 0,
    CallStatus.RINGING: 1,
    CallStatus.IN_PROGRESS: 2,
    CallStatus.COMPLETED: 3,
    CallStatus.NO_ANSWER: 3,
    CallStatus.BUSY: 3,
    CallStatus.FAILED: 3,
    CallStatus.CANCELED: 3,
}
FINAL_STATUSES = frozenset(s for s, rank in STATUS_RANK.items() if rank == 3)
UNANSWERED_STATUSES = frozenset(
    {CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.FAILED, CallStatus.CANCELED}
)

EVENT_STATUS: dict[CallEventKind, CallStatus] = {
    CallEventKind.RINGING: CallStatus.RINGING,
    CallEventKind.ANSWERED: CallStatus.IN_PROGRESS,
    CallEventKind.COMPLETED: CallStatus.COMPLETED,
    CallEventKind.NO_ANSWER: CallStatus.NO_ANSWER,
    CallEventKind.BUSY: CallStatus.BUSY,
    CallEventKind.FAILED: CallStatus.FAILED,
}


def is_forward(current: CallStatus, new: CallStatus) -> bool:
    """Whether moving from ``current`` to ``new`` is progress (late or repeated news is not)."""
    return STATUS_RANK[new] > STATUS_RANK[current]


class TelephonyProvider(Protocol):
    """What the flows need from a phone network: place calls, send texts, move a live call."""

    name: str
    # Whether staff hear calls on their own phones: an operator who answers is dialled into the
    # call's conference at their phone endpoint (the simulator's staff use the dashboard).
    dials_operators: bool
    # Whether a supervisor can listen in on a live call through a muted conference leg.
    supports_monitoring: bool

    async def place_call(self, *, call_id: int, to: str) -> str:
        """Start an outbound call; returns the provider's id for it."""
        ...

    async def send_sms(self, *, to: str, body: str) -> str:
        """Send a text message; returns the provider's id for it."""
        ...

    async def bridge_to_operator(self, *, call_sid: str, call_id: int, operator: str) -> None:
        """Take a waiting caller out of the queue and into the operator's conference."""
        ...

    async def dial_into_conference(self, *, call_id: int, to: str, conference: str,
                                   muted: bool = False) -> str:
        """Ring ``to``; once answered the person joins the named conference (muted: they
        only listen). Returns the provider's id for the new leg."""
        ...

    async def hang_up(self, *, call_sid: str) -> None:
        """End a live call."""
        ...

    async def start_recording(self, *, call_sid: str, call_id: int) -> str:
        """Record the live call from now on (both parties); returns the provider's id for the
        recording. Callers have heard the recording notice before this is called."""
        ...

    async def fetch_recording(self, *, recording_ref: str) -> bytes | None:
        """The finished recording's audio (WAV), or None while it is not ready yet."""
        ...


@runtime_checkable
class ServesConnections(Protocol):
    """A network that keeps connections of its own open (FreeSWITCH's event socket)."""

    async def serve(self) -> None:
        """Run until cancelled."""
        ...


@runtime_checkable
class PlaysToWaitingCallers(Protocol):
    """A network whose waiting callers hear actions sent to them (FreeSWITCH's sockets); a
    Twilio caller asks for them on the queue's wait URL instead."""

    async def play(self, *, call_sid: str, actions: tuple[CallAction, ...]) -> bool:
        """Play to the waiting caller; False when no such caller is held here."""
        ...
