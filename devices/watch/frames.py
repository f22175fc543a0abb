"""Framing of the 3G watch protocol: ``[MM*ID*LEN*CONTENT]`` or ``[MM*ID*IDX*LEN*CONTENT]``.

``LEN`` is four hex digits, the length of the content as sent (escapes included). Inside the
content ``}`` followed by 01..05 stands for ``}`` ``[`` ``]`` ``,`` ``*``. The reader takes bytes
as TCP delivers them (partial frames, several per read, garbage between) and yields frames or
the reason a stretch of bytes is not one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# No watch frame we read is near this (positions with ten Wi-Fi points are ~600 bytes); audio
# and photo frames (TK, img) can be larger, so leave room before calling a stream garbage.
MAX_FRAME_BYTES = 64 * 1024
ESCAPES = {0x01: b"}", 0x02: b"[", 0x03: b"]", 0x04: b",", 0x05: b"*"}
ESCAPED = {value[0]: bytes([0x7D, key]) for key, value in ESCAPES.items()}
HEADER = re.compile(rb"^\[([A-Z0-9]{2})\*([0-9A-Za-z]{3,64})\*(?:([0-9A-Fa-f]{4})\*)?"
                    rb"([0-9A-Fa-f]{4})\*", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Frame:
    """One watch frame: maker code, watch id, optional index, and the unescaped content."""

    maker: str
    watch_id: str
    index: str | None
    content: bytes

    @property
    def type(self) -> str:
        return self.content.split(b",", 1)[0].decode("ascii", "replace")

    @property
    def fields(self) -> list[str]:
        return self.content.decode("ascii", "replace").split(",")[1:]


@dataclass(frozen=True, slots=True)
class BadFrame:
    """Bytes that are not a frame, with the reason (a dead letter's)."""

    raw: bytes
    reason: str
    watch_id: str | None = None


class FrameTooLong(Exception):
    """More than MAX_FRAME_BYTES without a closing bracket: the stream is not a watch's."""


def unescape(content: bytes) -> bytes:
    if b"}" not in content:
        return content
    out = bytearray()
    i = 0
    while i < len(content):
        byte = content[i]
        if byte == 0x7D:
            code = content[i + 1] if i + 1 < len(content) else -1
            if code not in ESCAPES:
                raise ValueError(f"bad escape }}{code:02x} at byte {i}" if code >= 0
                                 else "escape at the end of the content")
            out += ESCAPES[code]
            i += 2
            continue
        out.append(byte)
        i += 1
    return bytes(out)


def escape(content: bytes) -> bytes:
    return b"".join(ESCAPED.get(byte, bytes([byte])) for byte in content)


def encode(maker: str, watch_id: str, content: str | bytes, index: str | None = None) -> bytes:
    """A frame to send to a watch, in the same form (index or not) as the watch uses."""
    body = escape(content.encode() if isinstance(content, str) else content)
    middle = f"{index}*" if index is not None else ""
    return f"[{maker}*{watch_id}*{middle}{len(body):04X}*".encode() + body + b"]"


def parse(raw: bytes) -> Frame | BadFrame:
    """One complete ``[...]`` stretch as a frame, or the reason it is not one."""
    header = HEADER.match(raw)
    if header is None:
        return BadFrame(raw, "not a watch frame header [MM*ID*LEN*...]")
    maker, watch_id, index, length = (part.decode() if part else None for part in header.groups())
    assert maker is not None and watch_id is not None and length is not None
    body = raw[header.end():-1]
    if len(body) != int(length, 16):
        return BadFrame(raw, f"length field says {int(length, 16)} bytes, content has "
                             f"{len(body)}", watch_id)
    try:
        content = unescape(body)
    except ValueError as error:
        return BadFrame(raw, str(error), watch_id)
    if not content or not content.split(b",", 1)[0].isascii():
        return BadFrame(raw, "no message type", watch_id)
    return Frame(maker, watch_id, index, content)


class FrameReader:
    """Feed it bytes as they come; it returns the complete frames (or bad stretches) so far."""

    def __init__(self, max_frame: int = MAX_FRAME_BYTES) -> None:
        self._buffer = bytearray()
        self.max_frame = max_frame

    def feed(self, data: bytes) -> list[Frame | BadFrame]:
        self._buffer += data
        out: list[Frame | BadFrame] = []
        while True:
            start = self._buffer.find(b"[")
            if start < 0:
                self._drop_garbage(len(self._buffer), out)
                break
            self._drop_garbage(start, out)
            # Escapes keep brackets out of the content, so the first ']' closes the frame.
            end = self._buffer.find(b"]")
            if end < 0:
                if len(self._buffer) > self.max_frame:
                    raise FrameTooLong(f"{len(self._buffer)} bytes without a closing bracket")
                break
            nested = self._buffer.find(b"[", 1, end)
            if nested > 0:  # a frame cut short by another: the fragment is garbage
                self._drop_garbage(nested, out, "a frame interrupted by another '['")
                continue
            raw = bytes(self._buffer[:end + 1])
            del self._buffer[:end + 1]
            out.append(parse(raw))
        return out

    def _drop_garbage(self, count: int, out: list[Frame | BadFrame],
                      reason: str = "bytes outside a frame") -> None:
        if count <= 0:
            return
        garbage = bytes(self._buffer[:count])
        del self._buffer[:count]
        if garbage.strip(b"\r\n\x00 "):  # line ends and padding between frames are normal
            out.append(BadFrame(garbage, reason))
