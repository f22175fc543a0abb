"""Twilio's webhooks: every request signed against the public URL, or 403 and nothing stored."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter import caller_input, events, flows, service
from callcenter.lifespan import callcenter_of
from callcenter.models import CallLeg
from callcenter.port import CallAction, CallStatus
from callcenter.recordings import flows as recordings
from callcenter.twilio_adapter import (
    WEBHOOK_PREFIX,
    TwilioRequest,
    parse_form,
    render,
    signature_is_valid,
)
from runtime.context import Runtime
from storage.bounds import RowId

router = APIRouter(prefix=WEBHOOK_PREFIX, include_in_schema=False)
TWIML = "application/xml"


async def signed_request(request: Request) -> tuple[Runtime, TwilioRequest]:
    """The parsed form of a request Twilio really sent; anything else answers 403.

    Webhooks take the bare request rather than FastAPI dependencies: Twilio waits on each one,
    and resolving dependencies costs more than the work itself.
    """
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    if settings.telephony != "twilio" or settings.twilio_auth_token is None \
            or not settings.public_base_url:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Twilio is not the configured telephony")
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = parse_form(await request.body())
    else:
        form = {key: str(value) for key, value in (await request.form()).items()}
    # Proxies rewrite Host; Twilio signed the public address it called.
    url = settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    if not signature_is_valid(auth_token=settings.twilio_auth_token.get_secret_value(), url=url,
                              params=form, signature=request.headers.get("X-Twilio-Signature")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid Twilio signature")
    return runtime, TwilioRequest.from_form(form)


def twiml(runtime: Runtime, call: CallLeg, actions: tuple[CallAction, ...]) -> Response:
    base = runtime.settings.public_base_url or ""
    return Response(render(actions, base_url=base, call_id=call.id), media_type=TWIML)


@router.post("/incoming")
async def incoming(request: Request) -> Response:
    """A call to 12349: look the caller up, then the menu or the emergency fast path."""
    runtime, form = await signed_request(request)
    async with runtime.sessions() as session:
        call, actions = await service.begin_inbound(
            session, provider="twilio", sid=form.call_sid, from_number=form.from_number,
            to_number=form.to_number, devices=callcenter_of(runtime).devices,
            now=runtime.clock.now())
        await session.commit()
    events.publish_call(runtime.bus, call)
    recordings.start_after_notice(runtime, call)
    return twiml(runtime, call, recordings.with_notice(runtime, call, actions))


@router.post("/gather")
async def gather(call_id: RowId, request: Request) -> Response:
    """A key, words or silence after a prompt (Twilio waited out the Gather's timeout)."""
    runtime, form = await signed_request(request)
    async with runtime.sessions() as session:
        actions = await caller_input.next_actions(
            session, call_id=call_id, digits=form.digits, speech=form.speech,
            now=runtime.clock.now())
        call = await service.get_call(session, call_id)
        await session.commit()
    events.publish_call(runtime.bus, call)
    return twiml(runtime, call, actions)


@router.post("/wait")
async def wait(call_id: RowId, request: Request) -> Response:
    """What a queued caller hears while waiting (Twilio asks again after each play)."""
    runtime, _ = await signed_request(request)
    async with runtime.sessions() as session:
        call = await service.get_call(session, call_id)
        actions = service.wait_actions(call, now=runtime.clock.now(),
                                       offer_after=_offer_after(runtime))
        await session.commit()
    return twiml(runtime, call, actions)


@router.post("/dial")
async def dial(call_id: RowId, request: Request) -> Response:
    """The caller left the queue or the dial ended; the status callback records the end."""
    runtime, _ = await signed_request(request)
    async with runtime.sessions() as session:
        call = await service.get_call(session, call_id)
    return twiml(runtime, call, ())


@router.post("/outbound")
async def outbound(call_id: RowId, request: Request) -> Response:
    """Someone answered a call we placed: what they hear and where the call goes."""
    runtime, _ = await signed_request(request)
    async with runtime.sessions() as session:
        call = await service.get_call(session, call_id)
        await _record(runtime, session, call, CallStatus.IN_PROGRESS)
        actions = await flows.answered_actions(session, call=call, now=runtime.clock.now())
        await session.commit()
    events.publish_call(runtime.bus, call)
    if flows.needs_follow_up(call):
        callcenter_of(runtime).spawn(flows.after_status(runtime, call.id))
    recordings.start_after_notice(runtime, call)
    return twiml(runtime, call, recordings.with_notice(runtime, call, actions))


@router.post("/status", status_code=204)
async def call_status(request: Request) -> Response:
    """Status news, possibly late or repeated: stored once, applied only when it is progress."""
    runtime, form = await signed_request(request)
    if form.call_status is None:
        return Response(status_code=204)
    async with runtime.sessions() as session:
        found = await service.find_by_sid_with_status(session, form.call_sid, form.call_status)
        if found is None:
            return Response(status_code=204)
        call, reached = found
        if form.recording_url:
            call.recording_ref = form.recording_url
        changed = await service.record_status(session, call=call, status=form.call_status,
                                              now=runtime.clock.now(), reached=reached)
        await session.commit()
    if changed:
        events.publish_call(runtime.bus, call)
    if changed and flows.needs_follow_up(call):
        callcenter_of(runtime).spawn(flows.after_status(runtime, call.id))
    return Response(status_code=204)


async def _record(runtime: Runtime, session: AsyncSession, call: CallLeg,
                  new_status: CallStatus) -> bool:
    return await service.record_status(session, call=call, status=new_status,
                                       now=runtime.clock.now())


def _offer_after(runtime: Runtime) -> timedelta:
    return timedelta(seconds=runtime.settings.callback_offer_after_seconds)
