"""Call recording with notice on the simulated network: the notice first, the audio sealed
at rest, listed and played only by supervisors (each playback audited), deleted after the
retention; kinds not configured are not recorded."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from accounts.models import AuditEntry
from accounts.roles import Role
from callcenter.lifespan import callcenter_of
from callcenter.recordings import flows as recordings
from callcenter.recordings.flows import NOTICE, store_of
from config.settings import Settings
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.callcenter.conftest import dial, phone_event, spoken
from tests.conftest import LoginAs

STRANGER = "+8613700000077"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"recording_call_kinds": ["hotline"],
                                       "recording_retention_days": 30.0,
                                       "run_background_tasks": False})


async def recorded_call(client: httpx.AsyncClient, operator: dict[str, str],
                        runtime: Runtime) -> int:
    """A stranger calls 12349 and hangs up; the recording is collected."""
    call = await dial(client, operator, STRANGER)
    await callcenter_of(runtime).drain()
    await phone_event(client, operator, call["call"]["id"], "completed")
    assert await recordings.collect(runtime) == 1
    call_id: int = call["call"]["id"]
    return call_id


async def test_callers_hear_the_notice_before_anything_else(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """With the hotline recorded, the first words a caller hears are the recording notice,
    then the menu as before."""
    operator = await login_as(Role.OPERATOR)
    call = await dial(client, operator, STRANGER)
    first = call["actions"][0]
    assert (first["type"], first["text"], first["language"]) == ("say", NOTICE["zh-CN"], "zh-CN")
    assert "紧急求助，请按1" in spoken(call)


async def test_a_recording_is_sealed_listed_and_played_with_an_audit(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """The audio is stored sealed (no WAV on disk); a supervisor lists it on the call and plays
    it, each playback audited; an operator may do neither."""
    operator = await login_as(Role.OPERATOR)
    supervisor = await login_as(Role.SUPERVISOR)
    call_id = await recorded_call(client, operator, runtime)
    listed = (await client.get(f"/api/v1/calls/{call_id}/recordings",
                               headers=supervisor)).json()
    assert [(r["call_id"], r["state"]) for r in listed] == [(call_id, "stored")]
    on_disk = store_of(runtime).path(listed[0]["id"]).read_bytes()
    assert b"RIFF" not in on_disk and b"WAVE" not in on_disk
    url = f"/api/v1/recordings/{listed[0]['id']}/audio"
    for _ in range(2):
        played = await client.get(url, headers=supervisor)
        assert played.status_code == 200 and played.content[:4] == b"RIFF"
        assert played.headers["content-type"] == "audio/wav"
    assert (await client.get(url, headers=operator)).status_code == 403
    assert (await client.get(f"/api/v1/calls/{call_id}/recordings",
                             headers=operator)).status_code == 403
    async with runtime.sessions() as session:
        plays = (await session.scalars(select(AuditEntry.actor).where(
            AuditEntry.action == "recording.played"))).all()
    assert plays == ["test_supervisor", "test_supervisor"]


async def test_recordings_are_deleted_after_the_retention(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime,
        clock: ManualClock) -> None:
    """Past the retention the sealed file is deleted and playback answers 409."""
    operator = await login_as(Role.OPERATOR)
    call_id = await recorded_call(client, operator, runtime)
    assert await recordings.purge_expired(runtime) == 0
    clock.advance(31 * 86400)
    assert await recordings.purge_expired(runtime) == 1
    supervisor = await login_as(Role.SUPERVISOR)
    (listed,) = (await client.get(f"/api/v1/calls/{call_id}/recordings",
                                  headers=supervisor)).json()
    assert listed["state"] == "purged"
    assert not store_of(runtime).path(listed["id"]).exists()
    gone = await client.get(f"/api/v1/recordings/{listed['id']}/audio", headers=supervisor)
    assert gone.status_code == 409


async def test_kinds_not_configured_are_not_recorded(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime,
        settings: Settings) -> None:
    """With recording off for the hotline, no notice is played and nothing is recorded."""
    runtime.settings = settings.model_copy(update={"recording_call_kinds": ["alarm_callback"]})
    operator = await login_as(Role.OPERATOR)
    call = await dial(client, operator, STRANGER)
    assert NOTICE["zh-CN"] not in spoken(call)
    await callcenter_of(runtime).drain()
    await phone_event(client, operator, call["call"]["id"], "completed")
    assert await recordings.collect(runtime) == 0
