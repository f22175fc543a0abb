"""The simulated phone network: the demo's phone page and the tests stand in for real phones.

Outbound calls "ring" on the phone page through the live feed; the page answers, declines or
lets it ring out by posting call events back. Inbound calls are placed from the same page.
"""

from __future__ import annotations

import io
import math
import re
import secrets
import wave
from array import array
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from accounts.audiences import audience
from callcenter import events
from callcenter.models import CallLeg
from runtime.bus import EventBus

# A text's links act for whoever holds them (a provider's offer, a senior's capture page): they
# go to the phone, never onto the live feed.
_LINK = re.compile(r"\b(?:https?://|www\.)\S+|(?<![\w/])/[\w-]+/[\w.~-]{16,}", re.IGNORECASE)
LINK_PLACEHOLDER = "[链接已隐藏 link hidden]"


def without_links(text: str) -> str:
    return _LINK.sub(LINK_PLACEHOLDER, text)


@dataclass
class SimulatedNetwork:
    """A TelephonyProvider that rings the phone page instead of a real phone."""

    bus: EventBus
    sessions: async_sessionmaker[AsyncSession] | None = None
    name: str = "simulator"
    dials_operators: bool = False
    supports_monitoring: bool = False

    async def place_call(self, *, call_id: int, to: str) -> str:
        sid = new_sid("out")
        self.bus.publish(events.PHONE_RINGING, {"call_id": call_id, "sid": sid, "number": to},
                         roles=audience(events.PHONE_RINGING))
        return sid

    async def dial_into_conference(self, *, call_id: int, to: str, conference: str,
                                   muted: bool = False) -> str:
        """Ring the phone page; the event says why we call and which conference they join."""
        sid = new_sid("conf")
        self.bus.publish(events.PHONE_RINGING, {
            "call_id": call_id, "sid": sid, "number": to, "purpose": await self._purpose(call_id),
            "conference": conference, "muted": muted}, roles=audience(events.PHONE_RINGING))
        return sid

    async def _purpose(self, call_id: int) -> str | None:
        if self.sessions is None:
            return None
        async with self.sessions() as session:
            return await session.scalar(select(CallLeg.purpose).where(CallLeg.id == call_id))

    async def send_sms(self, *, to: str, body: str) -> str:
        sid = new_sid("sms")
        self.bus.publish(events.PHONE_SMS, {"sid": sid, "number": to, "body": without_links(body)},
                         roles=audience(events.PHONE_SMS))
        return sid

    async def bridge_to_operator(self, *, call_sid: str, call_id: int, operator: str) -> None:
        """Nothing to move: the phone page sees the call answered on the live feed."""

    async def hang_up(self, *, call_sid: str) -> None:
        """Nothing to cut: the phone page sees the call end on the live feed."""

    async def start_recording(self, *, call_sid: str, call_id: int) -> str:
        """No audio flows through the simulator: the recording is a short tone, made when
        fetched, so storage, playback and retention run as with a real network."""
        return f"sim-rec-{call_id}-{new_sid('rec')}"

    async def fetch_recording(self, *, recording_ref: str) -> bytes | None:
        return simulated_audio()


def new_sid(kind: str) -> str:
    return f"SIM-{kind}-{secrets.token_hex(8)}"


def simulated_audio(*, seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A mono 8 kHz WAV: a 440 Hz tone standing in for a simulated call's voices."""
    frames = int(seconds * rate)
    samples = array("h", (int(8000 * math.sin(2 * math.pi * 440 * i / rate))
                          for i in range(frames)))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return out.getvalue()
