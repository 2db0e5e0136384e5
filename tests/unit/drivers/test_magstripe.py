"""Swipe frames: where a frame ends, what a frame holds, and that no reason or repr shows card data."""

from __future__ import annotations

import pytest

from drivers.magstripe import encode_swipe, frame_end, parse_swipe
from drivers.scanner import line_end

T1 = "%B6224242900000113^ZHANG/SAN^28062010000?B"
T2 = ";6224242900000113=28062013949031013?="


@pytest.mark.parametrize(
    ("buf", "end"),
    [
        (b";1?\r", 4),
        (b";1?\r\nX", 5),
        (b";1?\n", 4),
        (b";1?", None),
        (b"\x02;1?\x03", None),
        (b"\x02;1?\x03L", 6),
    ],
)
def test_frame_end(buf: bytes, end: int | None) -> None:
    assert frame_end(buf) == end


@pytest.mark.parametrize(
    "frame",
    [
        encode_swipe(T1, T2),
        encode_swipe(None, T2),
        encode_swipe(T1, T2, "stx"),
        encode_swipe(T1[:-1], T2[:-1]),  # no LRC characters
        (T1 + T2).encode() + b"+12345?\r",  # track 3 ignored
    ],
)
def test_good_frames(frame: bytes) -> None:
    swipe = parse_swipe(frame)
    assert swipe.ok and swipe.track2 is not None
    assert swipe.track2.pan.masked == "622424******0113"
    assert "6224242900000113" not in repr(swipe)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b";6224242900000113=2806201394903101?0\r", "track 2: LRC mismatch"),
        (b"%B6224242900000113^ZHANG/SAN^2806201?;6224242900000113=2813201?\r", "track 2: expiry month"),
        (b"%B6224242900000113^Z^2806201?" + T2.encode() + b"\r", "track 1: length 1"),
        (b"\x02" + T2.encode() + b"\x03\x99", "frame LRC mismatch"),
        (b";6224242900000113=2806201\r", "track without end sentinel"),
        (b"\xff\r", "non-ASCII byte at 0"),
        (b"\r", "no track 2"),
    ],
)
def test_bad_frames(frame: bytes, reason: str) -> None:
    swipe = parse_swipe(frame)
    assert not swipe.ok and swipe.kind == "swipe_again"
    assert swipe.reason.startswith(reason)
    assert "6224242900000113" not in swipe.reason


def test_luhn_is_not_a_reader_concern() -> None:
    # a track with a PAN failing Luhn still parses: the terminal decides (emv.track.Pan.luhn_ok)
    swipe = parse_swipe(b";6224242900000114=2806201?\r")
    assert swipe.ok and swipe.track2 is not None and not swipe.track2.pan.luhn_ok


def test_partial() -> None:
    assert parse_swipe(b";62242", complete=False).reason.startswith("partial")


@pytest.mark.parametrize(("buf", "end"), [(b"a\r", 2), (b"a\r\n", 3), (b"a\tb", 2), (b"abc", None)])
def test_line_end(buf: bytes, end: int | None) -> None:
    assert line_end(buf) == end
