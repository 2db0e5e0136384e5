"""ESC/POS encoding: golden bytes of a sale slip, per-operation bytes, status bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.document import Barcode, Cut, Feed, KickDrawer, Qr, Text
from drivers.escpos import PAPERS, encode_barcode, encode_document, status_from_bytes
from tests.component.receipt import SALE_SLIP

DATA = Path(__file__).parent / "data"


def test_sale_slip_golden_bytes() -> None:
    init, chunks = encode_document(SALE_SLIP)
    golden = bytes.fromhex("".join((DATA / "sale_slip_58.hex").read_text().split()))
    assert init + b"".join(chunks) == golden
    assert len(chunks) == len(SALE_SLIP)


@pytest.mark.parametrize(
    ("op", "hex_bytes"),
    [
        (Text("合计"), "1d21001b45001b2d001b6100bacfbcc60a"),
        (
            Text("A", align="right", bold=True, underline=True, width=2, height=1),
            "1d21101b45011b2d011b610241 0a",
        ),
        (Feed(3), "1b6403"),
        (Cut(partial=False), "1b64061d5600"),
        (Cut(), "1b64061d5601"),
        (KickDrawer(5), "1b70013232"),
        (
            Barcode("4006381333931", kind="EAN13", height=80),
            "1b61011d68501d77021d66001d48021d6b430d34303036333831333333393331",
        ),
        (
            Qr("Q", size=4),
            "1b61011d286b0400314132001d286b03003143041d286b03003145301d286b0400315030511d286b03003151300a",
        ),
    ],
)
def test_operation_bytes(op: object, hex_bytes: str) -> None:
    _init, chunks = encode_document([op])  # type: ignore[list-item]
    assert chunks[0] == bytes.fromhex(hex_bytes.replace(" ", ""))


def test_papers() -> None:
    assert (PAPERS["58"].dots, PAPERS["58"].columns) == (384, 32)
    assert (PAPERS["80"].dots, PAPERS["80"].columns) == (576, 48)
    init, _ = encode_document([Text("x")], PAPERS["80"])
    assert init == b"\x1b@\x1c&"


def test_bad_operations() -> None:
    with pytest.raises(ValueError):
        Text("x", width=3)
    with pytest.raises(ValueError):
        Qr("x", size=0)
    with pytest.raises(ValueError):
        encode_barcode(Barcode("1" * 300))


@pytest.mark.parametrize(
    ("online", "cause", "paper", "expected"),
    [
        (0x12, 0x12, 0x12, ("ok", True, False)),
        (0x12, 0x12, 0x1E, ("near_end", True, False)),
        (0x12, 0x32, 0x72, ("out", True, False)),
        (0x1A, 0x16, 0x12, ("ok", False, True)),
        (None, None, None, ("unknown", True, None)),
    ],
)
def test_status_bytes(
    online: int | None, cause: int | None, paper: int | None, expected: tuple[object, ...]
) -> None:
    s = status_from_bytes(online, cause, paper)
    assert (s.paper, s.online, s.cover_open) == expected
