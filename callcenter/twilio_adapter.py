"""Twilio: call actions rendered as TwiML, signed-webhook checks, outbound calls and texts.

Twilio carries no calls to or from mainland China; this adapter serves overseas pilots and
demos. The twilio client is synchronous, so its requests run in a worker thread.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import httpx
from twilio.http import HttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from callcenter import ivr, prompt_timing
from callcenter.port import (
    CallAction,
    CallStatus,
    Conference,
    ConnectOperator,
    Enqueue,
    Gather,
    Hangup,
    Say,
)
from config.settings import Settings

WEBHOOK_PREFIX = "/telephony/twilio"
# Polly voices Twilio offers for each prompt language; Gather's speech recognition locale.
VOICES: dict[str, tuple[str, str, str]] = {
    ivr.ZH: ("Polly.Zhiyu", "cmn-CN", "cmn-Hans-CN"),
    ivr.EN: ("Polly.Joanna", "en-US", "en-US"),
}
SLOW = f"{round(prompt_timing.SPEECH_RATE * 100)}%"
DIGIT_RUN = re.compile(r"(\d{2,})")  # read one by one: 12349 is a number to dial, not a sum
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
TWILIO_STATUS: dict[str, CallStatus] = {
    "queued": CallStatus.QUEUED,
    "initiated": CallStatus.QUEUED,
    "ringing": CallStatus.RINGING,
    "in-progress": CallStatus.IN_PROGRESS,
    "answered": CallStatus.IN_PROGRESS,
    "completed": CallStatus.COMPLETED,
    "busy": CallStatus.BUSY,
    "no-answer": CallStatus.NO_ANSWER,
    "failed": CallStatus.FAILED,
    "canceled": CallStatus.CANCELED,
}


def conference_name(call_id: int) -> str:
    return f"anxin-call-{call_id}"


@dataclass(frozen=True, slots=True)
class TwilioRequest:
    """A webhook's form fields, parsed once."""

    call_sid: str
    from_number: str
    to_number: str
    call_status: CallStatus | None
    digits: str | None
    speech: str | None
    recording_url: str | None

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> TwilioRequest:
        return cls(
            call_sid=form.get("CallSid", ""),
            from_number=form.get("From", ""),
            to_number=form.get("To", ""),
            call_status=TWILIO_STATUS.get(form.get("CallStatus", "")),
            digits=form.get("Digits") or None,
            speech=form.get("SpeechResult") or None,
            recording_url=form.get("RecordingUrl") or None,
        )


def signature_is_valid(*, auth_token: str, url: str, params: Mapping[str, str],
                       signature: str | None) -> bool:
    """Twilio's own check of ``X-Twilio-Signature`` over the public URL and the form."""
    if not signature:
        return False
    return bool(_validator(auth_token).validate(url, dict(params), signature))


@lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


def parse_form(body: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (what Twilio posts), blanks kept: every
    field Twilio sent is part of what it signed."""
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def render(actions: tuple[CallAction, ...], *, base_url: str, call_id: int) -> str:
    """TwiML for the actions; Gather and queue results come back to our webhooks."""
    response = VoiceResponse()
    for action in actions:
        _render_one(response, action, base_url=base_url.rstrip("/"), call_id=call_id)
    return str(response)


def _render_one(response: VoiceResponse, action: CallAction, *, base_url: str,
                call_id: int) -> None:
    hooks = f"{base_url}{WEBHOOK_PREFIX}"
    if isinstance(action, Say):
        _say(response, action.text, action.language)
    elif isinstance(action, Gather):
        voice, language, speech_language = VOICES.get(action.language, VOICES[ivr.ZH])
        gather = response.gather(
            input="dtmf speech", num_digits=1, timeout=action.timeout_seconds,
            action=f"{hooks}/gather?call_id={call_id}", method="POST",
            language=speech_language, hints=",".join(action.speech_hints) or None,
            action_on_empty_result=True)
        _say(gather, action.prompt, action.language)
    elif isinstance(action, Enqueue):
        response.enqueue(action.queue, action=f"{hooks}/dial?call_id={call_id}",
                         wait_url=f"{hooks}/wait?call_id={call_id}", method="POST",
                         wait_url_method="POST")
    elif isinstance(action, ConnectOperator):
        response.dial(action=f"{hooks}/dial?call_id={call_id}").client(action.operator)
    elif isinstance(action, Conference):
        response.dial(action=f"{hooks}/dial?call_id={call_id}").conference(action.name)
    elif isinstance(action, Hangup):
        response.hangup()


def _say(parent: Any, text: str, language: str) -> None:
    voice, say_language, _ = VOICES.get(language, VOICES[ivr.ZH])
    prosody = parent.say(voice=voice, language=say_language).prosody(rate=SLOW)
    for piece in DIGIT_RUN.split(text):
        if DIGIT_RUN.fullmatch(piece):
            prosody.say_as(piece, interpret_as="digits")
        elif piece:
            prosody.append(piece)


@dataclass
class TwilioProvider:
    """Outbound calls, texts and call moves through Twilio's REST API."""

    client: Client
    from_number: str
    base_url: str
    ring_seconds: int = 30
    name: str = "twilio"
    dials_operators: bool = True
    supports_monitoring: bool = True

    @classmethod
    def from_settings(cls, settings: Settings,
                      http_client: HttpClient | None = None) -> TwilioProvider:
        assert settings.twilio_auth_token is not None
        client = Client(settings.twilio_account_sid,
                        settings.twilio_auth_token.get_secret_value(), http_client=http_client)
        return cls(client=client, from_number=settings.twilio_from_number or "",
                   base_url=(settings.public_base_url or "").rstrip("/"),
                   ring_seconds=settings.outbound_ring_seconds)

    async def place_call(self, *, call_id: int, to: str) -> str:
        hooks = f"{self.base_url}{WEBHOOK_PREFIX}"
        call = await asyncio.to_thread(
            self.client.calls.create, to=to, from_=self.from_number,
            url=f"{hooks}/outbound?call_id={call_id}", method="POST",
            status_callback=f"{hooks}/status", status_callback_method="POST",
            status_callback_event=STATUS_EVENTS, timeout=self.ring_seconds)
        return str(call.sid)

    async def dial_into_conference(self, *, call_id: int, to: str, conference: str,
                                   muted: bool = False) -> str:
        """Ring ``to`` with the conference as the call's own TwiML: answered, they join it."""
        twiml = VoiceResponse()
        twiml.dial().conference(conference, muted=muted, beep=not muted)
        call = await asyncio.to_thread(
            self.client.calls.create, to=to, from_=self.from_number, twiml=str(twiml),
            status_callback=f"{self.base_url}{WEBHOOK_PREFIX}/status",
            status_callback_method="POST", status_callback_event=STATUS_EVENTS,
            timeout=self.ring_seconds)
        return str(call.sid)

    async def send_sms(self, *, to: str, body: str) -> str:
        message = await asyncio.to_thread(self.client.messages.create, to=to,
                                          from_=self.from_number, body=body)
        return str(message.sid)

    async def start_recording(self, *, call_sid: str, call_id: int) -> str:
        """Record both parties of the live call (Call Recordings resource)."""
        recording = await asyncio.to_thread(
            self.client.calls(call_sid).recordings.create, recording_channels="dual")
        return str(recording.sid)

    async def fetch_recording(self, *, recording_ref: str) -> bytes | None:
        """The recording's WAV from Twilio's media URL; None until Twilio has it (404)."""
        account, token = self.client.username, self.client.password
        url = (f"https://api.twilio.com/2010-04-01/Accounts/{account}/Recordings/"
               f"{recording_ref}.wav")
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.get(url, auth=(account or "", token or ""))
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.content

    async def bridge_to_operator(self, *, call_sid: str, call_id: int, operator: str) -> None:
        """Move the caller out of the queue into the call's conference, where the operator's
        softphone joins."""
        twiml = VoiceResponse()
        twiml.dial().conference(conference_name(call_id))
        await asyncio.to_thread(self.client.calls(call_sid).update, twiml=str(twiml))

    async def hang_up(self, *, call_sid: str) -> None:
        await asyncio.to_thread(self.client.calls(call_sid).update, status="completed")
