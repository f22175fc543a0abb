"""Answer-to-queue times computed from the IVR's own prompts and Gather timeouts."""

from __future__ import annotations

import itertools
import json

import pytest
from typer.testing import CliRunner

from callcenter import ivr, prompt_timing
from callcenter.port import Enqueue, Gather, Say
from dashboard.cli import app


def test_registered_senior_is_queued_within_ten_seconds() -> None:
    """Greeting by name, then the queue: within 10 s of answer, in either language."""
    for language in (ivr.ZH, ivr.EN):
        first = ivr.start(known=True, name=prompt_timing.SAMPLE_NAME, language=language)
        assert prompt_timing.seconds_to_queue(first) <= prompt_timing.REGISTERED_TARGET_S


def test_silent_stranger_is_queued_within_twenty_five_seconds() -> None:
    """Menu, its timeout, the short repeat, its timeout, the queue: within 25 s."""
    assert prompt_timing.seconds_to_queue(ivr.start()) <= prompt_timing.SILENT_TARGET_S


def test_silent_stranger_offered_mongolian_is_queued_within_twenty_five_seconds() -> None:
    """Where every recorded-only language is offered after the Mandarin menu (FreeSWITCH with
    the Mongolian recordings), a silent stranger still reaches the queue within 25 s."""
    offered = ivr.start(recorded=ivr.RECORDED_ONLY)
    (menu,) = offered.actions
    assert isinstance(menu, Gather) and ivr.LANGUAGE_OFFER[ivr.MN] in menu.prompt
    assert prompt_timing.seconds_to_queue(offered) <= prompt_timing.SILENT_TARGET_S


def test_no_key_sequence_loops_or_hangs_up() -> None:
    """Every sequence of up to three keys, then silence, ends in a queue."""
    keys = "0123456789*#"
    for length in range(4):
        for pressed in itertools.product(keys, repeat=length):
            assert prompt_timing.seconds_to_queue(ivr.start(), pressed) > 0


def test_spoken_length_counts_characters_words_and_pauses() -> None:
    """Mandarin by character, English by word, both at the slow prompt rate, plus pauses."""
    zh = 1 / (prompt_timing.ZH_CHARS_PER_SECOND * prompt_timing.SPEECH_RATE)
    en = 1 / (prompt_timing.EN_WORDS_PER_SECOND * prompt_timing.SPEECH_RATE)
    assert prompt_timing.spoken_seconds("您好") == pytest.approx(2 * zh)
    assert prompt_timing.spoken_seconds("按12349。") == pytest.approx(
        6 * zh + prompt_timing.PAUSE_SECONDS)
    assert prompt_timing.spoken_seconds("Press 1 now") == pytest.approx(3 * en)


def test_time_to_queue_is_the_speech_before_the_enqueue_plus_waited_timeouts() -> None:
    """A path's time: every prompt before the Enqueue, and each Gather timeout waited out."""
    first = ivr.start()
    menu = next(a for a in first.actions if isinstance(a, Gather))
    chosen = ivr.on_digits(first.state, "2")
    said = next(a for a in chosen.actions if isinstance(a, Say))
    assert isinstance(chosen.actions[-1], Enqueue)
    assert prompt_timing.seconds_to_queue(first, "2") == pytest.approx(
        prompt_timing.spoken_seconds(menu.prompt) + prompt_timing.spoken_seconds(said.text))
    assert prompt_timing.silence_after(first.actions) == pytest.approx(
        prompt_timing.spoken_seconds(menu.prompt) + menu.timeout_seconds)
    assert prompt_timing.silence_after(chosen.actions) is None


def test_bench_line_reports_both_bounds() -> None:
    """The figures `anxin bench ivr` prints are the same computed times, within target."""
    figures = prompt_timing.queue_times()
    assert figures["registered_queued_s"] <= figures["registered_target_s"] == 10
    assert figures["silent_queued_s"] <= figures["silent_target_s"] == 25
    assert figures["silent_queued_s"] < figures["silent_offered_queued_s"] <= 25


def test_anxin_bench_ivr_prints_one_json_line() -> None:
    """`anxin bench ivr` prints the figures as one JSON line."""
    result = CliRunner().invoke(app, ["bench", "ivr"])
    assert result.exit_code == 0, result.output
    (line,) = result.output.splitlines()
    assert json.loads(line) == {"bench": "ivr", **prompt_timing.queue_times()}
