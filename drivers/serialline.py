"""Serial ports for the line-oriented devices (magstripe readers, scanners), through pyserial's
``serial_for_url`` (pyserial 3.5 URL handlers).

The part of a device URL after ``msr://`` or ``scanner://`` is the port: a device path
(``msr:///dev/ttyUSB0``) or a pyserial URL (``msr://loop://``, ``msr://socket://127.0.0.1:7000``,
``msr://rfc2217://host:port``). The query holds posemu's options (``baud``, ...), never pyserial's.

:class:`SerialFrames` reads bytes with a bounded wait: a frame ends at a terminator, or, for a partial
frame, after ``gap_s`` without a byte. A port that vanishes (USB unplugged, pty closed) raises
:class:`DeviceDisconnected`; the caller reopens to retry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult

from drivers.errors import DeviceDisconnected, DeviceNotFound

__all__ = ["SerialFrames", "open_port", "port_of"]

log = logging.getLogger(__name__)

READ_SLICE_S = 0.02


def port_of(parts: SplitResult) -> str:
    """The port part of a line-device URL.

    >>> from urllib.parse import urlsplit
    >>> port_of(urlsplit("msr:///dev/ttyUSB0?baud=9600")), port_of(urlsplit("msr://socket://127.0.0.1:7000"))
    ('/dev/ttyUSB0', 'socket://127.0.0.1:7000')
    >>> port_of(urlsplit("scanner://loop://"))
    'loop://'
    """
    if not parts.netloc:
        return parts.path
    if parts.netloc.endswith(":") and parts.path.startswith("//"):
        return f"{parts.netloc}{parts.path}"
    return f"//{parts.netloc}{parts.path}"


def open_port(url: str, port: str, baud: int) -> Any:
    """Open ``port`` with pyserial (8N1, no flow control).

    Raises:
        DeviceNotFound: no such port, or it cannot be opened.
    """
    import serial

    try:
        return serial.serial_for_url(port, baudrate=baud, timeout=READ_SLICE_S)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise DeviceNotFound(url, f"cannot open serial port ({type(exc).__name__})") from exc


class SerialFrames:
    """Cut a serial byte stream into frames, with a timeout on every wait."""

    def __init__(self, url: str, port: Any, gap_s: float = 0.3) -> None:
        self.url = url
        self.port = port
        self.gap_s = gap_s
        self.buffer = bytearray()

    def _read_some(self, wait_s: float) -> bytes:
        import serial

        try:
            self.port.timeout = max(min(wait_s, READ_SLICE_S * 5), 0.001)
            waiting = self.port.in_waiting
            return bytes(self.port.read(waiting or 1))
        except (serial.SerialException, OSError) as exc:
            raise DeviceDisconnected(self.url, f"serial port went away ({type(exc).__name__})") from exc

    def next_frame(
        self, timeout_s: float, frame_end: Callable[[bytes], int | None]
    ) -> tuple[bytes, bool] | None:
        """The next frame and whether it ended properly (False: cut by the inter-byte gap), or None
        when no byte came within ``timeout_s``. ``frame_end(buffer)`` gives the frame's length once the
        buffer holds a complete frame.

        Raises:
            DeviceDisconnected: the port went away.
        """
        deadline = time.monotonic() + max(timeout_s, 0.0)
        last_byte = time.monotonic()
        while True:
            end = frame_end(bytes(self.buffer)) if self.buffer else None
            if end is not None:
                frame = bytes(self.buffer[:end])
                del self.buffer[:end]
                return frame, True
            now = time.monotonic()
            if self.buffer and now - last_byte >= self.gap_s:
                frame = bytes(self.buffer)
                self.buffer.clear()
                return frame, False
            if not self.buffer and now >= deadline:
                return None
            wait = (last_byte + self.gap_s - now) if self.buffer else (deadline - now)
            chunk = self._read_some(wait)
            if chunk:
                self.buffer += chunk
                last_byte = time.monotonic()

    def close(self) -> None:
        try:
            self.port.close()
        except Exception:  # a vanished port may fail to close: nothing to release then
            log.debug("%s close failed", self.url, exc_info=True)
