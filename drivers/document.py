"""A receipt as data: the operations a :class:`drivers.base.Printer` prints, in order.

The receipts code builds a list of these; ``drivers.escpos`` encodes them to ESC/POS (the same bytes for a
real printer and for ``virtual://printer``) and the virtual printer renders those bytes back to text and
PNG. Text is Unicode; the printer driver chooses the encoding (GB18030 for the Chinese printers this
terminal ships with).

>>> doc = [Text("签购单 SALE", align="center", bold=True, width=2, height=2), Feed(1), Cut()]
>>> [type(op).__name__ for op in doc]
['Text', 'Feed', 'Cut']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Align", "Barcode", "Cut", "Feed", "KickDrawer", "PrintOp", "Qr", "Text"]

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Text:
    """One or more lines of text (a newline is added at the end). ``width``/``height`` are 1 or 2."""

    text: str
    align: Align = "left"
    bold: bool = False
    underline: bool = False
    width: int = 1
    height: int = 1

    def __post_init__(self) -> None:
        if self.width not in (1, 2) or self.height not in (1, 2):
            raise ValueError("text width and height are 1 or 2")


@dataclass(frozen=True)
class Qr:
    """A QR code printed by the printer itself (``GS ( k``); ``size`` is the module size in dots (1-16)."""

    data: str
    size: int = 6
    align: Align = "center"

    def __post_init__(self) -> None:
        if not 1 <= self.size <= 16:
            raise ValueError("QR module size is 1-16 dots")


@dataclass(frozen=True)
class Barcode:
    """A 1D barcode (``GS k``) with its human-readable digits below."""

    data: str
    kind: Literal["CODE128", "EAN13", "CODE39"] = "CODE128"
    height: int = 64
    align: Align = "center"


@dataclass(frozen=True)
class Feed:
    """Blank lines."""

    lines: int = 1


@dataclass(frozen=True)
class Cut:
    """Feed past the cutter and cut (partial leaves a hinge)."""

    partial: bool = True


@dataclass(frozen=True)
class KickDrawer:
    """Pulse the cash drawer on connector pin 2 or 5."""

    pin: Literal[2, 5] = 2


PrintOp = Text | Qr | Barcode | Feed | Cut | KickDrawer
