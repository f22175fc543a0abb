"""Enrolment photos, 1:1 identity on the test photos, and sealed templates."""

from __future__ import annotations

import pytest

from config.keys import BiometricKey
from liveness.decision import Outcome, Thresholds, judge_identity
from liveness.exceptions import TemplateKeyError
from liveness.imaging import PhotoVerdict
from liveness.templates import open_template, seal_template


def test_two_people_photo_is_refused(judged: dict[str, PhotoVerdict]) -> None:
    """An enrolment photo with two faces is refused with that reason."""
    assert judged["two_people"].reason == "more_than_one_face"
    assert judged["two_people"].template is None


def test_cut_off_and_tiny_faces_are_refused(judged: dict[str, PhotoVerdict]) -> None:
    """A face cut by the frame edge, or too small, is refused; good portraits are not."""
    assert judged["obama_partial_face"].reason == "face_cut_off"
    assert judged["obama-240p"].reason == "face_too_small"
    assert judged["obama"].reason is None and judged["biden"].reason is None


def test_same_person_accepted_other_person_rejected(templates: dict[str, list[float]]) -> None:
    """obama2 against obama's template passes; biden against it fails."""
    enrolled = [templates["obama"]]
    same = judge_identity([templates["obama2"], templates["obama2"]], enrolled, Thresholds())
    other = judge_identity([templates["biden"], templates["biden"]], enrolled, Thresholds())
    assert same.outcome == Outcome.PASS and same.scores["distance_worst"] <= 0.45
    assert other.outcome == Outcome.FAIL and other.reasons == ["identity_mismatch"]


def test_swap_mid_session_and_photo_replay_are_caught(templates: dict[str, list[float]]) -> None:
    """Different faces across chosen frames fail; the enrolment photo itself is flagged."""
    enrolled = [templates["obama"]]
    swap = judge_identity([templates["obama2"], templates["biden"]], enrolled, Thresholds())
    replay = judge_identity([templates["obama"], templates["obama"]], enrolled, Thresholds())
    assert swap.outcome == Outcome.FAIL and "face_changed" in swap.reasons
    assert replay.outcome == Outcome.REVIEW and "possible_photo_replay" in replay.reasons


def test_template_round_trip_and_wrong_key(templates: dict[str, list[float]]) -> None:
    """A sealed template opens with its key and senior, and not with another key or senior."""
    key = BiometricKey.of("a" * 40).templates
    sealed = seal_template(key, templates["obama"], senior_id=7)
    assert open_template(key, sealed, senior_id=7) == templates["obama"]
    with pytest.raises(TemplateKeyError):
        open_template(BiometricKey.of("b" * 40).templates, sealed, senior_id=7)
    with pytest.raises(TemplateKeyError):
        open_template(key, sealed, senior_id=8)
