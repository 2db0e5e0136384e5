"""Serial magnetic stripe readers (ISO/IEC 7811/7813 track formats, parsed by :mod:`emv.track`).

URL format::

    msr:///dev/ttyUSB0?baud=9600      a device path
    msr://socket://127.0.0.1:7000     any pyserial URL (loop://, socket://, rfc2217://)
    options: baud (default 9600), gap (seconds that end a partial swipe, default 0.3)

Support table:

| reader output                                          | support                                     |
|--------------------------------------------------------|---------------------------------------------|
| ASCII tracks ``%...?`` and ``;...?`` ended by CR/LF     | yes (an LRC character after ``?`` is checked)|
| STX ``02`` ... ETX ``03`` framing, with LRC byte        | yes (XOR of the bytes after STX through ETX)|
| per-track read errors ``%E?`` / ``;E?`` (MagTek style)  | a "swipe again" event                       |
| garbage, partial swipe, bad LRC, bad track              | a "swipe again" event (never an exception)  |
| track 3                                                 | ignored                                     |

One swipe gives one :class:`drivers.base.Swipe`: ``ok`` needs a valid track 2; a track 1 that is present
must be valid too. The reason of a failed swipe names the track and the position, never card data.
"""

from __future__ import annotations

import logging
from urllib.parse import SplitResult

from drivers.base import Swipe
from drivers.serialline import SerialFrames

__all__ = ["SerialMagstripe", "encode_swipe", "frame_end", "open_reader", "parse_swipe"]

log = logging.getLogger(__name__)

STX, ETX = 0x02, 0x03


def frame_end(buf: bytes) -> int | None:
    """Length of the first complete swipe frame in ``buf``, or None while it is incomplete.

    >>> frame_end(b"%B1?;1=2?\\r"), frame_end(b";1=2?"), frame_end(b"\\x02;1?\\x03\\x0e")
    (10, None, 6)
    """
    if buf[0] == STX:
        etx = buf.find(bytes((ETX,)))
        return etx + 2 if etx >= 0 and len(buf) >= etx + 2 else None
    for i, b in enumerate(buf):
        if b in (0x0D, 0x0A):
            end = i + 1
            return end + 1 if b == 0x0D and buf[end : end + 1] == b"\n" else end
    return None


def encode_swipe(track1: str | None, track2: str | None, framing: str = "ascii") -> bytes:
    """The bytes a reader sends for a swipe of the given track images (with sentinels).

    >>> encode_swipe(None, ";6224242900000113=2806201?")
    b';6224242900000113=2806201?\\r'
    >>> encode_swipe(None, ";1=1?", "stx").hex()
    '023b313d313f033a'
    """
    body = ((track1 or "") + (track2 or "")).encode("ascii")
    if framing == "stx":
        lrc = 0
        for b in body + bytes((ETX,)):
            lrc ^= b
        return bytes((STX,)) + body + bytes((ETX, lrc))
    return body + b"\r"


def _split_tracks(text: str) -> tuple[str | None, str | None, str]:
    """(track 1, track 2, problem) from the text of a frame."""
    t1 = t2 = None
    i = 0
    while i < len(text):
        start = text[i]
        if start not in "%;":
            if start == "+":  # track 3: ignored
                end = text.find("?", i)
                i = len(text) if end < 0 else end + 2
                continue
            return t1, t2, f"unexpected byte at {i}"
        end = text.find("?", i)
        if end < 0:
            return t1, t2, f"track without end sentinel at {i}"
        stop = end + 1
        if stop < len(text) and text[stop] not in "%;+":
            stop += 1  # the LRC character
        if start == "%":
            t1 = text[i:stop]
        else:
            t2 = text[i:stop]
        i = stop
    return t1, t2, ""


def parse_swipe(frame: bytes, complete: bool = True) -> Swipe:
    """Parse one frame into a :class:`Swipe` (``ok`` or "swipe again" with a reason).

    >>> parse_swipe(b";6224242900000113=28062013949031013?\\r").track2.pan.masked
    '622424******0113'
    >>> parse_swipe(b";E?\\r").reason
    'track 2 read error'
    """
    from emv.track import TrackError, parse_track1, parse_track2

    if not complete:
        return Swipe(False, reason="partial swipe (no end of frame)")
    if frame[:1] == bytes((STX,)):
        etx = frame.rfind(bytes((ETX,)))
        lrc = 0
        for b in frame[1 : etx + 1]:
            lrc ^= b
        if etx < 0 or frame[etx + 1 : etx + 2] != bytes((lrc,)):
            return Swipe(False, reason="frame LRC mismatch")
        frame = frame[1:etx]
    try:
        text = frame.rstrip(b"\r\n").decode("ascii")
    except UnicodeDecodeError as exc:
        return Swipe(False, reason=f"non-ASCII byte at {exc.start}")
    t1, t2, problem = _split_tracks(text)
    if problem:
        return Swipe(False, reason=problem)
    if t1 is not None and t1[1:2] == "E":
        return Swipe(False, reason="track 1 read error")
    if t2 is None or t2[1:2] == "E":
        return Swipe(False, reason="track 2 read error" if t2 else "no track 2")
    try:
        track2 = parse_track2(t2)
    except TrackError as exc:
        return Swipe(False, reason=f"track 2: {exc}")
    try:
        track1 = parse_track1(t1) if t1 is not None else None
    except TrackError as exc:
        return Swipe(False, reason=f"track 1: {exc}")
    return Swipe(True, track1, track2)


class SerialMagstripe:
    """``msr://``: a :class:`drivers.base.MagstripeReader` on a serial port."""

    def __init__(self, url: str, frames: SerialFrames) -> None:
        self.url = url
        self._frames = frames

    def read_swipe(self, timeout_s: float) -> Swipe | None:
        """The next swipe, or None after ``timeout_s`` without one.

        Raises:
            DeviceDisconnected: the port went away.
        """
        got = self._frames.next_frame(timeout_s, frame_end)
        if got is None:
            return None
        swipe = parse_swipe(*got)
        if not swipe.ok:
            log.info("%s: swipe again (%s)", self.url, swipe.reason)
        return swipe

    def close(self) -> None:
        self._frames.close()


def open_reader(parts: SplitResult) -> SerialMagstripe:
    """The factory behind ``msr://``.

    Raises:
        DeviceNotFound: no such port. BadDeviceUrl: a bad option.
    """
    from drivers import device_url, float_option, query_options
    from drivers.serialline import open_port, port_of

    url = device_url(parts)
    options = query_options(parts, frozenset({"baud", "gap"}))
    baud = int(float_option(url, options, "baud", 9600))
    port = open_port(url, port_of(parts), baud)
    return SerialMagstripe(url, SerialFrames(url, port, float_option(url, options, "gap", 0.3)))
