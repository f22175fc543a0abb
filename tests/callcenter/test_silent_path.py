"""A stranger who presses nothing reaches an operator's queue within 25 s of the answer on every
network, also where FreeSWITCH offers Mongolian after the Mandarin menu."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter import ivr, prompt_timing, service
from config.settings import Settings
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.callcenter.phones import Phone

UNKNOWN = "+8613700000077"
# Mongolian recorded, the Mandarin menu not: the menu and its offer are spoken, so the fake
# switch times them from their words as the IVR bench does.
MONGOLIAN = ("menu", "menu_repeat", "again", "known", "urgent", "hold", "offer")


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    root = tmp_path / "prompts"
    (root / ivr.MN).mkdir(parents=True)
    for key in MONGOLIAN:
        (root / ivr.MN / f"{key}.wav").write_bytes(b"RIFF")
    return settings.model_copy(update={"freeswitch_prompt_dir": root})


async def test_a_silent_stranger_is_queued_within_twenty_five_seconds(
    phone: Phone, network: str, clock: ManualClock, runtime: Runtime
) -> None:
    """The menu (with the Mongolian offer on FreeSWITCH) and its timeout, then the repeat and
    its timeout, all inside 25 s of the clock: the caller is then on the general queue."""
    call = await phone.dial(UNKNOWN)
    call_id = call["call"]["id"]
    (menu,) = call["actions"]
    assert (ivr.LANGUAGE_OFFER[ivr.MN] in menu["prompt"]) == (network == "freeswitch")
    first = prompt_timing.spoken_seconds(menu["prompt"]) + menu["timeout_seconds"]
    clock.advance(first)
    repeat = await phone.heard(call_id)
    assert [a["type"] for a in repeat["actions"]] == ["gather"]
    clock.advance(prompt_timing.SILENT_TARGET_S - first)
    queued = await phone.heard(call_id)
    assert queued["actions"][-1] == {"type": "enqueue", "queue": "general", "priority": 3}
    async with runtime.sessions() as session:
        path = (await service.get_call(session, call_id)).ivr_path
    assert path == ["menu", "silence", "silence:human"]
