"""The ESC/POS renderer: text output against the expected slip, the PNG, commands it skips or reports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from drivers.escpos import encode_document
from drivers.virtual.paint import paint, paint_png
from drivers.virtual.render import BarcodeBlock, CutMark, ImageBlock, QrBlock, TextLine, parse_escpos
from tests.component.receipt import SALE_SLIP

DATA = Path(__file__).parent / "data"


def _slip() -> bytes:
    init, chunks = encode_document(SALE_SLIP)
    return init + b"".join(chunks)


def test_text_matches_the_expected_slip() -> None:
    r = parse_escpos(_slip())
    assert r.text(32) == (DATA / "sale_slip_58.txt").read_text()
    assert r.unknown == [] and r.drawer_kicks == [2]


def test_blocks_carry_styles() -> None:
    r = parse_escpos(_slip())
    title = r.blocks[0]
    assert isinstance(title, TextLine) and title.align == "center"
    assert (title.runs[0].bold, title.runs[0].width, title.runs[0].height) == (True, 2, 2)
    kinds = [type(b).__name__ for b in r.blocks]
    assert kinds.count("QrBlock") == 1 and kinds.count("BarcodeBlock") == 1 and kinds[-1] == "CutMark"
    qr = next(b for b in r.blocks if isinstance(b, QrBlock))
    assert (qr.module, qr.ec, qr.align) == (5, "L", "center")
    bc = next(b for b in r.blocks if isinstance(b, BarcodeBlock))
    assert (bc.kind, bc.data, bc.hri) == ("CODE128", "000001000403", 2)
    assert isinstance(r.blocks[-1], CutMark) and r.blocks[-1].partial


def test_png_is_a_receipt_image() -> None:
    png = paint_png(parse_escpos(_slip()), 384)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.width == 384 + 16 and img.height > 600
    gray = img.convert("L")
    assert gray.getextrema() == (0, 255)
    top = gray.crop((0, 0, img.width, 60))
    assert top.getbbox() is not None  # the title is inked
    inked = Image.eval(top, lambda p: 255 - p).getbbox()
    assert inked is not None and inked[0] > 40  # centred, not at the left edge


def test_qr_modules_match_the_data() -> None:
    qrcode = pytest.importorskip("qrcode")
    data = b"\x1b@\x1d(k\x03\x001C\x04\x1d(k\x06\x001P0ABC\x1d(k\x03\x001Q0"
    r = parse_escpos(data)
    img = paint(r, 384)
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_L)
    code.add_data("ABC")
    code.make(fit=True)
    matrix = code.get_matrix()
    x0, y0 = 8, 8 + 4  # left aligned (no ESC a)
    for row in (0, len(matrix) // 2, len(matrix) - 1):
        for col in range(len(matrix)):
            pixel = img.getpixel((x0 + col * 4 + 1, y0 + row * 4 + 1))
            assert (pixel == 0) == matrix[row][col]


def test_cjk_without_font_draws_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    from drivers.virtual import paint as paint_module

    monkeypatch.setenv("POSEMU_CJK_FONT", "/nonexistent/font.ttc")
    paint_module._fonts.cache_clear()
    paint_module._glyph.cache_clear()
    try:
        img = paint(parse_escpos(b"\x1c&\xc7\xa9\n"), 384)  # 签
        cell = img.crop((8, 8, 8 + 24, 8 + 30))
        assert cell.getbbox() is not None
        assert cell.getpixel((3, 10)) == 0  # the box's left edge
    finally:
        monkeypatch.delenv("POSEMU_CJK_FONT")
        paint_module._fonts.cache_clear()
        paint_module._glyph.cache_clear()


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"\x1b@plain\n", "plain\n"),
        (b"\x1ba\x02R\n", f"{'R':>32}\n"),
        (b"A\tB\n", "A       B\n"),
        (b"\x1b!\x38big\n\x1b!\x00x\n", "big\nx\n"),
        (b"\x1bd\x02", "\n\n"),
        (b"\x1dV\x00", "             [cut]\n"),
        (b"\x1dv0\x00\x01\x00\x02\x00\xff\x00", "[image 8x2]\n"),
        (b"\x1b\x74\x10\xe9\n", "é\n"),
        (b"\x1c&\xd6\xd0\x1c.\xe9\n", "中é\n".replace("é", "Θ")),
        (b"x" * 40 + b"\n", "x" * 32 + "\n" + "x" * 8 + "\n"),
    ],
)
def test_text_of_commands(data: bytes, text: str) -> None:
    assert parse_escpos(data).text(32) == text


def test_unknown_commands_are_listed_and_skipped() -> None:
    r = parse_escpos(b"a\x1b\xf0b\n\x1d\xf1c\n")
    assert r.unknown == ["ESC F0 at 1", "GS F1 at 5"]
    assert r.text(32) == "ab\nc\n"


def test_real_time_commands_print_nothing() -> None:
    r = parse_escpos(b"\x10\x04\x01\x10\x14\x01\x00\x01ok\n")
    assert r.text(32) == "ok\n" and r.drawer_kicks == [2]


def test_image_block_pixels() -> None:
    r = parse_escpos(b"\x1dv0\x00\x01\x00\x01\x00\x80")
    assert isinstance(r.blocks[0], ImageBlock)
    img = paint(r, 384)
    assert img.getpixel((8, 8)) == 0 and img.getpixel((9, 8)) == 255
