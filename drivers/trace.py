"""APDU tracing by wrapping (STYLE.md sections 2 and 6): ``TracedReader(inner)``, switched on by ``?trace=1``.

Like pyscard's observers and pyserial's ``spy://``, the wrapper logs every exchange at DEBUG on the
``drivers.trace`` logger: CLA INS P1 P2, Lc, Le, the status word and the lengths. It logs bodies only for
``virtual://`` readers (test cards), and even then every sensitive data object (PAN, track 2, cardholder
name, PIN data; :func:`emv.tags.is_sensitive`) is replaced by ``*`` before the hex is written. A body that
is not BER-TLV is never logged.

>>> redact_body(bytes.fromhex("70105A0862242429000001135F2403281231"))
'70105A08****************5F2403281231'
"""

from __future__ import annotations

import logging
import time

from drivers.base import CardEvent, CardReader, ContactlessReader, Tap
from emv import tags, tlv
from emv.apdu import ApduError, Command

__all__ = ["TracedReader", "describe_command", "redact_body"]

log = logging.getLogger(__name__)


def describe_command(apdu: bytes) -> str:
    """CLA INS P1 P2 and lengths of a C-APDU, never its data.

    >>> describe_command(bytes.fromhex("00A404000E315041592E5359532E444446303100"))
    '00 A4 04 00 Lc=14 Le=00'
    >>> describe_command(b"\\x00")
    'malformed command of 1 bytes'
    """
    try:
        return Command.parse(apdu).describe()
    except ApduError:
        return f"malformed command of {len(apdu)} bytes"


def redact_body(data: bytes) -> str | None:
    """Hex of ``data`` with every sensitive primitive value masked, or None when it is not BER-TLV."""
    try:
        index = tlv.decode(data)
    except tlv.TlvError:
        return None
    out = bytearray(data.hex().upper().encode())
    for j in range(0, len(index), 3):
        tag, start, end = index[j], index[j + 1], index[j + 2]
        if not tlv.is_constructed(tag) and tags.is_sensitive(tag):
            out[2 * start : 2 * end] = b"*" * (2 * (end - start))
    return out.decode()


class TracedReader:
    """A :class:`CardReader` or :class:`ContactlessReader` that logs each exchange, redacted."""

    def __init__(self, inner: CardReader | ContactlessReader, bodies: bool | None = None) -> None:
        self.inner = inner
        self.url = inner.url
        self.bodies = inner.url.startswith("virtual:") if bodies is None else bodies

    def power_on(self, timeout_s: float) -> bytes:
        if not isinstance(self.inner, CardReader):
            raise TypeError(f"{self.url} is contactless: use activate()")
        atr = self.inner.power_on(timeout_s)
        log.debug("%s power on, ATR %s", self.url, atr.hex().upper())
        return atr

    def activate(self, timeout_s: float) -> Tap:
        if not isinstance(self.inner, ContactlessReader):
            raise TypeError(f"{self.url} is a contact reader: use power_on()")
        tap = self.inner.activate(timeout_s)
        log.debug("%s activated type %s, ATS %s", self.url, tap.technology, tap.ats.hex().upper())
        return tap

    def transmit(self, apdu: bytes) -> bytes:
        head = describe_command(apdu)
        start = time.perf_counter()
        try:
            rapdu = self.inner.transmit(apdu)
        except Exception as exc:
            log.debug("%s %s -> %s", self.url, head, type(exc).__name__)
            raise
        ms = (time.perf_counter() - start) * 1000
        sw = rapdu[-2:].hex().upper() if len(rapdu) >= 2 else "(no SW)"
        log.debug("%s %s -> %s, %d data bytes, %.2f ms", self.url, head, sw, max(len(rapdu) - 2, 0), ms)
        if self.bodies and log.isEnabledFor(logging.DEBUG):
            body = redact_body(rapdu[:-2])
            if body:
                log.debug("%s   data %s", self.url, body)
        return rapdu

    def is_present(self) -> bool:
        return self.inner.is_present()

    def wait_event(self, timeout_s: float) -> CardEvent | None:
        event = self.inner.wait_event(timeout_s)
        if event is not None:
            log.debug("%s event %s", self.url, event.kind)
        return event

    def close(self) -> None:
        self.inner.close()
