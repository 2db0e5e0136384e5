"""Read ESC/POS bytes back into printed blocks, and those into text (Epson ESC/POS command reference).

No maintained Python 3.11 package renders ESC/POS (RECIPES.md), so posemu interprets the subset receipt
printers use: text with ``ESC @``, ``ESC a`` (alignment), ``ESC E``/``ESC G`` (bold), ``ESC -``
(underline), ``ESC !`` and ``GS !`` (sizes), ``FS &``/``FS .`` (Chinese mode: GB18030 text), ``FS !``,
``ESC t`` (code page); ``LF``, ``HT``, ``ESC d`` (feed), ``GS V`` (cut), ``ESC p`` and ``DLE DC4``
(drawer kick); ``GS ( k`` QR (model, module size, error correction, store, print); ``GS k`` barcodes with
``GS h``/``GS w``/``GS H``; ``GS v 0`` raster images. Every other command of known length is skipped;
an unknown one is listed in :attr:`Rendering.unknown` (with its offset) and rendering goes on.
:mod:`drivers.virtual.paint` draws the same blocks to a PNG.

>>> r = parse_escpos(b"\\x1b@\\x1c&\\x1ba\\x01\\xc7\\xa9\\xb9\\xba\\xb5\\xa5\\n\\x1dV\\x01")
>>> r.text(16).splitlines()
['     签购单', ' [partial cut]']
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "BarcodeBlock",
    "Block",
    "CutMark",
    "ImageBlock",
    "QrBlock",
    "Rendering",
    "TextLine",
    "TextRun",
    "char_columns",
    "parse_escpos",
]

Align = Literal["left", "center", "right"]
_ALIGN: dict[int, Align] = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
_CODEPAGES = {0: "cp437", 2: "cp850", 3: "cp860", 16: "cp1252", 17: "cp866", 19: "cp858"}
_BARCODES = {
    0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "CODABAR",
    65: "UPC-A", 66: "UPC-E", 67: "EAN13", 68: "EAN8", 69: "CODE39", 70: "ITF", 71: "CODABAR",
    72: "CODE93", 73: "CODE128", 74: "GS1-128",
}  # fmt: skip
_QR_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}
# ESC/GS/FS commands skipped with a fixed count of argument bytes
_ESC_ARGS = {0x20: 1, 0x24: 2, 0x25: 1, 0x32: 0, 0x33: 1, 0x3C: 0, 0x3D: 1, 0x3F: 1, 0x4A: 1, 0x4B: 1,
             0x4D: 1, 0x52: 1, 0x53: 0, 0x54: 1, 0x55: 1, 0x56: 1, 0x5C: 2, 0x63: 2, 0x65: 1, 0x72: 1,
             0x7B: 1, 0x42: 2, 0x4C: 0}  # fmt: skip
_GS_ARGS = {0x42: 1, 0x62: 1, 0x4C: 2, 0x57: 2, 0x50: 2, 0x54: 1, 0x49: 1, 0x61: 1, 0x72: 1, 0x3A: 0,
            0x5E: 3, 0x2F: 1, 0x45: 1}  # fmt: skip
_FS_ARGS = {0x2D: 1, 0x43: 1, 0x57: 1, 0x53: 2, 0x70: 2, 0x3F: 2, 0x32: 0}


def char_columns(ch: str) -> int:
    """Columns of font A a character takes: 2 for a full-width (CJK) character, else 1.

    >>> char_columns("A"), char_columns("签"), char_columns("，")
    (1, 2, 2)
    """
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


@dataclass(frozen=True)
class TextRun:
    """Text printed in one style. ``width``/``height`` are the size multipliers (1-8)."""

    text: str
    bold: bool = False
    underline: bool = False
    width: int = 1
    height: int = 1

    @property
    def columns(self) -> int:
        return sum(char_columns(c) for c in self.text) * self.width


@dataclass(frozen=True)
class TextLine:
    """One printed line: its runs (none for a blank line) and alignment."""

    runs: tuple[TextRun, ...]
    align: Align = "left"

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)

    @property
    def height(self) -> int:
        return max((r.height for r in self.runs), default=1)


@dataclass(frozen=True)
class QrBlock:
    data: str
    module: int
    ec: str
    align: Align


@dataclass(frozen=True)
class BarcodeBlock:
    kind: str
    data: str
    height: int
    module: int
    hri: int  # 0 none, 1 above, 2 below, 3 both
    align: Align


@dataclass(frozen=True)
class ImageBlock:
    """A raster image: ``width_bytes`` * 8 dots wide, ``rows`` high, 1 bit per dot (1 = black)."""

    width_bytes: int
    rows: int
    bits: bytes
    align: Align


@dataclass(frozen=True)
class CutMark:
    partial: bool


Block = TextLine | QrBlock | BarcodeBlock | ImageBlock | CutMark


@dataclass
class Rendering:
    """What the bytes print: blocks top to bottom, drawer kicks (pins), unknown commands (with offset)."""

    blocks: list[Block] = field(default_factory=list)
    drawer_kicks: list[int] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def text(self, columns: int = 32) -> str:
        """The receipt as plain text, ``columns`` wide (32 for 58 mm paper, 48 for 80 mm). Lines wrap at
        the printer's width; alignment pads with spaces; codes and cuts show as ``[...]`` lines."""
        out: list[str] = []
        for block in self.blocks:
            if isinstance(block, TextLine):
                for row in wrap_runs(block.runs, columns):
                    text = "".join(r.text for r in row).expandtabs(8)
                    out.append(_pad(text, block.align, columns).rstrip())
            elif isinstance(block, QrBlock):
                out.append(_pad(f"[QR: {block.data}]", block.align, columns).rstrip())
            elif isinstance(block, BarcodeBlock):
                out.append(_pad(f"[{block.kind}: {block.data}]", block.align, columns).rstrip())
            elif isinstance(block, ImageBlock):
                out.append(
                    _pad(f"[image {block.width_bytes * 8}x{block.rows}]", block.align, columns).rstrip()
                )
            else:
                out.append(_pad("[partial cut]" if block.partial else "[cut]", "center", columns).rstrip())
        return "\n".join(out) + "\n" if out else ""


def _pad(text: str, align: Align, columns: int) -> str:
    free = max(columns - sum(char_columns(c) for c in text), 0)
    if align == "center":
        return " " * (free // 2) + text
    if align == "right":
        return " " * free + text
    return text


def wrap_runs(runs: tuple[TextRun, ...], columns: int) -> list[list[TextRun]]:
    """Split a line's runs into printed rows of at most ``columns`` (scaled) columns."""
    rows: list[list[TextRun]] = [[]]
    used = 0
    for run in runs:
        piece = ""
        for ch in run.text:
            w = char_columns(ch) * run.width
            if used + w > columns and (used or piece):
                if piece:
                    rows[-1].append(TextRun(piece, run.bold, run.underline, run.width, run.height))
                rows.append([])
                piece, used = "", 0
            piece += ch
            used += w
        if piece:
            rows[-1].append(TextRun(piece, run.bold, run.underline, run.width, run.height))
    return rows


class _Parser:
    """One pass over the bytes; the printer's modes live on the instance."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.out = Rendering()
        self.runs: list[TextRun] = []
        self.pending = bytearray()
        self.pending_key: tuple[bool, bool, int, int, str] | None = None
        self.qr_data = b""
        self.qr_module = 3
        self.qr_ec = "L"
        self.bc_height = 162
        self.bc_module = 3
        self.bc_hri = 0
        self.reset()

    def reset(self) -> None:
        self.align: Align = "left"
        self.bold = False
        self.underline = False
        self.width = 1
        self.height = 1
        self.chinese = False
        self.codepage = "cp437"

    def key(self) -> tuple[bool, bool, int, int, str]:
        return (
            self.bold,
            self.underline,
            self.width,
            self.height,
            "gb18030" if self.chinese else self.codepage,
        )

    def close_run(self) -> None:
        if self.pending and self.pending_key is not None:
            bold, underline, width, height, encoding = self.pending_key
            text = bytes(self.pending).decode(encoding, "replace")
            self.runs.append(TextRun(text, bold, underline, width, height))
        self.pending.clear()
        self.pending_key = None

    def flush(self, force: bool) -> bool:
        """End the current line; a blank line only when ``force``. True when a line was printed."""
        self.close_run()
        if self.runs or force:
            self.out.blocks.append(TextLine(tuple(self.runs), self.align))
            self.runs.clear()
            return True
        return False

    def arg(self, i: int) -> int:
        return self.data[i] if i < len(self.data) else 0

    def run(self) -> Rendering:
        data, i, n = self.data, 0, len(self.data)
        while i < n:
            b = data[i]
            if b >= 0x20 or b == 0x09:
                if self.pending_key != self.key():
                    self.close_run()
                    self.pending_key = self.key()
                self.pending.append(b)
                i += 1
            elif b == 0x0A:
                self.flush(True)
                i += 1
            elif b == 0x1B and i + 1 < n:
                i = self.esc(i, data[i + 1])
            elif b == 0x1D and i + 1 < n:
                i = self.gs(i, data[i + 1])
            elif b == 0x1C and i + 1 < n:
                i = self.fs(i, data[i + 1])
            elif b == 0x10 and i + 1 < n:
                if data[i + 1] == 0x14:  # DLE DC4 fn m t: real-time pulse (drawer kick)
                    self.out.drawer_kicks.append(2 if self.arg(i + 3) in (0, 48) else 5)
                    i += 5
                else:  # DLE EOT n / DLE ENQ n: real-time status, prints nothing
                    i += 3
            else:
                if b == 0x0C:
                    self.flush(False)
                elif b in (0x1B, 0x1D, 0x1C, 0x10):
                    self.out.unknown.append(f"{b:02X} truncated at {i}")
                i += 1  # CR, NUL and other control bytes print nothing
        self.flush(False)
        return self.out

    def esc(self, i: int, c: int) -> int:
        arg = self.arg(i + 2)
        if c == 0x40:  # ESC @
            self.flush(False)
            self.reset()
            return i + 2
        if c == 0x70:  # ESC p m t1 t2
            self.out.drawer_kicks.append(2 if arg in (0, 48) else 5)
            return i + 5
        if c == 0x44:  # ESC D: tab stops, NUL-terminated
            end = self.data.find(b"\x00", i + 2)
            return len(self.data) if end < 0 else end + 1
        if c == 0x2A:  # ESC * m nL nH: bit image column data
            cols = self.arg(i + 3) | self.arg(i + 4) << 8
            return i + 5 + cols * (1 if arg in (0, 1) else 3)
        if c in _ESC_ARGS:
            return i + 2 + _ESC_ARGS[c]
        if c not in (0x61, 0x45, 0x47, 0x2D, 0x21, 0x64, 0x74):
            self.out.unknown.append(f"ESC {c:02X} at {i}")
            return i + 2
        self.close_run()
        if c == 0x61:
            self.align = _ALIGN.get(arg, "left")
        elif c in (0x45, 0x47):
            self.bold = bool(arg & 1)
        elif c == 0x2D:
            self.underline = arg not in (0, 48)
        elif c == 0x21:
            self.bold = bool(arg & 0x08)
            self.height = 2 if arg & 0x10 else 1
            self.width = 2 if arg & 0x20 else 1
            self.underline = bool(arg & 0x80)
        elif c == 0x64:  # ESC d n: print the buffer, then feed n lines (the printed line is one)
            printed = self.flush(False)
            for _ in range(arg - 1 if printed else arg):
                self.flush(True)
        else:
            self.codepage = _CODEPAGES.get(arg, "cp437")
        return i + 3

    def gs(self, i: int, c: int) -> int:
        data, n, arg = self.data, len(self.data), self.arg(i + 2)
        if c == 0x21:
            self.close_run()
            self.width = min((arg >> 4 & 7) + 1, 8)
            self.height = min((arg & 7) + 1, 8)
            return i + 3
        if c == 0x56:  # GS V m [n]
            self.flush(False)
            self.out.blocks.append(CutMark(partial=arg in (1, 49, 66, 98, 104)))
            return i + 4 if arg >= 65 else i + 3
        if c in (0x68, 0x77, 0x48, 0x66):
            if c == 0x68:
                self.bc_height = arg
            elif c == 0x77:
                self.bc_module = arg
            elif c == 0x48:
                self.bc_hri = arg & 3
            return i + 3
        if c == 0x6B:  # GS k m ...
            self.flush(False)
            if arg <= 6:
                end = data.find(b"\x00", i + 3)
                end = n if end < 0 else end
                raw, nxt = data[i + 3 : end], end + 1
            else:
                length = self.arg(i + 3)
                raw, nxt = data[i + 4 : i + 4 + length], i + 4 + length
            text = raw.decode("ascii", "replace")
            if text[:1] == "{" and len(text) > 1:
                text = text[2:]  # CODE128 code set selector
            kind = _BARCODES.get(arg, f"barcode {arg}")
            self.out.blocks.append(
                BarcodeBlock(kind, text, self.bc_height, self.bc_module, self.bc_hri, self.align)
            )
            return nxt
        if c == 0x28:  # GS ( x pL pH ...
            size = self.arg(i + 3) | self.arg(i + 4) << 8
            body = data[i + 5 : i + 5 + size]
            if arg == 0x6B and len(body) >= 2 and body[0] == 0x31:
                self.qr(body)
            return i + 5 + size
        if c == 0x76:  # GS v 0 m xL xH yL yH d...
            width_bytes = self.arg(i + 4) | self.arg(i + 5) << 8
            rows = self.arg(i + 6) | self.arg(i + 7) << 8
            self.flush(False)
            bits = bytes(data[i + 8 : i + 8 + width_bytes * rows])
            self.out.blocks.append(ImageBlock(width_bytes, rows, bits, self.align))
            return i + 8 + width_bytes * rows
        if c in _GS_ARGS:
            return i + 2 + _GS_ARGS[c]
        self.out.unknown.append(f"GS {c:02X} at {i}")
        return i + 2

    def qr(self, body: bytes) -> None:
        fn = body[1]
        if fn == 0x43 and len(body) > 2:
            self.qr_module = body[2]
        elif fn == 0x45 and len(body) > 2:
            self.qr_ec = _QR_EC.get(body[2], "L")
        elif fn == 0x50 and len(body) > 2:
            self.qr_data = body[3:]
        elif fn == 0x51:
            self.flush(False)
            data = self.qr_data.decode("utf-8", "replace")
            self.out.blocks.append(QrBlock(data, self.qr_module, self.qr_ec, self.align))

    def fs(self, i: int, c: int) -> int:
        arg = self.arg(i + 2)
        if c in (0x26, 0x2E):
            self.close_run()
            self.chinese = c == 0x26
            return i + 2
        if c == 0x21:  # FS ! n: Chinese character print mode
            self.close_run()
            self.width = 2 if arg & 0x04 else 1
            self.height = 2 if arg & 0x08 else 1
            self.underline = bool(arg & 0x80)
            return i + 3
        if c in _FS_ARGS:
            return i + 2 + _FS_ARGS[c]
        self.out.unknown.append(f"FS {c:02X} at {i}")
        return i + 2


def parse_escpos(data: bytes) -> Rendering:
    """Interpret ESC/POS ``data`` (see the module docstring for the commands understood)."""
    return _Parser(bytes(data)).run()
