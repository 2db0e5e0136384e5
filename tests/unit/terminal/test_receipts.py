"""terminal.receipts: golden slips (rendered by the virtual printer) per kind, paper, copy and CVM; golden
ESC/POS bytes of one slip; paper width; masked card only; amounts in int fen; reprint; settings.

Regenerate the golden files after an intended layout change with ``POSEMU_REGEN_GOLDEN=1 pytest
tests/unit/terminal``, then read the diff.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from drivers.document import Barcode, PrintOp, Qr, Text
from drivers.escpos import PAPERS, encode_document
from drivers.virtual.printer import VirtualPrinter
from terminal.journal import Journal, TxnRecord
from terminal.receipts import (
    ENTRY_MODES,
    TRANS_TYPES,
    MerchantInfo,
    ReceiptError,
    ReceiptSettings,
    build_receipt,
    build_receipts,
    columns_of,
    emv_fields,
    emv_json,
    format_money,
    masked_card,
    screen_lines,
)

GOLDEN = Path(__file__).resolve().parents[2] / "data" / "golden"
REGEN = os.environ.get("POSEMU_REGEN_GOLDEN") == "1"
PAN = "6224242900000113"
MERCHANT = MerchantInfo("测试商户", "898310048160001", "10000001")
LONG_NAME = MerchantInfo(
    "北京拉卡拉测试便利店（望京SOHO旗舰店）朝阳区第一分店有限公司", "898310048160001", "10000001"
)
CHIP_EMV = {  # KernelResult.receipt of an online-approved PBOC debit sale, after the second GENERATE AC
    0x4F: bytes.fromhex("A000000333010101"),
    0x50: b"PBOC DEBIT",
    0x9F26: bytes.fromhex("1A2B3C4D5E6F7081"),
    0x9F27: b"\x40",
    0x95: bytes.fromhex("0000008000"),
    0x9B: bytes.fromhex("E800"),
    0x9F36: bytes.fromhex("0012"),
    0x5F34: b"\x01",
    0x9F34: bytes.fromhex("420300"),  # enciphered PIN verified online
}
SIGNATURE_EMV = {**CHIP_EMV, 0x9F34: bytes.fromhex("1E0300")}


def txn(**changes: Any) -> TxnRecord:
    base = TxnRecord(
        id=1, kind="sale", state="approved", batch=1, trace=403, amount_minor=1234, currency_n=156,
        pan_masked="622424******0113", entry_mode="chip", operator="01", rrn="123456789012",
        auth_code="A1B2C3", response_code="00", original_id=None, emv=None, signature=False,
        receipt="pending", created_at="2025-01-01T09:30:00",
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


def render(ops: list[PrintOp], paper: int) -> str:
    printer = VirtualPrinter(paper=PAPERS[str(paper)])
    printer.print_document(ops)
    assert not printer.render().unknown
    return printer.render_text()


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGEN:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden {name}: run with POSEMU_REGEN_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")


def check_fits(ops: list[PrintOp], text: str, columns: int) -> None:
    for op in ops:
        if isinstance(op, Text):
            assert columns_of(op.text) * op.width <= columns, op.text
            assert "\n" not in op.text
    for line in text.splitlines():
        assert columns_of(line) <= columns, line


def check_no_pan(ops: list[PrintOp], text: str) -> None:
    init, chunks = encode_document(ops)
    raw = init + b"".join(chunks)
    assert PAN not in text
    assert PAN.encode() not in raw and PAN not in raw.decode("gb18030", "replace")
    assert all(PAN not in line for line in screen_lines(ops, 48))
    for op in ops:
        data = op.text if isinstance(op, Text) else op.data if isinstance(op, Qr | Barcode) else ""
        assert PAN not in data


# -- golden slips ------------------------------------------------------------------------------------------

CASES: dict[str, tuple[TxnRecord, ReceiptSettings, str, dict[str, Any]]] = {
    "sale_chip_pin_58_merchant": (txn(), ReceiptSettings(), "merchant", {"emv": CHIP_EMV}),
    "sale_chip_pin_58_customer": (txn(), ReceiptSettings(), "customer", {"emv": CHIP_EMV}),
    "sale_chip_signature_58_merchant": (
        txn(signature=True), ReceiptSettings(), "merchant", {"emv": SIGNATURE_EMV},
    ),
    "sale_chip_signature_58_customer": (
        txn(signature=True), ReceiptSettings(), "customer", {"emv": SIGNATURE_EMV},
    ),
    "sale_chip_signature_80_merchant": (
        txn(signature=True), ReceiptSettings(paper=80), "merchant", {"emv": SIGNATURE_EMV},
    ),
    "sale_chip_pin_80_customer": (txn(), ReceiptSettings(paper=80), "customer", {"emv": CHIP_EMV}),
    "sale_chip_58_bank_reprint": (
        txn(signature=True), ReceiptSettings(copies=("bank",)), "bank",
        {"emv": SIGNATURE_EMV, "reprint": True},
    ),
    "sale_swipe_58_merchant": (txn(entry_mode="swipe", trace=404), ReceiptSettings(), "merchant", {}),
    "sale_fallback_58_merchant": (
        txn(entry_mode="fallback", signature=True), ReceiptSettings(), "merchant", {},
    ),
    "sale_tap_nocvm_58_customer": (
        txn(entry_mode="tap", amount_minor=1),
        ReceiptSettings(),
        "customer",
        {"emv": {**CHIP_EMV, 0x9F34: bytes.fromhex("3F0000"), 0x9F27: b"\x40"}},
    ),
    "void_swipe_58_merchant": (
        txn(kind="void", trace=405, entry_mode="swipe", rrn="123456789099"),
        ReceiptSettings(),
        "merchant",
        {"original": txn()},
    ),
    "refund_58_merchant": (
        txn(kind="refund", trace=406, amount_minor=500, entry_mode="swipe", auth_code=None,
            rrn="223456789012"),
        ReceiptSettings(),
        "merchant",
        {"original": txn(), "note": "退货原因: 顾客退回商品 GOODS RETURNED"},
    ),
    "preauth_chip_58_merchant": (
        txn(kind="preauth", trace=407, amount_minor=50000), ReceiptSettings(), "merchant", {"emv": CHIP_EMV},
    ),
    "preauth_void_58_merchant": (
        txn(kind="preauth_void", trace=408, amount_minor=50000, entry_mode=""), ReceiptSettings(), "merchant",
        {"original": txn(kind="preauth", trace=407)},
    ),
    "completion_58_merchant": (
        txn(kind="completion", trace=409, amount_minor=45000, entry_mode="manual"), ReceiptSettings(),
        "merchant", {"original": txn(kind="preauth", trace=407)},
    ),
    "completion_void_58_merchant": (
        txn(kind="completion_void", trace=410, amount_minor=45000, entry_mode=""), ReceiptSettings(),
        "merchant", {"original": txn(kind="completion", trace=409)},
    ),
    "balance_58_customer": (
        txn(kind="balance", trace=411, amount_minor=123456789, auth_code=None), ReceiptSettings(),
        "customer", {"emv": CHIP_EMV},
    ),
    "qr_sale_58_merchant": (
        txn(kind="qr_sale", trace=412, pan_masked="", entry_mode="qr", amount_minor=0),
        ReceiptSettings(code="qr"),
        "merchant",
        {},
    ),
    "scan_sale_58_customer": (
        txn(kind="scan_sale", trace=413, pan_masked="", entry_mode="qr", amount_minor=2550),
        ReceiptSettings(),
        "customer",
        {},
    ),
    "long_name_wrap_58_merchant": (txn(), ReceiptSettings(), "merchant", {"emv": CHIP_EMV}),
    "long_name_truncate_58_merchant": (
        txn(), ReceiptSettings(long_name="truncate"), "merchant", {"emv": CHIP_EMV},
    ),
    "long_name_wrap_80_customer": (txn(), ReceiptSettings(paper=80), "customer", {"emv": CHIP_EMV}),
    "options_58_customer": (
        txn(created_at="2025-12-31T23:59:58"),
        ReceiptSettings(date_format="%d.%m.%Y %H:%M", expiry="masked", code="barcode"),
        "customer",
        {"emv": CHIP_EMV},
    ),
}  # fmt: skip


def _merchant(name: str) -> MerchantInfo:
    return LONG_NAME if name.startswith("long_name") else MERCHANT


def _build(name: str) -> tuple[list[PrintOp], ReceiptSettings]:
    record, settings, copy, kwargs = CASES[name]
    kwargs = dict(kwargs)
    if "emv" in kwargs:
        kwargs["emv"] = emv_fields(kwargs["emv"])
    return build_receipt(record, _merchant(name), settings, copy, **kwargs), settings


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_receipt(name: str) -> None:
    ops, settings = _build(name)
    text = render(ops, settings.paper)
    check_golden(f"receipt_{name}.txt", text)
    check_fits(ops, text, settings.columns)
    check_no_pan(ops, text)


def test_golden_escpos_bytes_of_a_signed_chip_sale() -> None:
    ops, _ = _build("sale_chip_signature_58_merchant")
    init, chunks = encode_document(ops, PAPERS["58"])
    raw = init + b"".join(chunks)
    path = GOLDEN / "receipt_sale_chip_signature_58_merchant.bin"
    if REGEN:
        path.write_bytes(raw)
    assert raw == path.read_bytes()
    assert "622424******0113".encode("gb18030") in raw and "签购单".encode("gb18030") in raw


def test_every_kind_and_entry_mode_prints() -> None:
    for kind in TRANS_TYPES:
        for mode in (*ENTRY_MODES, ""):
            for paper in (58, 80):
                settings = ReceiptSettings(paper=paper, copies=("merchant", "customer", "bank"))
                for copy, ops in build_receipts(txn(kind=kind, entry_mode=mode), LONG_NAME, settings):
                    text = render(ops, paper)
                    check_fits(ops, text, settings.columns)
                    check_no_pan(ops, text)
                    assert TRANS_TYPES[kind].zh in text and copy in ("merchant", "customer", "bank")


# -- content -----------------------------------------------------------------------------------------------


def _texts(ops: list[PrintOp]) -> list[str]:
    return [op.text for op in ops if isinstance(op, Text)]


def test_copies_in_configured_order_with_their_labels() -> None:
    copies = build_receipts(txn(), MERCHANT, ReceiptSettings())
    assert [c for c, _ in copies] == ["merchant", "customer"]
    assert "商户存根(MERCHANT COPY)" in _texts(copies[0][1])
    assert "持卡人存根(CARDHOLDER COPY)" in _texts(copies[1][1])
    three = build_receipts(txn(), MERCHANT, ReceiptSettings(copies=("customer", "bank", "merchant")))
    assert [c for c, _ in three] == ["customer", "bank", "merchant"]
    assert "银行存根(BANK COPY)" in _texts(three[1][1])


def test_signature_line_only_when_the_cvm_was_signature_and_only_on_the_merchants_copies() -> None:
    emv = emv_fields(SIGNATURE_EMV)
    for copy, signed in (("merchant", True), ("bank", True), ("customer", False)):
        lines = _texts(build_receipt(txn(signature=True), MERCHANT, ReceiptSettings(), copy, emv=emv))
        assert ("持卡人签名(CARDHOLDER SIGNATURE)" in lines) is signed
        assert ("本人确认以上交易，" in lines) is (copy != "customer")
        assert not any("PIN VERIFIED" in line for line in lines)
    pin = _texts(build_receipt(txn(), MERCHANT, ReceiptSettings(), "merchant", emv=emv_fields(CHIP_EMV)))
    assert "持卡人签名(CARDHOLDER SIGNATURE)" not in pin and "密码验证 免签 PIN VERIFIED" in pin
    assert "I ACKNOWLEDGE SATISFACTORY" in pin  # the acknowledgement is on every merchant copy


def test_no_cvm_and_qr_print_no_pin_no_signature() -> None:
    tap = {**CHIP_EMV, 0x9F34: bytes.fromhex("1F0302")}
    lines = _texts(build_receipt(txn(entry_mode="tap"), MERCHANT, ReceiptSettings(), "merchant",
                                 emv=emv_fields(tap)))  # fmt: skip
    assert "免密免签 NO PIN, NO SIGNATURE" in lines
    qr = _texts(build_receipt(txn(kind="qr_sale", entry_mode="qr", pan_masked=""), MERCHANT,
                              ReceiptSettings(), "customer"))  # fmt: skip
    assert "免密免签 NO PIN, NO SIGNATURE" in qr and "卡号(CARD NO.)" not in qr


def test_pin_claimed_only_when_the_cvm_results_show_one() -> None:
    swipe = _texts(build_receipt(txn(entry_mode="swipe"), MERCHANT, ReceiptSettings(), "customer"))
    assert "免签 NO SIGNATURE REQUIRED" in swipe and not any("PIN" in line for line in swipe)
    failed = emv_fields({**CHIP_EMV, 0x9F34: bytes.fromhex("010301")})  # offline PIN, result failed
    lines = _texts(build_receipt(txn(), MERCHANT, ReceiptSettings(), "customer", emv=failed))
    assert "免签 NO SIGNATURE REQUIRED" in lines and "密码验证 免签 PIN VERIFIED" not in lines


@pytest.mark.parametrize(("cid", "name"), [(b"\x40", "TC"), (b"\x80", "ARQC"), (b"\x00", "AAC")])
def test_cryptogram_printed_with_its_name(cid: bytes, name: str) -> None:
    emv = emv_fields({**CHIP_EMV, 0x9F27: cid})
    text = render(build_receipt(txn(), MERCHANT, ReceiptSettings(), "customer", emv=emv), 58)
    assert re.search(rf"^{name}: +1A2B3C4D5E6F7081$", text, re.MULTILINE)
    for part in (
        "AID:            A000000333010101",
        "APP LABEL:            PBOC DEBIT",
        "TVR:",
        "TSI:",
        "ATC:",
    ):
        assert part in text


def test_emv_data_read_from_the_journal_json() -> None:
    stored = txn(emv=emv_json(CHIP_EMV))
    from_journal = build_receipt(stored, MERCHANT, ReceiptSettings(), "merchant")
    given = build_receipt(txn(), MERCHANT, ReceiptSettings(), "merchant", emv=emv_fields(CHIP_EMV))
    assert from_journal == given
    with pytest.raises(ReceiptError):
        build_receipt(txn(emv="{not json"), MERCHANT, ReceiptSettings(), "merchant")
    with pytest.raises(ReceiptError):
        build_receipt(txn(emv='{"95": "zz"}'), MERCHANT, ReceiptSettings(), "merchant")


def test_reprint_is_marked_top_and_bottom() -> None:
    ops = build_receipt(txn(), MERCHANT, ReceiptSettings(), "merchant", reprint=True)
    assert _texts(ops).count("***** 重打印 REPRINT *****") == 2
    assert "重打印" not in "".join(_texts(build_receipt(txn(), MERCHANT, ReceiptSettings(), "merchant")))


def test_long_merchant_name_wraps_or_truncates_by_columns() -> None:
    for paper in (58, 80):
        for mode in ("wrap", "truncate"):
            settings = ReceiptSettings(paper=paper, long_name=mode)
            ops = build_receipt(txn(), LONG_NAME, settings, "merchant")
            texts = _texts(ops)
            start = texts.index("商户名称(MERCHANT NAME)") + 1
            end = next(i for i, t in enumerate(texts) if t.startswith("商户编号"))
            name_lines = texts[start:end]
            assert all(columns_of(line) <= settings.columns for line in name_lines)
            if mode == "wrap":
                assert "".join(name_lines) == LONG_NAME.name and len(name_lines) > 1
            else:
                assert len(name_lines) == 1 and LONG_NAME.name.startswith(name_lines[0])
                assert settings.columns - 1 <= columns_of(name_lines[0]) <= settings.columns


def test_expiry_setting() -> None:
    emv = emv_fields({**CHIP_EMV, 0x5F24: bytes.fromhex("280630")})
    cases = (
        (ReceiptSettings(expiry="omit"), None),
        (ReceiptSettings(expiry="masked"), "**/**"),
        (ReceiptSettings(expiry="show"), "2028/06"),
    )
    for settings, shown in cases:
        texts = _texts(build_receipt(txn(), MERCHANT, settings, "merchant", emv=emv))
        lines = [t for t in texts if t.startswith("有效期(EXP DATE)")]
        assert lines[0].endswith(shown) if shown else not lines, settings.expiry


def test_reference_code_is_rrn_or_batch_and_voucher() -> None:
    ops = build_receipt(txn(), MERCHANT, ReceiptSettings(code="qr"), "merchant")
    assert [op.data for op in ops if isinstance(op, Qr)] == ["123456789012"]
    ops = build_receipt(txn(rrn=None), MERCHANT, ReceiptSettings(code="barcode"), "merchant")
    assert [op.data for op in ops if isinstance(op, Barcode)] == ["000001000403"]


# -- amounts -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "kind", "shown"),
    [
        (0, "sale", "RMB 0.00"),
        (1, "sale", "RMB 0.01"),
        (99, "sale", "RMB 0.99"),
        (100, "sale", "RMB 1.00"),
        (123456789, "sale", "RMB 1234567.89"),
        (999999999999, "sale", "RMB 9999999999.99"),
        (1234, "refund", "RMB -12.34"),
        (1, "void", "RMB -0.01"),
        (0, "refund", "RMB 0.00"),
        (5000, "preauth_void", "RMB -50.00"),
        (5000, "completion_void", "RMB -50.00"),
        (5000, "completion", "RMB 50.00"),
    ],
)
def test_amount_on_the_slip(fen: int, kind: str, shown: str) -> None:
    for paper in (58, 80):
        settings = ReceiptSettings(paper=paper)
        ops = build_receipt(txn(kind=kind, amount_minor=fen), MERCHANT, settings, "merchant")
        amount = next(op for op in ops if isinstance(op, Text) and op.text.startswith("RMB"))
        assert amount.text == shown and amount.bold
        check_fits(ops, render(ops, paper), settings.columns)


@pytest.mark.parametrize("bad", [12.34, Decimal("12.34"), True, "1234", 10**12, -1])
def test_amount_must_be_int_fen(bad: object) -> None:
    with pytest.raises(ReceiptError):
        build_receipt(txn(amount_minor=bad), MERCHANT, ReceiptSettings(), "merchant")
    if bad != -1:
        with pytest.raises(ReceiptError):
            format_money(bad)  # type: ignore[arg-type]


def test_currency_exponent_and_unknown_currency() -> None:
    assert format_money(123, 392) == "JPY 123" and format_money(-5, 344) == "HKD -0.05"
    with pytest.raises(ReceiptError):
        build_receipt(txn(currency_n=999), MERCHANT, ReceiptSettings(), "merchant")


def test_no_float_in_the_receipt_and_report_code() -> None:
    root = Path(__file__).resolve().parents[3] / "terminal"
    for name in ("receipts.py", "reports.py"):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            assert not (isinstance(node, ast.Constant) and isinstance(node.value, float)), name
            assert not (isinstance(node, ast.Name) and node.id in ("float", "Decimal", "round")), name
            divides = isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ast.Div)
            assert not divides, f"{name}: true division"


# -- the card number ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pan", [PAN, "622424290000011", "6224242900000113000", "622424******01130", "6224247*0113"]
)
def test_a_card_number_that_is_not_masked_never_prints(pan: str) -> None:
    with pytest.raises(ReceiptError):
        build_receipt(txn(pan_masked=pan), MERCHANT, ReceiptSettings(), "merchant")
    with pytest.raises(ReceiptError):
        masked_card(pan)


def test_masked_forms_accepted() -> None:
    for masked in ("622424******0113", "622424*********0113", "************", ""):
        assert masked_card(masked) == masked


def test_journal_rows_print_without_the_pan(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.db", bytes(range(32)), clock=None)
    try:
        txn_id = journal.begin_online(
            "sale", 1234, 156, PAN, "chip", trace=journal.next_trace(), operator="01"
        )
        journal.record_outcome(txn_id, "approved", response_code="00", rrn="123456789012", auth_code="A1B2C3",
                               emv=emv_json(SIGNATURE_EMV), signature=True)  # fmt: skip
        row = journal.get(txn_id)
        assert row is not None
        for paper in (58, 80):
            for _, ops in build_receipts(
                row, MERCHANT, ReceiptSettings(paper=paper, copies=("merchant", "bank"))
            ):
                text = render(ops, paper)
                check_no_pan(ops, text)
                assert "622424******0113" in text and "持卡人签名(CARDHOLDER SIGNATURE)" in text
    finally:
        journal.close()


# -- refusals and settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [{"kind": "transfer"}, {"entry_mode": "telepathy"}, {"state": "declined"}, {"state": "pending"},
     {"state": "reversed"}, {"created_at": "yesterday"}],
)  # fmt: skip
def test_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ReceiptError):
        build_receipt(txn(**changes), MERCHANT, ReceiptSettings(), "merchant")


def test_voided_sale_and_completed_preauth_reprint() -> None:
    ops = build_receipt(txn(state="voided"), MERCHANT, ReceiptSettings(), "merchant", reprint=True)
    assert "消费(SALE)" in "".join(_texts(ops))
    ops = build_receipt(txn(kind="preauth", state="completed"), MERCHANT, ReceiptSettings(), "merchant")
    assert "预授权(AUTH)" in "".join(_texts(ops))


def test_unknown_copy_refused() -> None:
    with pytest.raises(ReceiptError):
        build_receipt(txn(), MERCHANT, ReceiptSettings(), "shop")


@pytest.mark.parametrize(
    "changes",
    [{"paper": 57}, {"copies": ()}, {"copies": ("shop",)}, {"expiry": "full"}, {"long_name": "shrink"},
     {"code": "pdf417"}, {"tail_feed": 11}],
)  # fmt: skip
def test_settings_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ReceiptError):
        ReceiptSettings(**changes)


def test_screen_lines_match_the_printed_text_lines() -> None:
    ops = build_receipt(txn(), MERCHANT, ReceiptSettings(), "merchant", emv=emv_fields(CHIP_EMV))
    screen = [line.rstrip() for line in screen_lines(ops, 32)]
    printed = render(ops, 58).splitlines()
    assert [line for line in screen if line] == [line for line in printed if line and "cut]" not in line]
