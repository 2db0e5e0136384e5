"""Virtual line devices: a magstripe reader and a scanner fed by the test-side API.

URL format::

    virtual://msr          ``swipe(track2=..., track1=...)``, ``swipe_raw(bytes)``
    virtual://scanner      ``scan("code")``

Support table:

| feature                      | support                                                                   |
|------------------------------|---------------------------------------------------------------------------|
| swipe of track images        | ``Track1``/``Track2`` objects or their text, encoded as a reader sends them |
| swipe of raw reader bytes    | parsed exactly as ``msr://`` parses its serial line (garbage: swipe again)  |
| scan                         | one code per call; ``read_code`` returns codes in order                    |
| waits                        | every ``read_*`` waits at most its timeout                                 |
"""

from __future__ import annotations

import queue
from typing import TYPE_CHECKING

from drivers.base import Swipe
from drivers.magstripe import encode_swipe, frame_end, parse_swipe

if TYPE_CHECKING:
    from emv.track import Track1, Track2

__all__ = ["VirtualMagstripe", "VirtualScanner", "swipe_bytes"]


def swipe_bytes(
    track2: Track2 | str | None, track1: Track1 | str | None = None, framing: str = "ascii"
) -> bytes:
    """The bytes a serial reader sends for a swipe of these tracks (full images, sentinels and LRC)."""
    from emv.track import Track1, Track2, encode_track1, encode_track2

    t2 = encode_track2(track2) if isinstance(track2, Track2) else track2
    t1 = encode_track1(track1) if isinstance(track1, Track1) else track1
    return encode_swipe(t1, t2, framing)


class VirtualMagstripe:
    """``virtual://msr``: a :class:`drivers.base.MagstripeReader`."""

    def __init__(self, url: str = "virtual://msr") -> None:
        self.url = url
        self._swipes: queue.Queue[Swipe] = queue.Queue()

    def swipe(self, track2: Track2 | str | None, track1: Track1 | str | None = None) -> None:
        """Swipe a card with these track images."""
        self.swipe_raw(swipe_bytes(track2, track1))

    def swipe_card(self, card: object) -> None:
        """Swipe a virtual card's stripe (``emv.cards`` cards: ``card.magstripe()``)."""
        stripe = card.magstripe()  # type: ignore[attr-defined]
        self.swipe(stripe.track2_image, stripe.track1_image)

    def swipe_raw(self, data: bytes) -> None:
        """Feed raw reader bytes: each complete frame is one swipe, a trailing partial frame another."""
        buf = bytes(data)
        while buf:
            end = frame_end(buf)
            if end is None:
                self._swipes.put(parse_swipe(buf, complete=False))
                return
            self._swipes.put(parse_swipe(buf[:end]))
            buf = buf[end:]

    def read_swipe(self, timeout_s: float) -> Swipe | None:
        try:
            return (
                self._swipes.get(timeout=max(timeout_s, 0.0)) if timeout_s > 0 else self._swipes.get_nowait()
            )
        except queue.Empty:
            return None

    def close(self) -> None:
        pass


class VirtualScanner:
    """``virtual://scanner``: a :class:`drivers.base.Scanner`."""

    def __init__(self, url: str = "virtual://scanner") -> None:
        self.url = url
        self._codes: queue.Queue[str] = queue.Queue()

    def scan(self, code: str) -> None:
        """Scan ``code`` (a payment QR code, a barcode)."""
        self._codes.put(code)

    def read_code(self, timeout_s: float) -> str | None:
        try:
            if timeout_s <= 0:
                return self._codes.get_nowait()
            return self._codes.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def close(self) -> None:
        pass
