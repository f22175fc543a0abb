"""The liveness rules on synthetic landmark sequences: real heads pass, photos do not."""

from __future__ import annotations

import random

import pytest

from liveness.actions import Action, script_for
from liveness.detectors import judge_liveness
from liveness.synthetic import Performance, live_sequence, photo_sequence


@pytest.mark.parametrize("actions", [
    [Action.BLINK, Action.OPEN_MOUTH],
    [Action.TURN_LEFT, Action.NOD],
    [Action.TURN_RIGHT, Action.BLINK, Action.OPEN_MOUTH],
])
def test_an_older_person_doing_the_script_is_live(actions: list[Action]) -> None:
    """Slow, small, noisy movements of a real head still pass every scripted action."""
    script = script_for(actions)
    for seed in range(3):
        who = Performance.of_an_older_person(random.Random(seed))
        findings = judge_liveness(live_sequence(script, who=who, seed=seed), script)
        assert findings.reasons == [], (seed, findings.scores)
        assert len(findings.chosen_frames) >= 2


def test_a_missed_action_is_named() -> None:
    """Doing the wrong action in a window fails with that action not seen."""
    asked = script_for([Action.BLINK, Action.TURN_LEFT])
    done = script_for([Action.BLINK, Action.TURN_RIGHT])
    findings = judge_liveness(live_sequence(done, seed=1), asked)
    assert "turn_left_not_seen" in findings.reasons
    assert "blink_not_seen" not in findings.reasons


def test_a_still_photo_is_still_and_shows_no_action() -> None:
    """A photo held still: no motion, no blink, no turn."""
    script = script_for([Action.BLINK, Action.TURN_LEFT, Action.OPEN_MOUTH])
    findings = judge_liveness(photo_sequence(seconds=script[-1].ends_at), script)
    assert "still_image" in findings.reasons
    assert {"blink_not_seen", "turn_left_not_seen", "open_mouth_not_seen"} <= set(
        findings.reasons)


@pytest.mark.parametrize("seed", range(4))
def test_a_jiggled_photo_yields_no_event(seed: int) -> None:
    """Shaking a photo moves it but never makes a blink, a mouth, a turn or a nod."""
    script = script_for([Action.BLINK, Action.OPEN_MOUTH, Action.NOD])
    sequence = photo_sequence(seconds=script[-1].ends_at, jiggle=1.0, seed=seed)
    findings = judge_liveness(sequence, script)
    assert not any(f.found for f in findings.actions), findings.scores
    assert "still_image" not in findings.reasons


def test_a_tilted_photo_reads_as_a_turn_but_is_flat() -> None:
    """A photo turned like a door fakes a head turn; the parallax check rejects it."""
    script = script_for([Action.TURN_LEFT])
    findings = judge_liveness(photo_sequence(seconds=script[-1].ends_at, tilt_degrees=40),
                              script)
    assert findings.actions[0].found
    assert "flat_face" in findings.reasons


def test_two_faces_in_frame_fail() -> None:
    """A second face in any frame fails the check."""
    script = script_for([Action.BLINK, Action.OPEN_MOUTH])
    sequence = live_sequence(script, seed=2)
    sequence.frames[30] = type(sequence.frames[30])(sequence.frames[30].t, 2)
    assert "multiple_faces" in judge_liveness(sequence, script).reasons
