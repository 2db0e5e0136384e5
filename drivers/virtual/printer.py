"""The virtual receipt printer: keeps the ESC/POS bytes and renders them to text and PNG.

URL format::

    virtual://printer[?paper=58|80]

Support table:

| feature                                 | support                                                    |
|-----------------------------------------|------------------------------------------------------------|
| bytes                                   | a real printer's (``drivers.escpos.encode_document``)      |
| ``output``                              | every byte printed since the last ``clear()``              |
| ``render()``, ``render_text()``         | :mod:`drivers.virtual.render` (text, QR, barcodes, cut)     |
| ``render_png()``                        | :mod:`drivers.virtual.paint` (CJK font or boxes)           |
| paper ok / near end / out, cover open   | ``set_paper()``, ``set_cover_open()``; ``run_out_after(n)`` |
| disconnect                              | ``disconnect()`` / ``reconnect()``                         |
| drawer kicks                            | ``render().drawer_kicks``                                  |
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from drivers.base import PaperState, PrinterStatus
from drivers.document import PrintOp
from drivers.errors import CoverOpen, PaperOut, PrinterDisconnected
from drivers.escpos import PAPERS, Paper, encode_document
from drivers.virtual.render import Rendering, parse_escpos

__all__ = ["VirtualPrinter"]


class VirtualPrinter:
    """``virtual://printer``: a :class:`drivers.base.Printer` that prints into memory."""

    def __init__(self, url: str = "virtual://printer", paper: Paper = PAPERS["58"]) -> None:
        self.url = url
        self.paper = paper
        self._out = bytearray()
        self._lock = threading.Lock()
        self._paper_state: PaperState = "ok"
        self._cover_open = False
        self._online = True
        self._ops_left: int | None = None

    # -- test-side API ------------------------------------------------------------------------------
    @property
    def output(self) -> bytes:
        """The ESC/POS bytes printed since the last :meth:`clear`."""
        return bytes(self._out)

    def clear(self) -> None:
        self._out.clear()

    def set_paper(self, state: PaperState) -> None:
        self._paper_state = state
        self._ops_left = None

    def run_out_after(self, ops: int) -> None:
        """The paper runs out after ``ops`` more document operations."""
        self._ops_left = ops

    def set_cover_open(self, is_open: bool) -> None:
        self._cover_open = is_open

    def disconnect(self) -> None:
        self._online = False

    def reconnect(self) -> None:
        self._online = True

    def render(self) -> Rendering:
        return parse_escpos(self.output)

    def render_text(self) -> str:
        return self.render().text(self.paper.columns)

    def render_png(self) -> bytes:
        from drivers.virtual.paint import paint_png

        return paint_png(self.render(), self.paper.dots)

    # -- Printer ------------------------------------------------------------------------------------
    def status(self, timeout_s: float = 1.0) -> PrinterStatus:
        if not self._online:
            raise PrinterDisconnected(self.url, "printer unplugged")
        return PrinterStatus(online=True, paper=self._paper_state, cover_open=self._cover_open)

    def print_document(self, ops: Sequence[PrintOp]) -> None:
        """Print ``ops`` into :attr:`output`.

        Raises:
            PaperOut, CoverOpen, PrinterDisconnected: with ``printed`` set.
        """
        init, chunks = encode_document(ops, self.paper)
        with self._lock:
            self._check(0)
            self._out += init
            for i, chunk in enumerate(chunks):
                if self._ops_left is not None:
                    if self._ops_left <= 0:
                        self._paper_state = "out"
                        self._ops_left = None
                        raise PaperOut(self.url, "paper ran out mid-document", i)
                    self._ops_left -= 1
                self._check(i)
                self._out += chunk

    def _check(self, printed: int) -> None:
        if not self._online:
            raise PrinterDisconnected(self.url, "printer unplugged", printed)
        if self._paper_state == "out":
            raise PaperOut(self.url, "paper out", printed)
        if self._cover_open:
            raise CoverOpen(self.url, "cover open", printed)

    def close(self) -> None:
        pass
