"""The 3G watch framing and message decoding, on frames as Traccar's tests record them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devices.watch import messages
from devices.watch.frames import BadFrame, Frame, FrameReader, FrameTooLong, encode, parse

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AL = (b"[3G*8308373902*0080*AL,230817,095346,A,47.083950,N,15.4821850,E,7.60,273.8,0.0,4,15,"
      b"44,0,0,00200010,2,255,232,1,7605,42530,118,7605,58036,119,0,65.8]")


def frames(reader: FrameReader, data: bytes) -> list[Frame]:
    out = reader.feed(data)
    assert all(isinstance(item, Frame) for item in out), out
    return [item for item in out if isinstance(item, Frame)]


def test_partial_frames_and_several_per_read_are_reassembled() -> None:
    """A frame split over reads and three frames in one read all come out whole."""
    reader = FrameReader()
    lk = b"[3G*4700186508*000B*LK,0,10,100]"
    assert frames(reader, lk[:7]) == []
    assert [f.type for f in frames(reader, lk[7:] + lk + b"[CS*8800000015*0008*PULSE,72]")] \
        == ["LK", "LK", "PULSE"]


def test_indexed_frames_keep_their_index() -> None:
    """``[MM*ID*IDX*LEN*...]`` is read with its index, and a reply uses the same form."""
    frame = parse(b"[ZJ*357653059860416*0007*000c*BLOOD,109,68]")
    assert isinstance(frame, Frame) and frame.index == "0007"
    assert encode("ZJ", "357653059860416", "LK", "0007") == b"[ZJ*357653059860416*0007*0002*LK]"


def test_escapes_are_undone_and_a_bad_escape_is_refused() -> None:
    """``}01``..``}05`` become ``} [ ] , *``; ``}09`` makes the frame a bad one."""
    body = b"TK,\x7d\x02\x7d\x03\x7d\x05"
    frame = parse(b"[CS*1234567890*%04X*" % len(body) + body + b"]")
    assert isinstance(frame, Frame) and frame.content == b"TK,[]*"
    bad = parse(b"[CS*1234567890*0005*TK,}\x09]")
    assert isinstance(bad, BadFrame) and "bad escape" in bad.reason
    assert parse(encode("3G", "1234567890", "MESSAGE,[a]*")) == Frame(
        "3G", "1234567890", None, b"MESSAGE,[a]*")


def test_wrong_length_and_garbage_between_frames_are_named() -> None:
    """A length that does not match, and bytes outside any frame, are bad stretches."""
    out = FrameReader().feed(b"\x00\xff garbage [3G*4700186508*0009*LK,0,10,100]"
                             b"[3G*4700186508*0002*LK]")
    assert [type(item) for item in out] == [BadFrame, BadFrame, Frame]
    assert isinstance(out[1], BadFrame) and "length field says 9" in out[1].reason


def test_a_megabyte_without_a_closing_bracket_is_not_a_watch() -> None:
    """The reader refuses to buffer past its limit instead of growing forever."""
    reader = FrameReader()
    reader.feed(b"[3G*1*" + b"x" * 60_000)
    with pytest.raises(FrameTooLong):
        reader.feed(b"x" * (1 << 20))


def test_alarm_frame_decodes_to_a_fall_with_position_and_an_al_reply() -> None:
    """Status bit 21 is a fall; the event carries the position and a frame-derived id."""
    frame = parse(AL)
    assert isinstance(frame, Frame)
    decoded = messages.decode(frame, NOW)
    assert decoded.reply == "AL"
    (event,) = decoded.events
    assert event.type == "fall" and event.detail["latitude"] == pytest.approx(47.08395)
    assert decoded.readings["longitude"] == pytest.approx(15.482185)
    assert event.event_id == messages.decode(frame, NOW).events[0].event_id
    assert event.at == NOW  # the 2017 watch clock is not believed
    assert event.detail["watch_time"].startswith("2017-08-23")


def test_status_bits_name_each_alarm() -> None:
    """SOS, removal from the wrist, fall, low battery and geofence bits become events."""
    assert messages.alarm_types(1 << 16) == ["sos"]
    assert messages.alarm_types(1 << 20 | 1 << 17) == ["low_battery", "wristband_removed"]
    assert messages.alarm_types(1 << 22 | 1 << 18) == ["geofence_exit", "fall"]
    assert messages.alarm_types(0) == ["sos"]


@pytest.mark.parametrize(("raw", "readings"), [
    (b"[3G*4700186508*000B*LK,0,10,100]", {"steps": 0, "battery": 100}),
    (b"[CS*8800000015*0008*PULSE,72]", {"heart_rate": 72}),
    (b"[3G*4700609403*0013*bphrt,120,79,73,,,,]",
     {"blood_pressure": 120, "blood_pressure_diastolic": 79, "heart_rate": 73}),
    (b"[3G*2104326058*000E*btemp2,1,35.29]", {"temperature": 35.29}),
])
def test_health_frames_become_readings(raw: bytes, readings: dict[str, float]) -> None:
    """LK, PULSE, bphrt and btemp2 give steps, battery, heart rate, pressure, temperature."""
    frame = parse(raw)
    assert isinstance(frame, Frame)
    assert messages.decode(frame, NOW).readings == readings


def test_unknown_type_is_a_message_error() -> None:
    """A type Anxin does not read is refused by name (a dead letter, not a crash)."""
    frame = parse(b"[3G*1234567890*0004*ZZZZ]")
    assert isinstance(frame, Frame)
    with pytest.raises(messages.WatchMessageError, match="ZZZZ"):
        messages.decode(frame, NOW)
