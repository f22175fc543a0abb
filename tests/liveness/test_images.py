"""Uploaded images are checked from their header before anything decodes them: JPEG or PNG,
whole, and within the size limits; anything else is a 422 that names the problem."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import cast

import httpx
import pytest
from sqlalchemy import func, select

from accounts.roles import Role
from liveness.image_format import FRAME_LIMITS, PHOTO_LIMITS, ImageRefused, check_image
from liveness.imaging import decode
from liveness.models import ChallengeSession, FaceTemplate
from runtime.context import Runtime
from tests.conftest import LoginAs
from tests.liveness.test_api import enrol_directly, frames_body, new_senior

GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00" \
      b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
WEBM = b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\xf3\x81\x08B\x82\x84webm"


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed PNG whose header claims ``width``×``height`` (the pixels are not there)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("data", "problem"), [
    (GIF, "a GIF image; only JPEG or PNG"),
    (WEBM, "WebM"),
    (png_claiming(60000, 60000), "60000×60000 pixels is larger than 4096×4096"),
    (png_claiming(4096, 4096), "more than 12,582,912 pixels"),
    (b"not an image at all", "not a JPEG or PNG"),
])
def test_crafted_files_are_refused_from_the_header(data: bytes, problem: str) -> None:
    """A GIF, a video, a PNG claiming 60000×60000 or 4096², and junk never reach OpenCV."""
    with pytest.raises(ImageRefused, match=problem):
        check_image(data, PHOTO_LIMITS)
    assert decode(data) is None


def test_a_truncated_jpeg_is_refused(photos: dict[str, bytes]) -> None:
    """A JPEG cut in half is refused (OpenCV would decode it with grey rows)."""
    whole = photos["obama"]
    assert check_image(whole, PHOTO_LIMITS).kind == "jpeg"
    with pytest.raises(ImageRefused, match="truncated JPEG"):
        check_image(whole[: len(whole) // 2], PHOTO_LIMITS)
    with pytest.raises(ImageRefused, match="truncated JPEG"):
        check_image(whole[:200], PHOTO_LIMITS)


def test_real_photos_pass_with_their_size(photos: dict[str, bytes]) -> None:
    """The test photos and a PNG are read with the size the decoder finds."""
    for data in photos.values():
        header = check_image(data, PHOTO_LIMITS)
        image = decode(data)
        assert image is not None and (header.width, header.height) == (image.shape[1],
                                                                      image.shape[0])
    assert check_image(png_claiming(320, 240), FRAME_LIMITS).kind == "png"
    with pytest.raises(ImageRefused, match="larger than 1920×1920"):
        check_image(png_claiming(2000, 1000), FRAME_LIMITS)


async def test_enrolment_refuses_crafted_photos_naming_the_problem(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime,
        photos: dict[str, bytes]) -> None:
    """GIF, huge-header PNG, truncated JPEG, oversized file: 422 naming photo and problem,
    and no template is stored."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    senior_id = await new_senior(client, headers)
    url = f"/api/v1/liveness/seniors/{senior_id}/enrolment"
    good = photos["obama"]
    cases = [
        (GIF, "photo 2 refused: a GIF image"),
        (png_claiming(60000, 60000), "photo 2 refused: 60000×60000 pixels is larger"),
        (png_claiming(8000, 8000), "photo 2 refused: 8000×8000 pixels is larger"),
        (good[: len(good) // 2], "photo 2 refused: a truncated JPEG"),
        (good[:-2] + b"\x00" * (PHOTO_LIMITS.max_bytes + 10), "photo 2 refused: larger than"),
    ]
    for bad, problem in cases:
        answer = await client.post(url, headers=headers, files=[
            ("photos", ("a.jpg", good, "image/jpeg")), ("photos", ("b.jpg", bad, "image/png"))])
        assert answer.status_code == 422, answer.text
        assert problem in answer.json()["detail"]
    async with runtime.sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(FaceTemplate))
    assert stored == 0


async def test_a_crafted_frame_is_refused_and_the_session_stays_unused(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime,
        photos: dict[str, bytes], templates: dict[str, list[float]]) -> None:
    """One GIF (or huge PNG) among the frames: 422 naming the frame; the session is not spent."""
    headers = await login_as(Role.SUBSIDY_STAFF)
    senior_id = await new_senior(client, headers)
    await enrol_directly(runtime, senior_id, templates["obama"])
    session = (await client.post("/api/v1/liveness/sessions", json={"senior_id": senior_id},
                                 headers=headers)).json()
    body = frames_body(session["nonce"], photos["obama2"])
    url = f"/api/v1/liveness/sessions/{session['id']}/frames"
    for bad, problem in ((GIF, "a GIF image"), (png_claiming(60000, 60000), "60000×60000")):
        frames = list(cast(list[dict[str, object]], body["frames"]))
        frames[3] = {"t": frames[3]["t"], "jpeg": base64.b64encode(bad).decode()}
        answer = await client.post(url, json={**body, "frames": frames}, headers=headers)
        assert answer.status_code == 422, answer.text
        assert "frames.3.jpeg" in answer.json()["detail"] and problem in answer.json()["detail"]
    async with runtime.sessions() as db:
        challenge = await db.get(ChallengeSession, session["id"])
    assert challenge is not None and challenge.used_at is None
