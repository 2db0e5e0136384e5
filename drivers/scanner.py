"""Serial barcode/QR scanners that send one code per line (the common "serial/CDC" mode of handheld
and presentation scanners).

URL format::

    scanner:///dev/ttyACM0            a device path
    scanner://socket://127.0.0.1:7001 any pyserial URL
    options: baud (default 9600), encoding (default utf-8; gb18030 for scanners set to GBK)

Support table:

| feature                               | support                                                  |
|---------------------------------------|----------------------------------------------------------|
| CR, LF, CRLF or TAB terminated codes  | yes                                                      |
| a code without terminator             | returned after 0.3 s without a byte (``gap`` option)     |
| bytes not valid in the encoding       | replaced by U+FFFD (the code is still returned)          |
| empty lines                           | skipped                                                  |
| keyboard-wedge (HID) scanners         | no: those type into the stdin face                       |
"""

from __future__ import annotations

from urllib.parse import SplitResult

from drivers.serialline import SerialFrames

__all__ = ["SerialScanner", "line_end", "open_scanner"]

TERMINATORS = b"\r\n\t"


def line_end(buf: bytes) -> int | None:
    """Length of the first complete line in ``buf`` (terminator and a CRLF's LF included), or None.

    >>> line_end(b"abc\\r\\nxyz"), line_end(b"abc"), line_end(b"a\\tb")
    (5, None, 2)
    """
    for i, b in enumerate(buf):
        if b in TERMINATORS:
            return i + 2 if buf[i : i + 2] == b"\r\n" else i + 1
    return None


class SerialScanner:
    """``scanner://``: a :class:`drivers.base.Scanner` on a serial port."""

    def __init__(self, url: str, frames: SerialFrames, encoding: str = "utf-8") -> None:
        self.url = url
        self.encoding = encoding
        self._frames = frames

    def read_code(self, timeout_s: float) -> str | None:
        """The next code, or None after ``timeout_s`` without one.

        Raises:
            DeviceDisconnected: the port went away.
        """
        import time

        deadline = time.monotonic() + max(timeout_s, 0.0)
        while True:
            got = self._frames.next_frame(max(deadline - time.monotonic(), 0.0), line_end)
            if got is None:
                return None
            code = got[0].rstrip(TERMINATORS).decode(self.encoding, "replace")
            if code:
                return code
            if time.monotonic() >= deadline:
                return None

    def close(self) -> None:
        self._frames.close()


def open_scanner(parts: SplitResult) -> SerialScanner:
    """The factory behind ``scanner://``.

    Raises:
        DeviceNotFound: no such port. BadDeviceUrl: a bad option.
    """
    import codecs

    from drivers import device_url, float_option, query_options
    from drivers.errors import BadDeviceUrl
    from drivers.serialline import open_port, port_of

    url = device_url(parts)
    options = query_options(parts, frozenset({"baud", "gap", "encoding"}))
    encoding = options.get("encoding", "utf-8")
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise BadDeviceUrl(url, f"unknown encoding {encoding!r}") from exc
    port = open_port(url, port_of(parts), int(float_option(url, options, "baud", 9600)))
    return SerialScanner(url, SerialFrames(url, port, float_option(url, options, "gap", 0.3)), encoding)
