"""Pure verdicts: liveness findings plus 1:1 identity distances become pass, review or fail."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from liveness.detectors import LivenessFindings


class Outcome(StrEnum):
    PASS = "pass"
    REVIEW = "review"
    FAIL = "fail"


@dataclass(frozen=True)
class Thresholds:
    """Face-distance policy (dlib 128-d, Euclidean): calibrated, not face_recognition's 0.6."""

    accept: float = 0.45
    review: float = 0.55
    replay: float = 0.12
    same_face: float = 0.6  # chosen frames of one session farther apart than this: a swap

    def as_dict(self) -> dict[str, float]:
        return {"accept": self.accept, "review": self.review, "replay": self.replay,
                "same_face": self.same_face}


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reasons: list[str]
    scores: dict[str, float] = field(default_factory=dict)


def distance(a: list[float], b: list[float]) -> float:
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


def judge_identity(encodings: Sequence[list[float] | None], templates: list[list[float]],
                   thresholds: Thresholds) -> Verdict:
    """1:1 against the senior's own templates on the chosen frames, never 1:N."""
    if not templates:
        return Verdict(Outcome.FAIL, ["not_enrolled"])
    found = [e for e in encodings if e is not None]
    if len(found) < 2 or len(found) < len(encodings):
        return Verdict(Outcome.FAIL, ["face_not_found"])
    nearest = [min(distance(e, t) for t in templates) for e in found]
    spread = max(distance(a, b) for i, a in enumerate(found) for b in found[i + 1:])
    scores = {"distance_worst": round(max(nearest), 4), "distance_best": round(min(nearest), 4),
              "distance_between_frames": round(spread, 4)}
    if spread > thresholds.same_face:
        return Verdict(Outcome.FAIL, ["face_changed"], scores)
    if max(nearest) > thresholds.review:
        return Verdict(Outcome.FAIL, ["identity_mismatch"], scores)
    reasons = []
    if max(nearest) > thresholds.accept:
        reasons.append("identity_uncertain")
    if min(nearest) < thresholds.replay:
        reasons.append("possible_photo_replay")
    return Verdict(Outcome.REVIEW if reasons else Outcome.PASS, reasons, scores)


def decide(findings: LivenessFindings, identity: Verdict | None) -> Verdict:
    """Any liveness failure fails; otherwise the identity verdict stands."""
    scores = dict(findings.scores)
    if not findings.live or identity is None:
        reasons = list(findings.reasons)
        if identity is not None:
            scores.update(identity.scores)
            reasons += [r for r in identity.reasons if r not in reasons]
        return Verdict(Outcome.FAIL, reasons or ["face_not_found"], scores)
    scores.update(identity.scores)
    return Verdict(identity.outcome, list(identity.reasons), scores)
