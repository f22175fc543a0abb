"""Synthetic landmark sequences: a 3-D model head that acts out a script, and flat photos that
are held still, jiggled or tilted. Used by the tests and by ``anxin liveness eval``."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from liveness.actions import Action, ScriptStep
from liveness.landmarks import FaceFrame, LandmarkSequence, Points

WIDTH, HEIGHT, FOCAL = 640, 480, 640.0
HEAD_DISTANCE = 450.0  # millimetres from the camera to the head's centre of rotation
PIVOT_DEPTH = 80.0  # the neck pivot sits this far behind the nose tip


def model_head(eye_open: float = 1.0, mouth_open: float = 0.0) -> Points:
    """68 points of a generic head (mm; x right, y down, z away from the camera; nose tip at 0).
    ``eye_open`` 1 is a normal open eye, 0 closed; ``mouth_open`` is the lip gap in mm."""
    points: list[tuple[float, float, float]] = []
    for i in range(17):  # jaw, ear to ear through the chin
        a = math.pi * i / 16
        points.append((-70 * math.cos(a), -30 + 95 * math.sin(a), 20 + 70 * (1 - math.sin(a))))
    for side in (-1, 1):  # brows, outer to inner on the image's left, inner to outer on the right
        xs = [-60, -49, -38, -26, -15] if side < 0 else [15, 26, 38, 49, 60]
        for j, x in enumerate(xs):
            points.append((x, -50 - 8 * math.sin(math.pi * j / 4), 25 + 15 * abs(x) / 60))
    points += [(0, -38, 20), (0, -25, 12), (0, -12, 5), (0, 0, 0)]  # nose bridge to tip
    points += [(-15, 8, 12), (-8, 10, 9), (0, 11, 8), (8, 10, 9), (15, 8, 12)]  # nostrils
    h = 4.5 * eye_open
    for cx, inner_first in ((-30, False), (30, True)):
        outer, inner = (cx - 15, cx + 15) if not inner_first else (cx + 15, cx - 15)
        first, last = (outer, inner) if not inner_first else (inner, outer)
        step = (last - first) / 3
        points += [(first, -35, 28), (first + step, -35 - h, 26), (first + 2 * step, -35 - h, 26),
                   (last, -35, 28), (first + 2 * step, -35 + h, 26), (first + step, -35 + h, 26)]
    m = mouth_open
    points += [(-25, 30, 20), (-15, 25, 14), (-6, 23, 12), (0, 24, 12), (6, 23, 12), (15, 25, 14),
               (25, 30, 20), (15, 37 + m, 14), (6, 40 + m, 12), (0, 40 + m, 12),
               (-6, 40 + m, 12), (-15, 37 + m, 14)]
    points += [(-20, 30, 18), (-7, 28, 13), (0, 28, 13), (7, 28, 13), (20, 30, 18),
               (7, 32 + m, 13), (0, 32 + m, 13), (-7, 32 + m, 13)]
    return np.array(points, dtype=np.float64)


def rotation(yaw: float, pitch: float, roll: float = 0.0) -> np.ndarray:
    """Rotation that points the face ``yaw`` degrees to the image's right, ``pitch`` down."""
    y, p, r = (math.radians(v) for v in (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, -math.sin(y)], [0, 1, 0], [math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    result: np.ndarray = rz @ rx @ ry
    return result


def project(points3d: np.ndarray, *, yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0,
            shift: tuple[float, float] = (0.0, 0.0), pivot: float = PIVOT_DEPTH) -> Points:
    """Turn the points about a pivot ``pivot`` mm behind the nose tip and project them."""
    centre = np.array([0.0, 0.0, pivot])
    turned = (points3d - centre) @ rotation(yaw, pitch, roll).T + centre
    turned[:, 0] += shift[0]
    turned[:, 1] += shift[1]
    depth = turned[:, 2] + HEAD_DISTANCE - pivot
    return np.stack([FOCAL * turned[:, 0] / depth + WIDTH / 2,
                     FOCAL * turned[:, 1] / depth + HEIGHT / 2], axis=1)


@dataclass(frozen=True)
class Performance:
    """How one person acts out a script: reaction time, strength and speed of movement."""

    reaction: float = 1.2
    turn_degrees: float = 24.0
    nod_degrees: float = 16.0
    eye_open: float = 1.0
    mouth_gap: float = 18.0
    blink_seconds: float = 0.3
    noise_px: float = 0.8
    sway_degrees: float = 1.5

    @classmethod
    def of_an_older_person(cls, rng: random.Random) -> Performance:
        return cls(reaction=rng.uniform(0.6, 2.2), turn_degrees=rng.uniform(19, 32),
                   nod_degrees=rng.uniform(13, 22), eye_open=rng.uniform(0.75, 1.25),
                   mouth_gap=rng.uniform(12, 24), blink_seconds=rng.uniform(0.2, 0.45),
                   noise_px=rng.uniform(0.4, 1.2), sway_degrees=rng.uniform(0.5, 2.5))


def _bump(t: float, start: float, length: float) -> float:
    """0 → 1 → 0 smoothly over ``length`` seconds from ``start``."""
    if not start <= t <= start + length:
        return 0.0
    return math.sin(math.pi * (t - start) / length)


def _pose_at(t: float, script: list[ScriptStep], who: Performance) -> tuple[float, float, float,
                                                                              float]:
    yaw = pitch = closed = mouth = 0.0
    for step in script:
        begin = step.starts_at + who.reaction
        match step.action:
            case Action.BLINK:
                closed = max(closed, min(1.0, 1.6 * _bump(t, begin, who.blink_seconds + 0.15)))
            case Action.OPEN_MOUTH:
                mouth = max(mouth, who.mouth_gap * min(1.0, 1.5 * _bump(t, begin, 1.4)))
            case Action.TURN_LEFT:
                yaw += who.turn_degrees * _bump(t, begin, 2.0)
            case Action.TURN_RIGHT:
                yaw -= who.turn_degrees * _bump(t, begin, 2.0)
            case Action.NOD:
                pitch += who.nod_degrees * _bump(t, begin, 1.6)
    return yaw, pitch, closed, mouth


def live_sequence(script: list[ScriptStep], *, who: Performance | None = None, fps: float = 15.0,
                  seed: int = 0) -> LandmarkSequence:
    """A real (3-D) head acting out the script, with sway and landmark jitter."""
    who = who or Performance()
    rng = np.random.default_rng(seed)
    end = (script[-1].ends_at if script else 3.0) + 0.3
    frames = []
    sway_yaw = sway_pitch = 0.0
    for n in range(int(end * fps)):
        t = n / fps
        sway_yaw = 0.9 * sway_yaw + rng.normal(0, who.sway_degrees * 0.3)
        sway_pitch = 0.9 * sway_pitch + rng.normal(0, who.sway_degrees * 0.3)
        yaw, pitch, closed, mouth = _pose_at(t, script, who)
        head = model_head(eye_open=who.eye_open * (1 - 0.85 * closed), mouth_open=mouth)
        points = project(head, yaw=yaw + sway_yaw, pitch=pitch + sway_pitch,
                         shift=(rng.normal(0, 1.5), rng.normal(0, 1.5)))
        frames.append(FaceFrame(t, 1, points + rng.normal(0, who.noise_px, points.shape)))
    return LandmarkSequence(WIDTH, HEIGHT, frames)


def flat_photo() -> np.ndarray:
    """The frontal face pressed flat onto a sheet of paper (all points at the nose's depth)."""
    head = model_head()
    head[:, 2] = 0.0
    return head


def photo_sequence(*, seconds: float, fps: float = 15.0, tilt_degrees: float = 0.0,
                   jiggle: float = 0.0, noise_px: float = 0.6, seed: int = 0,
                   ) -> LandmarkSequence:
    """A printed photo held up to the camera: still (jiggle 0), shaken by hand (jiggle > 0),
    or turned like a door by up to ``tilt_degrees`` and back to imitate a head turn or nod."""
    rng = np.random.default_rng(seed)
    sheet = flat_photo()
    frames = []
    for n in range(int(seconds * fps)):
        t = n / fps
        swing = tilt_degrees * math.sin(math.pi * t / seconds) ** 2 * math.sin(2 * math.pi * t / 4)
        yaw = swing + jiggle * rng.normal(0, 3)
        pitch = (swing * 0.5 if n % 2 else 0.0) + jiggle * rng.normal(0, 3)
        roll = jiggle * rng.normal(0, 4)
        shift = (jiggle * rng.normal(0, 8), jiggle * rng.normal(0, 8))
        points = project(sheet, yaw=yaw, pitch=pitch, roll=roll, shift=shift, pivot=0.0)
        frames.append(FaceFrame(t, 1, points + rng.normal(0, noise_px, points.shape)))
    return LandmarkSequence(WIDTH, HEIGHT, frames)
