"""ESC/POS receipt printers on python-escpos (Epson ESC/POS command reference; GB18030 text for the
Chinese printers UnionPay acquirers deploy).

URL format::

    escpos+tcp://HOST[:PORT]          a network printer (raw TCP, 9100 by default)
    escpos+usb://VID:PID              a USB printer (hex ids; needs pyusb)
    escpos+serial:///dev/ttyS0        a serial printer (option baud, default 9600)
    escpos+file:///dev/usb/lp0        a device file (write only)
    options: paper=58|80 (default 58), timeout=SECONDS (default 5), status=0 to never query status

Support table:

| feature                                      | tcp  | usb  | serial | file |
|----------------------------------------------|------|------|--------|------|
| text in GB18030 (``FS &``), bold, underline, | yes  | yes  | yes    | yes  |
| double width/height, alignment               |      |      |        |      |
| native QR (``GS ( k``), CODE128/EAN13/CODE39 | yes  | yes  | yes    | yes  |
| feed, partial/full cut, drawer kick          | yes  | yes  | yes    | yes  |
| status: online, paper near end/out, cover    | yes  | yes  | yes    | no   |
| paper out mid-document (``printed`` count)   | yes  | yes  | yes    | no   |

Encoding is pure: :func:`encode_document` turns :mod:`drivers.document` operations into ESC/POS bytes
through python-escpos's ``Dummy`` printer with a 58 mm or 80 mm profile, one chunk per operation, so the
real printers and ``virtual://printer`` get identical bytes. The transport sends the chunks and, where it
can read, asks ``DLE EOT`` after each one; an answer of "paper out" stops the document with
:class:`PaperOut` carrying how many operations went out.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import SplitResult

from drivers.base import PrinterStatus
from drivers.document import Barcode, Cut, Feed, KickDrawer, PrintOp, Qr, Text
from drivers.errors import (
    BadDeviceUrl,
    CoverOpen,
    DeviceNotFound,
    DriverUnavailable,
    PaperOut,
    PrinterDisconnected,
)

__all__ = [
    "PAPERS",
    "EscposPrinter",
    "Paper",
    "encode_barcode",
    "encode_document",
    "open_printer",
    "status_from_bytes",
]

log = logging.getLogger(__name__)

ESC_INIT = b"\x1b\x40"
FS_CHINESE_ON = b"\x1c\x26"  # enter Chinese character mode: text bytes are GB18030 from here on
DLE_EOT = b"\x10\x04"


@dataclass(frozen=True)
class Paper:
    """A paper width: printable dots (203 dpi), columns of font A (12 dots), the python-escpos profile."""

    name: str
    dots: int
    columns: int
    profile: str


PAPERS = MappingProxyType(
    {
        "58": Paper("58", 384, 32, "RP-F10-58mm"),
        "80": Paper("80", 576, 48, "RP-F10-80mm"),
    }
)


def _escpos_env() -> None:
    """python-escpos re-parses capabilities.json and leaves a temp folder per import unless it may cache
    it in a fixed folder (RECIPES.md): give it one unless the caller (the Makefile) did."""
    folder = os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR")
    if not folder:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        folder = str(base / "posemu" / "escpos")
        os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = folder
    Path(folder).mkdir(parents=True, exist_ok=True)  # python-escpos fails on a missing folder


def _dummy(paper: Paper) -> Any:
    _escpos_env()
    from escpos.printer import Dummy

    return Dummy(profile=paper.profile)


def encode_document(ops: Sequence[PrintOp], paper: Paper = PAPERS["58"]) -> tuple[bytes, list[bytes]]:
    """The ESC/POS bytes of a document: the initialisation (``ESC @``, ``FS &``) and one chunk per
    operation.

    >>> init, chunks = encode_document([Text("合计 TOTAL", bold=True), Cut()])
    >>> init.hex(), chunks[0][-11:].hex()
    ('1b401c26', 'bacfbcc620544f54414c0a')
    """
    d = _dummy(paper)
    chunks: list[bytes] = []
    for op in ops:
        d.clear()
        _encode_op(d, op)
        chunks.append(d.output)
    return ESC_INIT + FS_CHINESE_ON, chunks


def _encode_op(d: Any, op: PrintOp) -> None:
    if isinstance(op, Text):
        d.set(
            align=op.align,
            bold=op.bold,
            underline=1 if op.underline else 0,
            custom_size=True,
            width=op.width,
            height=op.height,
        )
        d._raw(op.text.encode("gb18030", errors="replace") + b"\n")
    elif isinstance(op, Qr):
        d.set(align=op.align)
        d.qr(op.data, size=op.size, native=True)
        d._raw(b"\n")
    elif isinstance(op, Barcode):
        d.set(align=op.align)
        d._raw(encode_barcode(op))
    elif isinstance(op, Feed):
        d.print_and_feed(op.lines)
    elif isinstance(op, Cut):
        d.cut(mode="PART" if op.partial else "FULL")
    elif isinstance(op, KickDrawer):
        d.cashdraw(op.pin)
    else:  # pragma: no cover - PrintOp is closed
        raise TypeError(f"not a print operation: {type(op).__name__}")


_BARCODE_M = MappingProxyType({"EAN13": 67, "CODE39": 69, "CODE128": 73})


def encode_barcode(op: Barcode) -> bytes:
    """``GS h`` height, ``GS w`` module width 2, ``GS f`` HRI font A, ``GS H`` HRI below, ``GS k`` (format
    B: m, n, data; CODE128 data starts with the code set ``{B``). python-escpos's ``barcode()`` prints to
    stdout, so posemu writes these few bytes itself.

    >>> encode_barcode(Barcode("123", height=50)).hex()
    '1d68321d77021d66001d48021d6b49057b42313233'
    """
    data = ("{B" + op.data if op.kind == "CODE128" else op.data).encode("ascii")
    if not 1 <= op.height <= 255 or len(data) > 255:
        raise ValueError("barcode height is 1-255 dots and data at most 255 bytes")
    return (
        b"\x1dh"
        + bytes((op.height,))
        + b"\x1dw\x02\x1df\x00\x1dH\x02"
        + b"\x1dk"
        + bytes((_BARCODE_M[op.kind], len(data)))
        + data
    )


def status_from_bytes(online: int | None, cause: int | None, paper: int | None) -> PrinterStatus:
    """A :class:`PrinterStatus` from the answers to ``DLE EOT 1``, ``2`` and ``4`` (None: no answer).

    >>> status_from_bytes(0x12, 0x12, 0x12)
    PrinterStatus(online=True, paper='ok', cover_open=False)
    >>> status_from_bytes(0x1A, 0x36, 0x72)
    PrinterStatus(online=False, paper='out', cover_open=True)
    """
    if online is None:
        return PrinterStatus(online=True, paper="unknown", cover_open=None)
    state = "unknown"
    if paper is not None:
        state = "out" if paper & 0x60 == 0x60 else "near_end" if paper & 0x0C == 0x0C else "ok"
    return PrinterStatus(
        online=not online & 0x08,
        paper=state,  # type: ignore[arg-type]
        cover_open=None if cause is None else bool(cause & 0x04),
    )


class EscposPrinter:
    """A :class:`drivers.base.Printer` over a python-escpos transport (Network, Usb, Serial, File)."""

    def __init__(
        self, url: str, transport: Any, paper: Paper, kind: str, timeout_s: float, query: bool
    ) -> None:
        self.url = url
        self.paper = paper
        self.kind = kind
        self._transport = transport
        self._timeout_s = timeout_s
        self._query = query

    # -- status ---------------------------------------------------------------------------------------
    def _ask(self, n: int, timeout_s: float) -> int | None:
        try:
            self._transport._raw(DLE_EOT + bytes((n,)))
            device = self._transport.device
            if self.kind == "tcp":
                device.settimeout(timeout_s)
                try:
                    data = device.recv(1)
                finally:
                    device.settimeout(self._timeout_s)
                if not data:
                    raise PrinterDisconnected(self.url, "the printer closed the connection")
            elif self.kind == "serial":
                device.timeout = timeout_s
                data = device.read(1)
            else:
                data = self._transport._read()
        except TimeoutError:
            return None
        except OSError as exc:
            raise PrinterDisconnected(self.url, f"link lost ({type(exc).__name__})") from exc
        except Exception as exc:  # python-escpos and pyserial errors of a vanished device
            if isinstance(exc, PrinterDisconnected):
                raise
            raise PrinterDisconnected(self.url, f"link lost ({type(exc).__name__})") from exc
        return data[0] if data else None

    def status(self, timeout_s: float = 1.0) -> PrinterStatus:
        """Ask ``DLE EOT`` 1, 2 and 4; ``paper="unknown"`` where the transport cannot read.

        Raises:
            PrinterDisconnected: the link dropped.
        """
        if not self._query:
            return PrinterStatus(online=True)
        online = self._ask(1, timeout_s)
        if online is None:
            return status_from_bytes(None, None, None)
        return status_from_bytes(online, self._ask(2, timeout_s), self._ask(4, timeout_s))

    # -- printing -------------------------------------------------------------------------------------
    def _check(self, status: PrinterStatus, printed: int) -> None:
        if status.paper == "out":
            raise PaperOut(self.url, "paper out", printed)
        if status.cover_open:
            raise CoverOpen(self.url, "cover open", printed)
        if not status.online:
            raise PrinterDisconnected(self.url, "printer offline", printed)

    def _send(self, chunk: bytes, printed: int) -> None:
        try:
            self._transport._raw(chunk)
        except Exception as exc:  # OSError, serial.SerialException, usb errors: the link is gone
            raise PrinterDisconnected(self.url, f"link lost ({type(exc).__name__})", printed) from exc

    def print_document(self, ops: Sequence[PrintOp]) -> None:
        """Print ``ops``; between operations, ask the paper sensor where the transport can read.

        Raises:
            PaperOut, CoverOpen, PrinterDisconnected: with ``printed`` set.
        """
        init, chunks = encode_document(ops, self.paper)
        status = self.status(self._timeout_s)
        self._check(status, 0)
        can_ask = self._query and status.paper != "unknown"
        self._send(init, 0)
        for i, chunk in enumerate(chunks):
            self._send(chunk, i)
            if can_ask:
                try:
                    paper = self._ask(4, self._timeout_s)
                except PrinterDisconnected as exc:
                    raise PrinterDisconnected(self.url, exc.reason, i) from exc
                if paper is not None and paper & 0x60 == 0x60:
                    raise PaperOut(self.url, "paper ran out mid-document", i + 1)
        log.debug("%s printed %d operations", self.url, len(chunks))

    def close(self) -> None:
        try:
            self._transport.close()
        except Exception:  # closing a vanished device: nothing left to release
            log.debug("%s close failed", self.url, exc_info=True)


def open_printer(parts: SplitResult) -> EscposPrinter:
    """The factory behind ``escpos+tcp|usb|serial|file://`` (see the module docstring).

    Raises:
        DeviceNotFound: the printer does not answer or the file cannot be opened.
        DriverUnavailable: pyusb is missing (USB). BadDeviceUrl: a bad option.
    """
    from drivers import device_url, float_option, query_options

    url = device_url(parts)
    options = query_options(parts, frozenset({"paper", "timeout", "status", "baud"}))
    paper = PAPERS.get(options.get("paper", "58"))
    if paper is None:
        raise BadDeviceUrl(url, f"paper must be one of {', '.join(PAPERS)}")
    timeout_s = float_option(url, options, "timeout", 5.0)
    kind = parts.scheme.partition("+")[2]
    _escpos_env()
    import escpos.exceptions
    import escpos.printer

    try:
        if kind == "tcp":
            if not parts.hostname:
                raise BadDeviceUrl(url, "no host")
            transport: Any = escpos.printer.Network(parts.hostname, parts.port or 9100, timeout=timeout_s)
        elif kind == "serial":
            baud = int(float_option(url, options, "baud", 9600))
            transport = escpos.printer.Serial(devfile=parts.path, baudrate=baud, timeout=timeout_s)
        elif kind == "file":
            transport = escpos.printer.File(devfile=parts.path)
        else:
            if importlib.util.find_spec("usb") is None:
                raise DriverUnavailable(url, "missing usb (pip install pyusb)")
            vid, _, pid = parts.netloc.partition(":")
            try:
                transport = escpos.printer.Usb(int(vid, 16), int(pid, 16), timeout=int(timeout_s * 1000))
            except ValueError as exc:
                raise BadDeviceUrl(url, "USB ids are VID:PID in hex") from exc
        transport.open()
        if kind == "tcp":  # a status query right after a chunk must not wait for Nagle + delayed ACK
            import socket

            transport.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (escpos.exceptions.Error, OSError) as exc:
        raise DeviceNotFound(url, f"cannot open the printer ({type(exc).__name__})") from exc
    query = options.get("status", "1") not in ("0", "false", "no") and kind != "file"
    return EscposPrinter(url, transport, paper, kind, timeout_s, query)
