"""The image side, run inside worker processes: photos and frames become landmarks and
encodings. dlib's models load on first use in each worker, never in the web process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from liveness.image_format import PHOTO_LIMITS, ImageRefused, check_image
from liveness.landmarks import FaceFrame, LandmarkSequence

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class PhotoRules:
    """What makes an enrolment photo usable."""

    min_face_px: int = 80
    min_sharpness: float = 40.0  # variance of the Laplacian of the face crop
    min_brightness: float = 50.0
    max_brightness: float = 215.0
    max_side: int = 1000


@dataclass(frozen=True)
class PhotoVerdict:
    """An enrolment photo judged: the template when usable, else the reason it is refused."""

    reason: str | None
    template: list[float] | None = None
    sharpness: float = 0.0
    brightness: float = 0.0


@dataclass(frozen=True)
class TimedFrame:
    t: float
    jpeg: bytes


def _models() -> Any:
    import face_recognition.api as api  # loads dlib's models: only inside workers

    return api


def decode(jpeg: bytes) -> Image | None:
    """RGB pixels, or None when the bytes are not a whole JPEG or PNG within the photo limits
    (checked from the header first: OpenCV would decode any format, at any claimed size)."""
    try:
        check_image(jpeg, PHOTO_LIMITS)
    except ImageRefused:
        return None
    array = np.frombuffer(jpeg, dtype=np.uint8)
    bgr = cv2.imdecode(array, cv2.IMREAD_COLOR)
    if bgr is None:
        return None
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def shrink(image: Image, width: int) -> tuple[Image, float]:
    """The image at most ``width`` wide, and the factor applied."""
    if image.shape[1] <= width:
        return image, 1.0
    scale = width / image.shape[1]
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.uint8), scale


def judge_photo(jpeg: bytes, rules: PhotoRules) -> PhotoVerdict:
    """Exactly one face, big enough, inside the picture, sharp and lit; then its template."""
    image = decode(jpeg)
    if image is None:
        return PhotoVerdict("not_an_image")
    small, scale = shrink(image, rules.max_side)
    api = _models()
    boxes = api.face_detector(small, 1)
    if len(boxes) == 0:
        return PhotoVerdict("no_face")
    if len(boxes) > 1:
        return PhotoVerdict("more_than_one_face")
    box = boxes[0]
    if min(box.width(), box.height()) / scale < rules.min_face_px:
        return PhotoVerdict("face_too_small")
    shape = api.pose_predictor_68_point(small, box)
    points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
    inside = ((points[:, 0] >= 0) & (points[:, 0] < small.shape[1]) & (points[:, 1] >= 0)
              & (points[:, 1] < small.shape[0]))
    if not bool(inside.all()):
        return PhotoVerdict("face_cut_off")
    sharpness, brightness = _crop_quality(small, box)
    if sharpness < rules.min_sharpness:
        return PhotoVerdict("blurry", sharpness=sharpness, brightness=brightness)
    if brightness < rules.min_brightness:
        return PhotoVerdict("too_dark", sharpness=sharpness, brightness=brightness)
    if brightness > rules.max_brightness:
        return PhotoVerdict("too_bright", sharpness=sharpness, brightness=brightness)
    encoding = api.face_encoder.compute_face_descriptor(small, shape, 1)
    return PhotoVerdict(None, [float(v) for v in encoding], sharpness, brightness)


def _crop_quality(image: Image, box: Any) -> tuple[float, float]:
    top, bottom = max(box.top(), 0), min(box.bottom(), image.shape[0])
    left, right = max(box.left(), 0), min(box.right(), image.shape[1])
    grey = cv2.cvtColor(image[top:bottom, left:right], cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var()), float(grey.mean())


def track_landmarks(frames: list[TimedFrame], width: int = 320, detect_every: int = 1
                    ) -> list[FaceFrame]:
    """68 landmarks per frame on downscaled frames. HOG (about 10 ms at 320 px) runs on every
    ``detect_every``-th frame and counts the faces; frames between reuse its box. Keep it at 1:
    with a reused box a shaken photo's eye landmarks dipped to half their height in one frame
    (a near false blink), against none with a fresh box on every frame."""
    api = _models()
    result: list[FaceFrame] = []
    box: Any = None
    for n, frame in enumerate(frames):
        image = decode(frame.jpeg)
        if image is None:
            result.append(FaceFrame(frame.t, 0))
            box = None
            continue
        small, scale = shrink(image, width)
        if box is None or n % detect_every == 0:
            boxes = api.face_detector(small, 0) or api.face_detector(small, 1)
            if len(boxes) != 1:
                result.append(FaceFrame(frame.t, len(boxes)))
                box = None
                continue
            box = boxes[0]
        shape = api.pose_predictor_68_point(small, box)
        points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64) / scale
        corners = (box.left() / scale, box.top() / scale, box.right() / scale,
                   box.bottom() / scale)
        result.append(FaceFrame(frame.t, 1, points, corners))
    return result


def encode_at(jpeg: bytes, box: tuple[float, float, float, float]) -> list[float] | None:
    """The 128-d encoding of the face found in ``box`` (full-size pixels) of the frame."""
    api = _models()
    import dlib

    image = decode(jpeg)
    if image is None:
        return None
    rect = dlib.rectangle(*(int(round(v)) for v in box))
    shape = api.pose_predictor_68_point(image, rect)
    return [float(v) for v in api.face_encoder.compute_face_descriptor(image, shape, 1)]


def naive_analysis(frames: list[TimedFrame]) -> LandmarkSequence:
    """The slow way, for the benchmark: full-size detection and an encoding on every frame."""
    api = _models()
    result = []
    height = width = 0
    for frame in frames:
        image = decode(frame.jpeg)
        if image is None:
            continue
        height, width = image.shape[:2]
        boxes = api.face_detector(image, 1)
        points = None
        for box in boxes:
            shape = api.pose_predictor_68_point(image, box)
            api.face_encoder.compute_face_descriptor(image, shape, 1)
            points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
        result.append(FaceFrame(frame.t, len(boxes), points))
    return LandmarkSequence(width, height, result)


def frame_size(jpeg: bytes) -> tuple[int, int]:
    image = decode(jpeg)
    return (0, 0) if image is None else (int(image.shape[1]), int(image.shape[0]))


def thumbnail(jpeg: bytes, width: int = 160) -> bytes | None:
    """A small JPEG of the frame for the dispute record."""
    image = decode(jpeg)
    if image is None:
        return None
    small, _ = shrink(image, width)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, 70])
    return data.tobytes() if ok else None


def texture_planarity(jpegs: list[bytes], box: tuple[float, float, float, float],
                      width: int = 320) -> float | None:
    """Share of textured points inside the face that one homography carries from the first
    frame to the last (tracked frame to frame; RANSAC, 2.5 px at ``width``). A photo moves as
    one plane (share near 1); a real head turning does not (nose, cheeks and ears move against
    each other). dlib's landmarks cannot show this on a tilted photo: its shape prior bends
    them like a turning head's."""
    greys = []
    scale = 1.0
    for jpeg in jpegs:
        image = decode(jpeg)
        if image is None:
            return None
        small, scale = shrink(image, width)
        greys.append(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
    if len(greys) < 2:
        return None
    left, top, right, bottom = (v * scale for v in box)
    inset_x, inset_y = (right - left) * 0.15, (bottom - top) * 0.1
    mask = np.zeros_like(greys[0])
    mask[int(top + inset_y):int(bottom - inset_y), int(left + inset_x):int(right - inset_x)] = 255
    start = cv2.goodFeaturesToTrack(greys[0], 80, 0.01, 3, mask=mask)
    if start is None or len(start) < 12:
        return None
    points, keep = start, np.ones(len(start), dtype=bool)
    for before, after in zip(greys, greys[1:], strict=False):
        points, status, _ = cv2.calcOpticalFlowPyrLK(before, after, points,
                                                     np.empty_like(points),
                                                     winSize=(21, 21), maxLevel=3)
        keep &= status.reshape(-1) == 1
    if int(keep.sum()) < 12:
        return None
    _, inliers = cv2.findHomography(start[keep], points[keep], cv2.RANSAC, 2.5)
    return None if inliers is None else float(inliers.mean())
