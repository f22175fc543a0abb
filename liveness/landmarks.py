"""Landmark sequences and the measurements taken from them (68-point iBUG layout)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.float64]  # shape (68, 2), image pixels, x right and y down

RIGHT_EYE = (36, 37, 38, 39, 40, 41)  # the subject's right eye, on the image's left
LEFT_EYE = (42, 43, 44, 45, 46, 47)
INNER_LIPS = (60, 61, 62, 63, 64, 65, 66, 67)
POSE_LANDMARKS = (30, 8, 36, 45, 48, 54)
# A generic head for solvePnP, in the image's axes (x right, y down, z away from the camera):
# nose tip, chin, outer eye corners, mouth corners. Only changes from the baseline are used.
POSE_MODEL = np.array(
    [(0.0, 0.0, 0.0), (0.0, 330.0, 65.0), (-225.0, -170.0, 135.0), (225.0, -170.0, 135.0),
     (-150.0, 150.0, 125.0), (150.0, 150.0, 125.0)],
    dtype=np.float64,
)


@dataclass(frozen=True, eq=False)
class FaceFrame:
    """What one frame showed: when, how many faces, and the landmarks of the tracked one."""

    t: float
    faces: int
    points: Points | None = None
    box: tuple[float, float, float, float] | None = None  # left, top, right, bottom


@dataclass(frozen=True, eq=False)
class LandmarkSequence:
    width: int
    height: int
    frames: list[FaceFrame] = field(default_factory=list)


def _distance(points: Points, a: int, b: int) -> float:
    return float(np.linalg.norm(points[a] - points[b]))


def eye_aspect_ratio(points: Points) -> float:
    """Mean eye aspect ratio of both eyes (height over width)."""
    ratios = []
    for p1, p2, p3, p4, p5, p6 in (RIGHT_EYE, LEFT_EYE):
        height = _distance(points, p2, p6) + _distance(points, p3, p5)
        ratios.append(height / (2.0 * max(_distance(points, p1, p4), 1e-6)))
    return sum(ratios) / 2.0


def mouth_aspect_ratio(points: Points) -> float:
    """Inner-lip opening over mouth width."""
    height = (_distance(points, 61, 67) + _distance(points, 62, 66) + _distance(points, 63, 65))
    return height / (3.0 * max(_distance(points, 60, 64), 1e-6))


def interocular(points: Points) -> float:
    return _distance(points, 36, 45)


@dataclass(frozen=True)
class HeadPose:
    """Where the face points, in degrees: yaw > 0 towards the image's right, pitch > 0 down."""

    yaw: float
    pitch: float


def head_pose(points: Points, width: int, height: int) -> HeadPose:
    """Head pose from six landmarks with cv2.solvePnP against a generic head."""
    focal = float(max(width, height))
    camera = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], dtype=np.float64)
    image_points = np.ascontiguousarray(points[list(POSE_LANDMARKS)], dtype=np.float64)
    ok, rotation, _ = cv2.solvePnP(POSE_MODEL, image_points, camera, np.zeros(4),
                                   flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        return HeadPose(0.0, 0.0)
    matrix, _ = cv2.Rodrigues(rotation)
    facing = matrix @ np.array([0.0, 0.0, -1.0])
    depth = max(-float(facing[2]), 1e-6)
    return HeadPose(math.degrees(math.atan2(float(facing[0]), depth)),
                    math.degrees(math.atan2(float(facing[1]), depth)))


# Points at about the same depth on a real head (eye corners, mouth corners, inner brows): the
# homography is fitted on these, and the nose, which stands out of that plane, is checked.
PLANE_LANDMARKS = (36, 39, 42, 45, 48, 54, 21, 22)
NOSE_LANDMARKS = (30, 33)


def homography_residual(before: Points, after: Points) -> float:
    """How far the nose leaves the homography fitted on the eyes, brows and mouth, per
    inter-ocular distance. A flat photo moved or tilted fits one homography (the nose follows);
    a real head turning does not (the nose moves against the eyes and mouth). Only stable
    landmarks are used: dlib's jaw contour is too noisy on a face seen at an angle."""
    plane = list(PLANE_LANDMARKS)
    matrix, _ = cv2.findHomography(before[plane], after[plane], 0)
    if matrix is None:
        return 0.0
    nose = list(NOSE_LANDMARKS)
    mapped = cv2.perspectiveTransform(before[nose].reshape(-1, 1, 2), matrix).reshape(-1, 2)
    error = float(np.max(np.linalg.norm(mapped - after[nose], axis=1)))
    return error / max(interocular(after), 1e-6)
