"""What an uploaded image is, read from its first bytes before anything decodes it.

OpenCV's ``imdecode`` takes any format it knows (TIFF, BMP, PPM, EXR, …) and allocates what
the header claims, so uploads are checked here first: JPEG or PNG by their magic bytes, whole
(a JPEG's end-of-image marker, a PNG's IEND chunk), and no larger than the limits in bytes,
per side and in pixels.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Start-of-frame markers carry the size: every SOFn but DHT (C4), JPG (C8) and DAC (CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})
# Formats people send by mistake, named in the refusal.
_OTHER = (
    (b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"), (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"),
    (b"\x1aE\xdf\xa3", "a WebM or Matroska video"),
)


class ImageRefused(ValueError):
    """The bytes are not an image this service decodes; the message says why."""


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int
    max_side: int
    max_pixels: int


@dataclass(frozen=True)
class ImageHeader:
    kind: str  # jpeg | png
    width: int
    height: int


def check_image(data: bytes, limits: ImageLimits) -> ImageHeader:
    """The image's header if it is a whole JPEG or PNG within ``limits``; else ImageRefused."""
    if len(data) > limits.max_bytes:
        raise ImageRefused(f"larger than {limits.max_bytes:,} bytes")
    header = read_header(data)
    if max(header.width, header.height) > limits.max_side:
        raise ImageRefused(f"{header.width}×{header.height} pixels is larger than "
                           f"{limits.max_side}×{limits.max_side}")
    if header.width * header.height > limits.max_pixels:
        raise ImageRefused(f"{header.width}×{header.height} is more than "
                           f"{limits.max_pixels:,} pixels")
    return header


def read_header(data: bytes) -> ImageHeader:
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    if data.startswith(PNG_SIGNATURE):
        return _png(data)
    if data[8:12] == b"WEBP" and data.startswith(b"RIFF"):
        raise ImageRefused("a WebP image; only JPEG or PNG is accepted")
    if data[4:8] == b"ftyp":
        raise ImageRefused("a HEIC or MP4 file; only JPEG or PNG is accepted")
    for magic, name in _OTHER:
        if data.startswith(magic):
            raise ImageRefused(f"{name}; only JPEG or PNG is accepted")
    raise ImageRefused("not a JPEG or PNG image")


def _jpeg(data: bytes) -> ImageHeader:
    """Walk the marker segments to the frame header, then require the end-of-image marker
    after the scan data (a cut-off upload decodes as grey rows otherwise)."""
    at, size = 2, None
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            raise ImageRefused("a damaged JPEG (bad segment marker)")
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _STANDALONE:
            at += 2
            continue
        if marker == 0xD9:
            break
        (length,) = struct.unpack(">H", data[at + 2:at + 4])
        if marker in _SOF and at + 9 <= len(data):
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            size = (width, height)
        if marker == 0xDA:  # start of scan: the entropy-coded data follows
            if size is None or 0 in size:
                raise ImageRefused("a JPEG without a frame size")
            if data.rfind(b"\xff\xd9", at) < 0:
                raise ImageRefused("a truncated JPEG (no end-of-image marker)")
            return ImageHeader("jpeg", *size)
        at += 2 + length
    raise ImageRefused("a truncated JPEG (no image data)")


def _png(data: bytes) -> ImageHeader:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise ImageRefused("a truncated PNG (no header)")
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0:
        raise ImageRefused("a PNG without a size")
    if data.rfind(b"IEND") < 33:
        raise ImageRefused("a truncated PNG (no IEND chunk)")
    return ImageHeader("png", width, height)


# Enrolment photos come from phones and cameras (12 Mpx is common); frames come from the
# capture page at 320×240 and kiosks at most at 1080p.
PHOTO_LIMITS = ImageLimits(max_bytes=8 * 1024 * 1024, max_side=4096, max_pixels=4096 * 3072)
FRAME_LIMITS = ImageLimits(max_bytes=120_000, max_side=1920, max_pixels=1920 * 1080)
