"""Camera frames made from a still photo: what a printed or on-screen photo held up to the
camera looks like. Used by the evaluation's image attacks and by the benchmark."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from liveness.imaging import Image, TimedFrame, decode


@dataclass(frozen=True)
class Presentation:
    """How the photo is shown: shaken, tilted like a door, or replayed on a poor screen."""

    jiggle_px: float = 0.0
    tilt_degrees: float = 0.0
    screen: bool = False


def _canvas(photo: Image, width: int, height: int) -> Image:
    """The photo scaled so the face region fills about half the frame height."""
    scale = min(width / photo.shape[1], height / photo.shape[0]) * 0.95
    small = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((height, width, 3), 90, dtype=np.uint8)
    top = (height - small.shape[0]) // 2
    left = (width - small.shape[1]) // 2
    canvas[top:top + small.shape[0], left:left + small.shape[1]] = small
    return canvas


def _door_tilt(width: int, height: int, degrees: float, shift: tuple[float, float]
               ) -> np.ndarray:
    """The homography of a sheet turned about its vertical axis and moved by ``shift``."""
    squeeze = math.cos(math.radians(abs(degrees)))
    near = 1 + 0.6 * math.sin(math.radians(abs(degrees)))
    half_w, half_h = width / 2, height / 2
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    left_h, right_h = (half_h * near, half_h / near) if degrees > 0 else (half_h / near,
                                                                           half_h * near)
    cx, cy = half_w + shift[0], half_h + shift[1]
    left, right = cx - half_w * squeeze, cx + half_w * squeeze
    moved = np.array([[left, cy - left_h], [right, cy - right_h], [right, cy + right_h],
                      [left, cy + left_h]], dtype=np.float32)
    return np.asarray(cv2.getPerspectiveTransform(corners, moved), dtype=np.float64)


def photo_frames(photo_jpeg: bytes, *, seconds: float, fps: float = 15.0,
                 size: tuple[int, int] = (640, 480), how: Presentation = Presentation(),
                 seed: int = 0) -> list[TimedFrame]:
    photo = decode(photo_jpeg)
    assert photo is not None, "the photo must be a readable image"
    width, height = size
    canvas = _canvas(photo, width, height)
    rng = np.random.default_rng(seed)
    frames = []
    for n in range(int(seconds * fps)):
        t = n / fps
        degrees = how.tilt_degrees * math.sin(2 * math.pi * t / 3.0)
        shift = (float(rng.normal(0, how.jiggle_px)), float(rng.normal(0, how.jiggle_px)))
        matrix = _door_tilt(width, height, degrees, shift)
        frame = np.asarray(cv2.warpPerspective(canvas, matrix, (width, height),
                                               borderValue=(90, 90, 90)), dtype=np.uint8)
        if how.screen:
            frame = _screen_replay(frame, rng)
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                                [cv2.IMWRITE_JPEG_QUALITY, 80])
        assert ok
        frames.append(TimedFrame(t, jpeg.tobytes()))
    return frames


def _screen_replay(frame: Image, rng: np.random.Generator) -> Image:
    """A phone screen filmed by a camera: blur, a colour cast, flicker, banding and noise."""
    blurred = np.asarray(cv2.GaussianBlur(frame, (5, 5), 1.2), dtype=np.float32)
    blurred *= np.array([0.9, 1.0, 1.12], dtype=np.float32) * float(rng.uniform(0.85, 1.05))
    rows = np.arange(frame.shape[0], dtype=np.float32)[:, None, None]
    blurred += 12 * np.sin(rows / 3.0)
    blurred += rng.normal(0, 6, blurred.shape).astype(np.float32)
    result: Image = np.clip(blurred, 0, 255).astype(np.uint8)
    return result
