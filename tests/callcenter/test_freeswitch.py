"""FreeSWITCH over the event socket: the wire protocol, faults, and what only this network does
(the other call scenarios run on it through the ``phone`` fixture)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from accounts.roles import Role
from callcenter import conferencing, service
from callcenter.freeswitch import esl, render
from callcenter.freeswitch.adapter import FreeSwitchNetwork
from callcenter.freeswitch.fake_switch import FakeSwitch
from callcenter.lifespan import callcenter_of
from callcenter.port import Enqueue, Gather, Say
from callcenter.routing import call_tasks
from callcenter.routing.models import RoutingOperator
from config.exceptions import InsecureSettingsError
from config.settings import Settings
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.callcenter.conftest import SENIOR_PHONE, dial, spoken
from tests.callcenter.phones import SwitchPhone
from tests.conftest import LoginAs
from tests.seniors.test_api import senior_body

UNKNOWN = "+8613700000077"
ON_SWITCH = pytest.mark.parametrize("network", ["freeswitch"])
MONGOLIAN = ("menu", "menu_repeat", "again", "known", "urgent", "hold", "offer",
             "connecting_general")


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    """Recorded prompts: Mongolian ones (and the Mandarin menu they are offered in)."""
    root = tmp_path / "prompts"
    for language, keys in (("mn", MONGOLIAN), ("zh-CN", ("menu",))):
        (root / language).mkdir(parents=True)
        for key in keys:
            (root / language / f"{key}.wav").write_bytes(b"RIFF")
    return root


@pytest.fixture
def settings(settings: Settings, prompts: Path) -> Settings:
    return settings.model_copy(update={"freeswitch_prompt_dir": prompts})


async def mongolian_senior(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body(languages=["mn", "zh-CN"])),
            now=runtime.clock.now())
        await session.commit()
        return senior.id


async def task_language(runtime: Runtime, call_id: int) -> str | None:
    async with runtime.sessions() as session:
        return call_tasks.work_for(await service.get_call(session, call_id)).language


def provider_of(runtime: Runtime) -> FreeSwitchNetwork:
    provider = callcenter_of(runtime).provider
    assert isinstance(provider, FreeSwitchNetwork)
    return provider


async def status_of(runtime: Runtime, call_id: int) -> str:
    async with runtime.sessions() as session:
        return str((await service.get_call(session, call_id)).status)


async def until(check: object, *, seconds: float = 5) -> None:
    """Wait (bounded) until the async predicate holds."""
    for _ in range(int(seconds / 0.02)):
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_frames_round_trip_with_url_encoded_headers() -> None:
    """An event as FreeSWITCH writes it (text/event-plain, Content-Length, URL-encoded values)
    reads back with its values decoded."""
    raw = esl.encode_event("CHANNEL_ANSWER", {"Unique-ID": "u1",
                                              "Caller-Caller-ID-Number": "+86 138"})
    reader = asyncio.StreamReader()
    reader.feed_data(raw)
    reader.feed_eof()
    frame = await esl.read_frame(reader)
    assert frame.content_type == esl.EVENT_PLAIN
    assert b"%2B86%20138" in raw
    event = esl.parse_event(frame)
    assert (event.name, event.uuid, event.get("Caller-Caller-ID-Number")) == \
        ("CHANNEL_ANSWER", "u1", "+86 138")


def test_a_prompt_plays_its_recording_and_falls_back_to_speech(tmp_path: Path) -> None:
    """A prompt with a recorded file plays it; one without is spoken by the TTS engine; a
    gather keeps the IVR's timeout; a queue is park with its queue named on the channel."""
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "hold.wav").write_bytes(b"RIFF")
    voice = render.Voice(prompt_dir=tmp_path).scanned()
    apps = render.render((Say("请稍候", "zh-CN", "hold"), Say("再见", "zh-CN", "bye"),
                          Gather("请按1", "zh-CN", 4, key="menu"), Enqueue("general", 3)),
                         voice=voice)
    assert apps[0] == render.App("playback", str(tmp_path / "zh-CN" / "hold.wav"))
    assert apps[1] == render.App("speak", "tts_commandline|zh|再见")
    assert apps[2].name == "play_and_get_digits" and apps[2].arg.startswith("1 1 1 4000 # ")
    assert [a.name for a in apps[3:]] == ["set", "set", "park"]


def test_speech_input_is_read_from_the_recogniser_result() -> None:
    """With an ASR a gather is play_and_detect_speech with the IVR's timeout; its NLSML
    result gives words or a key, and an unreadable result counts as silence."""
    gather = render.render((Gather("请讲", "zh-CN", 4),),
                           voice=render.Voice(asr="unimrcp"))[0]
    assert gather.name == "play_and_detect_speech"
    assert "detect:unimrcp" in gather.arg and "no-input-timeout=4000" in gather.arg
    result = '<result><interpretation><input mode="{}">{}</input></interpretation></result>'
    app = "play_and_detect_speech"
    assert render.gather_result(app, {render.SPEECH_VAR: result.format("speech", "救命")}) == \
        (None, "救命")
    assert render.gather_result(app, {render.SPEECH_VAR: result.format("dtmf", "1")}) == \
        ("1", None)
    assert render.gather_result(app, {render.SPEECH_VAR: "<result><oops"}) == (None, None)
    assert render.gather_result(app, {}) == (None, None)


@ON_SWITCH
async def test_malformed_frames_unknown_events_and_strangers_are_ignored(
    phone: SwitchPhone, switch: FakeSwitch, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """A broken header line, an event of a kind never subscribed, and a hang-up for a channel
    that is not ours are logged and skipped; the link keeps working for the next call."""
    caplog.set_level(logging.INFO)
    for writer in switch.listeners():
        writer.write(b"this line has no colon\n\n")
        writer.write(esl.encode_event("CUSTOM", {"Event-Subclass": "sofia::register"}))
        writer.write(esl.encode_event("CHANNEL_HANGUP_COMPLETE", {"Unique-ID": "not-ours",
                                                                  "Hangup-Cause": "NO_ANSWER"}))
        await writer.drain()
    call = await phone.dial(UNKNOWN)
    assert call["actions"][0]["type"] == "gather"
    assert "malformed ESL frame skipped" in caplog.text
    assert provider_of(runtime).connected.is_set()


@ON_SWITCH
async def test_a_caller_who_hangs_up_while_queued_is_abandoned(
    phone: SwitchPhone, runtime: Runtime
) -> None:
    """A caller parked in the queue who hangs up leaves it as abandoned (emergency: called back)."""
    call = await phone.dial(UNKNOWN)
    queued = await phone.press(call["call"]["id"], digits="1")
    assert queued["actions"][-1] == {"type": "enqueue", "queue": "emergency", "priority": 1}
    ended = await phone.event(call["call"]["id"], "completed")
    assert ended["call"]["outcome"] == "abandoned"
    await callcenter_of(runtime).drain()
    async with runtime.sessions() as session:
        waiting = await service.waiting_calls(session)
    assert waiting == []


@ON_SWITCH
async def test_control_link_drop_recovers_and_a_queued_caller_stays_queued(
    phone: SwitchPhone, switch: FakeSwitch, runtime: Runtime
) -> None:
    """The ESL link drops: Anxin reconnects; a caller still on the switch stays queued, and a
    call-back leg that ended while nobody listened is closed from the channel list."""
    queued = await phone.dial(SENIOR_PHONE)  # no senior registered: the menu
    await phone.press(queued["call"]["id"], digits="2")
    provider = provider_of(runtime)
    lost = await conferencing.call_out(runtime, to="120", purpose="operator_call",
                                       operator="op")
    lost_channel = switch.originated[lost.id]
    await switch.drop_control()
    switch.channels.pop(lost_channel.uuid)  # it ended while the link was down
    await until(lambda: _reconnected(provider, switch))
    await until(lambda: _ended(runtime, lost.id))
    assert await status_of(runtime, lost.id) == "no_answer"
    async with runtime.sessions() as session:
        waiting = [c.id for c in await service.waiting_calls(session)]
    assert waiting == [queued["call"]["id"]]


async def _answered_stranger(phone: SwitchPhone, client: httpx.AsyncClient, runtime: Runtime,
                             operator: dict[str, str]) -> int:
    """A stranger presses 0 for an operator, who answers; the call's id once its commands ran."""
    call_id = int((await phone.dial(UNKNOWN))["call"]["id"])
    await phone.press(call_id, digits="0")
    answered = await client.post(f"/api/v1/calls/{call_id}/answer", headers=operator)
    assert answered.status_code == 200, answered.text
    await callcenter_of(runtime).drain()
    return call_id


@ON_SWITCH
async def test_a_caller_who_leaves_the_conference_is_forgotten(
    phone: SwitchPhone, runtime: Runtime, client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    """Where a conference's caller is (for a silent listener to eavesdrop on) is kept only
    while the caller is on the line: their hang-up drops it, so ended calls do not pile up."""
    operator = await login_as(Role.OPERATOR)
    call_id = await _answered_stranger(phone, client, runtime, operator)
    provider = provider_of(runtime)
    assert f"anxin-call-{call_id}" in provider.callers
    await phone.event(call_id, "completed")
    await until(lambda: _forgotten(provider))


async def _forgotten(provider: FreeSwitchNetwork) -> bool:
    return not provider.callers


@ON_SWITCH
async def test_a_leg_answered_while_the_link_was_down_is_in_progress_after_reconnecting(
    phone: SwitchPhone, switch: FakeSwitch, runtime: Runtime
) -> None:
    """The person rung picks up while the ESL link is down (its CHANNEL_ANSWER is lost): on
    reconnect the channel list says the channel is active, and the leg moves to in progress."""
    leg = await conferencing.call_out(runtime, to="120", purpose="operator_call", operator="op")
    channel = switch.originated[leg.id]
    await switch.drop_control()
    await switch.answer(channel)  # nobody is listening
    provider = provider_of(runtime)
    await until(lambda: _reconnected(provider, switch))
    await until(lambda: _in_progress(runtime, leg.id))


async def _in_progress(runtime: Runtime, call_id: int) -> bool:
    return await status_of(runtime, call_id) == "in_progress"


@ON_SWITCH
async def test_a_call_socket_that_drops_without_a_hang_up_is_checked_with_the_switch(
    phone: SwitchPhone, switch: FakeSwitch, runtime: Runtime
) -> None:
    """Two queued callers' sockets close with no hang-up event: the one whose channel the
    switch no longer has ends; the one the switch still has stays queued."""
    gone = (await phone.dial(UNKNOWN))["call"]["id"]
    kept = (await phone.dial("+8613700000078"))["call"]["id"]
    for call_id in (gone, kept):
        await phone.press(call_id, digits="2")
    switch.channels.pop(phone.channels[gone].uuid)  # ended while its socket was failing
    for call_id in (gone, kept):
        await phone.channels[call_id].close_socket()
    await until(lambda: _hung_up(runtime, gone))
    await callcenter_of(runtime).drain()
    async with runtime.sessions() as session:
        waiting = [c.id for c in await service.waiting_calls(session)]
    assert waiting == [kept]


async def _hung_up(runtime: Runtime, call_id: int) -> bool:
    async with runtime.sessions() as session:
        return (await service.get_call(session, call_id)).ended_at is not None


async def _reconnected(provider: FreeSwitchNetwork, switch: FakeSwitch) -> bool:
    return provider.connected.is_set() and switch.connected > 0


async def _ended(runtime: Runtime, call_id: int) -> bool:
    return await status_of(runtime, call_id) != "queued"


@ON_SWITCH
async def test_an_operator_extension_that_does_not_answer_leaves_the_caller_waiting(
    phone: SwitchPhone, switch: FakeSwitch, runtime: Runtime, client: httpx.AsyncClient,
    login_as: LoginAs
) -> None:
    """The operator answers on the dashboard; their extension (user/1001) is rung into the
    call's conference but does not pick up: its leg is a no-answer, the caller stays in the
    conference, and nothing is left ringing."""
    operator = await login_as(Role.OPERATOR)
    async with runtime.sessions() as session:
        session.add(RoutingOperator(username="test_operator", phone_endpoint="user/1001",
                                    skills=[], languages=["zh-CN"], state="offline"))
        await session.commit()
    call_id = await _answered_stranger(phone, client, runtime, operator)
    moved = await phone.heard(call_id)
    assert moved["actions"] == [{"type": "conference", "name": f"anxin-call-{call_id}"}]
    (leg_id, leg) = next((k, c) for k, c in switch.originated.items() if c.caller == "1001")
    assert leg.destination.startswith("user/1001")
    await phone.event(leg_id, "no_answer")
    assert await status_of(runtime, leg_id) == "no_answer"
    assert await status_of(runtime, call_id) == "in_progress"


@ON_SWITCH
async def test_a_mongolian_senior_hears_recorded_mongolian_and_waits_for_a_mongolian_speaker(
    phone: SwitchPhone, switch: FakeSwitch, runtime: Runtime, prompts: Path
) -> None:
    """A registered senior whose first language is Mongolian hears the recorded Mongolian
    greeting, and their call asks the routing desk for an operator who speaks it."""
    await mongolian_senior(runtime)
    call = await phone.dial(SENIOR_PHONE)
    channel = phone.channels[call["call"]["id"]]
    assert channel.apps[0] == render.App("playback", str(prompts / "mn" / "known.wav"))
    assert call["call"]["ivr_path"] == ["fast-path:known"]
    assert await task_language(runtime, call["call"]["id"]) == "mn"


@ON_SWITCH
async def test_a_stranger_is_offered_mongolian_on_key_8(
    phone: SwitchPhone, runtime: Runtime, prompts: Path
) -> None:
    """Where Mongolian is recorded the menu offers it; key 8 plays the Mongolian menu, and the
    call then waits for an operator who speaks Mongolian."""
    call = await phone.dial(UNKNOWN)
    call_id = call["call"]["id"]
    menu = phone.channels[call_id].apps[0]
    assert str(prompts / "mn" / "offer.wav") in menu.arg
    mongolian = await phone.press(call_id, digits="8")
    assert str(prompts / "mn" / "menu.wav") in phone.channels[call_id].apps[-1].arg
    assert mongolian["call"]["ivr_path"] == ["menu", "key:8"]
    await phone.press(call_id, digits="0")
    assert await task_language(runtime, call_id) == "mn"


async def test_without_recordings_a_mongolian_senior_hears_mandarin_with_a_note(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime
) -> None:
    """On a network without Mongolian recordings (the simulator) the greeting is Mandarin, the
    call notes why, and routing still looks for a Mongolian speaker."""
    await mongolian_senior(runtime)
    operator = await login_as(Role.OPERATOR)
    call = await dial(client, operator, SENIOR_PHONE)
    assert spoken(call).startswith("王秀英您好")
    assert call["call"]["ivr_path"] == ["fast-path:known", "prompts:mn-not-recorded:zh-CN"]
    assert await task_language(runtime, call["call"]["id"]) == "mn"


@pytest.mark.parametrize(("password", "address", "refusal"), [
    (None, "127.0.0.1:8021", "ANXIN_FREESWITCH_ESL_PASSWORD"),
    ("ClueCon", "127.0.0.1:8021", "ClueCon"),
    ("a-long-random-password", "8021", "host:port"),
])
async def test_freeswitch_without_a_password_or_address_refuses_to_start(
    settings: Settings, password: str | None, address: str, refusal: str
) -> None:
    """The app does not start on FreeSWITCH without an ESL password, with the public default
    one, or with an address that is not host:port."""
    from dashboard.app import create_app

    broken = settings.model_copy(update={
        "telephony": "freeswitch", "freeswitch_esl": address,
        "freeswitch_esl_password": SecretStr(password) if password else None})
    application = create_app(broken)
    with pytest.raises(InsecureSettingsError, match=refusal):
        async with application.router.lifespan_context(application):
            pass


async def test_stopping_the_app_ends_its_call_sockets_with_it(
    settings: Settings, switch: FakeSwitch
) -> None:
    """The app stops while a stranger is in the menu: the call's socket handler ends with the
    app (the next start's recovery reads the switch's channels), none is left to touch the
    stopped call centre when the switch later hangs up."""
    from dashboard.app import create_app

    application = create_app(settings.model_copy(update={
        "telephony": "freeswitch", "freeswitch_esl": f"127.0.0.1:{switch.port}",
        "freeswitch_esl_password": SecretStr(switch.password), "freeswitch_socket_port": 0}))
    async with application.router.lifespan_context(application):
        provider = provider_of(application.state.runtime)
        async with asyncio.timeout(5):
            await provider.connected.wait()
            switch.call_socket = ("127.0.0.1", provider.listening_port)
            channel = await switch.call_in(UNKNOWN)
            await channel.settled(0)
        assert len(provider.sessions) == 1
    assert provider.sessions == {}
