"""Pure liveness judgement on landmark sequences: each action against the person's baseline.

Nothing here touches images, so the rules are tested on synthetic sequences."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from liveness.actions import Action, ScriptStep
from liveness.landmarks import (
    HeadPose,
    LandmarkSequence,
    eye_aspect_ratio,
    head_pose,
    homography_residual,
    interocular,
    mouth_aspect_ratio,
)


@dataclass(frozen=True)
class LivenessRules:
    """The thresholds of the rules; see docs/liveness.md for where each comes from."""

    blink_ratio: float = 0.7  # EAR below this fraction of the running median is "closed"
    blink_min_frames: int = 2
    blink_recovery_ratio: float = 0.85
    mouth_rise: float = 0.25  # MAR above the baseline by this much is "open"
    mouth_min_frames: int = 2
    turn_degrees: float = 15.0
    nod_degrees: float = 10.0
    return_degrees: float = 8.0
    parallax_min: float = 0.035  # nose off the eyes-and-mouth homography, per eye distance
    planar_share_max: float = 0.85  # face texture carried by one homography: a flat photo
    still_motion_max: float = 0.01  # landmark spread per inter-ocular distance
    min_face_share: float = 0.7


@dataclass(frozen=True)
class ActionFinding:
    action: Action
    found: bool
    at: float | None = None  # seconds from the first frame
    frame: int | None = None  # the frame of the peak
    score: float = 0.0


@dataclass(frozen=True)
class LivenessFindings:
    """What the sequence shows: each scripted action, the reasons it fails, the chosen frames."""

    actions: list[ActionFinding]
    reasons: list[str]
    scores: dict[str, float]
    chosen_frames: list[int] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class _Track:
    """Per-frame measurements of the frames where exactly one face was tracked."""

    index: list[int]
    t: list[float]
    ear: list[float]
    mar: list[float]
    pose: list[HeadPose]


def _track(sequence: LandmarkSequence) -> _Track:
    track = _Track([], [], [], [], [])
    for i, frame in enumerate(sequence.frames):
        if frame.faces != 1 or frame.points is None:
            continue
        track.index.append(i)
        track.t.append(frame.t)
        track.ear.append(eye_aspect_ratio(frame.points))
        track.mar.append(mouth_aspect_ratio(frame.points))
        track.pose.append(head_pose(frame.points, sequence.width, sequence.height))
    return track


def _baseline_count(track: _Track, baseline_end: float) -> int:
    return max(3, sum(1 for t in track.t if t <= baseline_end))


def _in_window(track: _Track, step: ScriptStep) -> list[int]:
    return [k for k, t in enumerate(track.t) if step.starts_at <= t <= step.ends_at]


def find_blink(track: _Track, step: ScriptStep, rules: LivenessRules) -> ActionFinding:
    """EAR under blink_ratio × the running median for blink_min_frames, then recovery."""
    closed_run = 0
    deepest = 1.0
    for k in _in_window(track, step):
        median = statistics.median(track.ear[max(0, k - 45):k] or track.ear[:1])
        ratio = track.ear[k] / max(median, 1e-6)
        if ratio < rules.blink_ratio:
            closed_run += 1
            deepest = min(deepest, ratio)
        elif closed_run >= rules.blink_min_frames and ratio >= rules.blink_recovery_ratio:
            return ActionFinding(Action.BLINK, True, track.t[k], track.index[k], 1.0 - deepest)
        elif ratio >= rules.blink_recovery_ratio:
            closed_run = 0
    return ActionFinding(Action.BLINK, False, score=1.0 - deepest)


def find_mouth(track: _Track, step: ScriptStep, rules: LivenessRules, baseline: int
               ) -> ActionFinding:
    """Inner-lip opening above the person's own closed-mouth baseline for a few frames."""
    neutral = statistics.median(track.mar[:baseline])
    run, best, best_k = 0, 0.0, -1
    for k in _in_window(track, step):
        rise = track.mar[k] - neutral
        if rise > best:
            best, best_k = rise, k
        run = run + 1 if rise >= rules.mouth_rise else 0
        if run >= rules.mouth_min_frames:
            return ActionFinding(Action.OPEN_MOUTH, True, track.t[k], track.index[best_k], best)
    return ActionFinding(Action.OPEN_MOUTH, False, score=best)


def _pose_finding(track: _Track, step: ScriptStep, baseline: int, threshold: float,
                  value: Callable[[HeadPose], float]) -> ActionFinding:
    """The angle reaches the threshold relative to the baseline pose inside the window."""
    neutral = statistics.median(value(p) for p in track.pose[:baseline])
    best, best_k = 0.0, -1
    for k in _in_window(track, step):
        change = value(track.pose[k]) - neutral
        if change > best:
            best, best_k = change, k
    found = best >= threshold
    return ActionFinding(step.action, found, track.t[best_k] if found else None,
                         track.index[best_k] if found else None, best)


def find_action(track: _Track, step: ScriptStep, rules: LivenessRules, baseline: int
                ) -> ActionFinding:
    match step.action:
        case Action.BLINK:
            return find_blink(track, step, rules)
        case Action.OPEN_MOUTH:
            return find_mouth(track, step, rules, baseline)
        case Action.TURN_LEFT:  # the senior's left is the image's right (frames not mirrored)
            return _pose_finding(track, step, baseline, rules.turn_degrees, lambda p: p.yaw)
        case Action.TURN_RIGHT:
            return _pose_finding(track, step, baseline, rules.turn_degrees, lambda p: -p.yaw)
        case Action.NOD:
            return _pose_finding(track, step, baseline, rules.nod_degrees, lambda p: abs(p.pitch))


def _points(sequence: LandmarkSequence, index: int) -> np.ndarray:
    points = sequence.frames[index].points
    assert points is not None
    return points


def parallax(sequence: LandmarkSequence, baseline_frame: int, moved_frame: int) -> float:
    return homography_residual(_points(sequence, baseline_frame), _points(sequence, moved_frame))


def motion_spread(sequence: LandmarkSequence, track: _Track) -> float:
    """How far the landmarks move over the session, after removing where the face sits."""
    shapes = []
    for i in track.index:
        points = _points(sequence, i)
        centred = points - points.mean(axis=0)
        shapes.append(centred / max(interocular(points), 1e-6))
    if len(shapes) < 2:
        return 0.0
    return float(np.max(np.std(np.stack(shapes), axis=0)))


def judge_liveness(sequence: LandmarkSequence, script: list[ScriptStep],
                   rules: LivenessRules | None = None) -> LivenessFindings:
    """Every scripted action inside its window, depth on turns and nods, one face, motion."""
    rules = rules or LivenessRules()
    reasons: list[str] = []
    if any(frame.faces > 1 for frame in sequence.frames):
        reasons.append("multiple_faces")
    track = _track(sequence)
    share = len(track.index) / max(len(sequence.frames), 1)
    scores: dict[str, float] = {"face_share": round(share, 3)}
    if share < rules.min_face_share or len(track.index) < 6:
        return LivenessFindings([], [*reasons, "face_not_found"], scores)
    baseline = _baseline_count(track, script[0].starts_at if script else 1.5)
    spread = motion_spread(sequence, track)
    scores["motion"] = round(spread, 4)
    if spread < rules.still_motion_max:
        reasons.append("still_image")
    findings = [find_action(track, step, rules, baseline) for step in script]
    for finding in findings:
        scores[f"{finding.action.value}_score"] = round(finding.score, 3)
        if not finding.found:
            reasons.append(f"{finding.action.value}_not_seen")
    reasons.extend(_depth_reasons(sequence, track, findings, baseline, rules, scores))
    chosen = _choose_frames(track, findings, baseline)
    return LivenessFindings(findings, reasons, scores, chosen)


def _depth_reasons(sequence: LandmarkSequence, track: _Track, findings: list[ActionFinding],
                   baseline: int, rules: LivenessRules, scores: dict[str, float]) -> list[str]:
    """A turn or nod must bend the landmarks out of one plane; a tilted photo does not."""
    reasons = []
    reference = track.index[baseline // 2]
    for finding in findings:
        if not finding.found or finding.frame is None:
            continue
        if finding.action not in DEPTH_ACTIONS:
            continue
        residual = parallax(sequence, reference, finding.frame)
        scores[f"{finding.action.value}_parallax"] = round(residual, 4)
        if residual < rules.parallax_min:
            reasons.append("flat_face")
    return reasons


def _choose_frames(track: _Track, findings: list[ActionFinding], baseline: int) -> list[int]:
    """Frames to encode: mid-baseline, one during an action (the most frontal), the last."""
    chosen = [track.index[baseline // 2]]
    during = [f for f in findings if f.found and f.at is not None]
    if during and during[0].at is not None:
        at = during[0].at
        near = [k for k, t in enumerate(track.t) if abs(t - at) <= 0.7] or [baseline]
        frontal = min(near, key=lambda k: abs(track.pose[k].yaw) + abs(track.pose[k].pitch))
        chosen.append(track.index[frontal])
    chosen.append(track.index[-1])
    return list(dict.fromkeys(chosen))


DEPTH_ACTIONS = (Action.TURN_LEFT, Action.TURN_RIGHT, Action.NOD)


def with_texture_depth(findings: LivenessFindings, planarity: dict[Action, float | None],
                       rules: LivenessRules | None = None) -> LivenessFindings:
    """Add the image-side depth check: a turn or nod whose face texture moves as one plane is
    a tilted photo, whatever the landmarks say."""
    rules = rules or LivenessRules()
    scores = dict(findings.scores)
    flat = False
    for action, share in planarity.items():
        if share is None:
            continue
        scores[f"{action.value}_planarity"] = round(share, 3)
        flat = flat or share >= rules.planar_share_max
    reasons = list(findings.reasons)
    if flat and "flat_face" not in reasons:
        reasons.append("flat_face")
    return LivenessFindings(findings.actions, reasons, scores, findings.chosen_frames)
