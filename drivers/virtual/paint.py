"""Draw rendered ESC/POS blocks (:mod:`drivers.virtual.render`) as a receipt image with Pillow.

The paper is ``dots`` wide (384 for 58 mm, 576 for 80 mm, at 203 dpi). Text uses font A's grid: a
half-width character is 12 x 24 dots, a full-width (CJK) one 24 x 24, scaled by the size multipliers;
each line takes 30 dots times its height. QR codes are drawn module by module from the ``qrcode`` package
(a python-escpos dependency) at the module size the bytes set; barcodes from ``python-barcode``'s
patterns; raster images bit by bit; a cut as a dashed line.

Fonts: Pillow's default font has no Chinese glyphs, so the painter looks for a CJK font: the path in
``POSEMU_CJK_FONT``, else WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``), Noto Sans CJK
(``fonts-noto-cjk``) or WenQuanYi Zen Hei. Without one, full-width characters are drawn as boxes (the
text output still has them). Half-width text uses the CJK font's mono face or DejaVu Sans Mono.
"""

from __future__ import annotations

import functools
import io
import logging
import os
from pathlib import Path
from typing import Any

from drivers.virtual.render import (
    BarcodeBlock,
    Block,
    CutMark,
    ImageBlock,
    QrBlock,
    Rendering,
    TextLine,
    char_columns,
    wrap_runs,
)

__all__ = ["CJK_FONT_CANDIDATES", "find_cjk_font", "paint", "paint_png"]

log = logging.getLogger(__name__)

CJK_FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 1),  # index 1: "WenQuanYi Micro Hei Mono"
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 1),
)
MONO_FONT_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",)
CELL_W, CELL_H, LINE_H = 12, 24, 30
MARGIN = 8


def find_cjk_font() -> tuple[str, int] | None:
    """The CJK font file and face index to use, or None (boxes are drawn then)."""
    override = os.environ.get("POSEMU_CJK_FONT")
    if override:
        return (override, 0) if Path(override).exists() else None
    for path, index in CJK_FONT_CANDIDATES:
        if Path(path).exists():
            return path, index
    return None


@functools.lru_cache(maxsize=4)
def _fonts() -> tuple[Any, Any | None]:
    """(half-width font, full-width font or None)."""
    from PIL import ImageFont

    cjk = find_cjk_font()
    full = ImageFont.truetype(cjk[0], CELL_H - 2, index=cjk[1]) if cjk else None
    half: Any = full
    if half is None:
        for path in MONO_FONT_CANDIDATES:
            if Path(path).exists():
                half = ImageFont.truetype(path, CELL_H - 4)
                break
        else:
            half = ImageFont.load_default()
    return half, full


@functools.lru_cache(maxsize=4096)
def _glyph(ch: str, bold: bool, width: int, height: int) -> Any:
    """A black-on-white ("L") image of one character cell, scaled by the size multipliers."""
    from PIL import Image, ImageDraw

    cols = char_columns(ch)
    cell = Image.new("L", (CELL_W * cols, CELL_H), 255)
    draw = ImageDraw.Draw(cell)
    half, full = _fonts()
    if cols == 2 and full is None:
        draw.rectangle((2, 2, CELL_W * 2 - 3, CELL_H - 3), outline=0, width=2)  # no CJK font: a box
    elif ch.strip():
        font = full if cols == 2 else half
        for dx in (0, 1) if bold else (0,):  # on a common baseline, centred in the cell
            draw.text((CELL_W * cols / 2 + dx, CELL_H - 5), ch, font=font, fill=0, anchor="ms")
    if width != 1 or height != 1:
        cell = cell.resize((cell.width * width, cell.height * height), Image.Resampling.NEAREST)
    return cell


def _x_for(align: str, width: int, dots: int) -> int:
    if align == "center":
        return max((dots - width) // 2, 0)
    if align == "right":
        return max(dots - width, 0)
    return 0


def _qr_matrix(block: QrBlock) -> list[list[bool]] | None:
    try:
        import qrcode  # type: ignore[import-untyped, unused-ignore]
        import qrcode.constants as qc  # type: ignore[import-untyped, unused-ignore]
    except ModuleNotFoundError:
        return None
    ec = {"L": qc.ERROR_CORRECT_L, "M": qc.ERROR_CORRECT_M, "Q": qc.ERROR_CORRECT_Q, "H": qc.ERROR_CORRECT_H}
    code = qrcode.QRCode(border=0, error_correction=ec.get(block.ec, qc.ERROR_CORRECT_L))
    code.add_data(block.data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


def _bar_pattern(block: BarcodeBlock) -> str | None:
    try:
        import barcode  # type: ignore[import-untyped, unused-ignore]
    except ModuleNotFoundError:
        return None
    names = {"CODE128": "code128", "EAN13": "ean13", "CODE39": "code39", "EAN8": "ean8"}
    name = names.get(block.kind)
    if name is None:
        return None
    try:
        cls = barcode.get_barcode_class(name)
        symbol = cls(block.data, add_checksum=False) if name == "code39" else cls(block.data)
        pattern: str = symbol.build()[0]
    except Exception:  # data the symbology refuses: drawn as a grey box
        log.debug("barcode %s not drawable", block.kind, exc_info=True)
        return None
    return pattern


def _block_height(block: Block, dots: int) -> int:
    if isinstance(block, TextLine):
        return sum(
            LINE_H * max((r.height for r in row), default=1) for row in wrap_runs(block.runs, dots // CELL_W)
        )
    if isinstance(block, QrBlock):
        matrix = _qr_matrix(block)
        return (len(matrix) if matrix else 21) * block.module + 8
    if isinstance(block, BarcodeBlock):
        return block.height + (LINE_H if block.hri else 0) + 8
    if isinstance(block, ImageBlock):
        return block.rows
    return 20


def paint(rendering: Rendering, dots: int = 384) -> Any:
    """The receipt as a Pillow image ("L" mode), ``dots`` wide plus a margin each side."""
    from PIL import Image, ImageDraw

    heights = [_block_height(b, dots) for b in rendering.blocks]
    img = Image.new("L", (dots + 2 * MARGIN, sum(heights) + 2 * MARGIN), 255)
    draw = ImageDraw.Draw(img)
    y = MARGIN
    for block, h in zip(rendering.blocks, heights, strict=True):
        if isinstance(block, TextLine):
            for row in wrap_runs(block.runs, dots // CELL_W):
                row_h = LINE_H * max((r.height for r in row), default=1)
                x = MARGIN + _x_for(block.align, sum(r.columns for r in row) * CELL_W, dots)
                for run in row:
                    for ch in run.text.expandtabs(8):
                        glyph = _glyph(ch, run.bold, run.width, run.height)
                        img.paste(glyph, (x, y + row_h - glyph.height - 3))
                        if run.underline:
                            draw.line((x, y + row_h - 2, x + glyph.width, y + row_h - 2), fill=0, width=2)
                        x += glyph.width
                y += row_h
            continue
        if isinstance(block, QrBlock):
            matrix = _qr_matrix(block)
            m = block.module
            side = (len(matrix) if matrix else 21) * m
            x0 = MARGIN + _x_for(block.align, side, dots)
            if matrix is None:
                draw.rectangle((x0, y + 4, x0 + side, y + 4 + side), fill=160)
            else:
                for r, modules in enumerate(matrix):
                    top = y + 4 + r * m
                    for c, dark in enumerate(modules):
                        if dark:
                            draw.rectangle((x0 + c * m, top, x0 + (c + 1) * m - 1, top + m - 1), fill=0)
        elif isinstance(block, BarcodeBlock):
            pattern = _bar_pattern(block)
            m = max(block.module, 1)
            width = len(pattern) * m if pattern else min(dots, 200)
            x0 = MARGIN + _x_for(block.align, width, dots)
            if pattern is None:
                draw.rectangle((x0, y + 4, x0 + width, y + 4 + block.height), fill=160)
            else:
                for k, bit in enumerate(pattern):
                    if bit == "1":
                        draw.rectangle(
                            (x0 + k * m, y + 4, x0 + (k + 1) * m - 1, y + 4 + block.height), fill=0
                        )
            if block.hri:
                label_x = MARGIN + _x_for(block.align, len(block.data) * CELL_W, dots)
                for k, ch in enumerate(block.data):
                    img.paste(_glyph(ch, False, 1, 1), (label_x + k * CELL_W, y + 6 + block.height))
        elif isinstance(block, ImageBlock):
            x0 = MARGIN + _x_for(block.align, block.width_bytes * 8, dots)
            for r in range(block.rows):
                for c in range(block.width_bytes * 8):
                    byte = (
                        block.bits[r * block.width_bytes + c // 8]
                        if r * block.width_bytes + c // 8 < len(block.bits)
                        else 0
                    )
                    if byte & (0x80 >> (c % 8)):
                        img.putpixel((x0 + c, y + r), 0)
        elif isinstance(block, CutMark):
            for x in range(MARGIN, MARGIN + dots, 12):
                draw.line((x, y + 10, x + 6, y + 10), fill=0, width=2 if not block.partial else 1)
        y += h
    return img


def paint_png(rendering: Rendering, dots: int = 384) -> bytes:
    """:func:`paint` encoded as PNG bytes."""
    buf = io.BytesIO()
    paint(rendering, dots).save(buf, format="PNG", optimize=False)
    return buf.getvalue()
