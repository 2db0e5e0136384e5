"""A pty pair that a virtual magstripe reader or scanner writes into, and ``msr://``/``scanner://`` read
(RECIPES.md "Serial magstripe and scanners").

The slave side is set raw (no echo, no CR/LF translation); :attr:`PtyBridge.path` is the device path the
real driver opens. Open the driver before writing: pyserial's ``open()`` flushes input. ``close()``
closes the master: the port vanishes under the reader, which then raises ``DeviceDisconnected``.
"""

from __future__ import annotations

import os
import tty

from drivers.virtual.lines import swipe_bytes

__all__ = ["PtyBridge"]


class PtyBridge:
    """The device side of a serial line device."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self.closed = False

    def write(self, data: bytes) -> None:
        """Send raw bytes, as the device would (garbage included)."""
        view = memoryview(data)
        while view:
            view = view[os.write(self._master, view) :]

    def swipe(self, track2: object, track1: object = None, framing: str = "ascii") -> None:
        """Send a swipe of these track images (``Track2``/``Track1`` or their text)."""
        self.write(swipe_bytes(track2, track1, framing))  # type: ignore[arg-type]

    def scan(self, code: str, terminator: str = "\r", encoding: str = "utf-8") -> None:
        """Send one scanned code and its terminator."""
        self.write((code + terminator).encode(encoding))

    def close(self) -> None:
        """Unplug: close both ends (the reader's next read fails)."""
        if not self.closed:
            self.closed = True
            os.close(self._master)
            os.close(self._slave)

    def __enter__(self) -> PtyBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
