"""terminal.reports: field 48 totals as the host counts them, golden settlement / detail / summary reports
(58 and 80 mm), balanced and not balanced with the difference, batch upload, no full PAN, int fen only.

Regenerate the golden files with ``POSEMU_REGEN_GOLDEN=1`` (see test_receipts.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from drivers.document import PrintOp, Text
from drivers.escpos import PAPERS, encode_document
from drivers.virtual.printer import VirtualPrinter
from host.settlement import SettlementResult, SettlementTotals, Totals
from terminal.journal import Journal, TxnRecord
from terminal.receipts import MerchantInfo, ReceiptError, ReceiptSettings, columns_of
from terminal.reports import (
    build_detail_report,
    build_settlement_report,
    build_summary_report,
    category_totals,
    is_domestic,
    screen_lines,
    settlement_totals,
)

GOLDEN = Path(__file__).resolve().parents[2] / "data" / "golden"
REGEN = os.environ.get("POSEMU_REGEN_GOLDEN") == "1"
PAN = "6224242900000113"
MERCHANT = MerchantInfo("测试商户", "898310048160001", "10000001")
WHEN = dt.datetime(2025, 1, 1, 23, 0, 0)
BALANCED = SettlementResult.BALANCED
NOT_BALANCED = SettlementResult.NOT_BALANCED


def row(i: int, kind: str, state: str, fen: int, pan: str = "622424******0113", **changes: Any) -> TxnRecord:
    base = TxnRecord(
        id=i, kind=kind, state=state, batch=1, trace=i, amount_minor=fen, currency_n=156, pan_masked=pan,
        entry_mode="chip" if pan else "qr", operator="01", rrn=f"{i:012d}", auth_code=f"A{i:05d}",
        response_code="00", original_id=None, emv=None, signature=False, receipt="printed",
        created_at="2025-01-01T09:30:00",
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


BATCH = [
    row(1, "sale", "approved", 10000),
    row(2, "sale", "voided", 5000),
    row(3, "void", "approved", 5000, original_id=2),
    row(4, "refund", "approved", 1234),
    row(5, "qr_sale", "approved", 88, pan=""),
    row(6, "scan_sale", "approved", 1, pan=""),
    row(7, "sale", "approved", 123456789, pan="476173******0010"),  # a foreign (Visa) card
    row(8, "sale", "declined", 999, response_code="51"),
    row(9, "sale", "reversed", 777),
    row(10, "preauth", "completed", 50000),
    row(11, "completion", "approved", 45000, original_id=10),
    row(12, "balance", "approved", 0),
    row(13, "refund", "approved", 300, pan="476173******0010"),
    row(14, "sale", "failed", 555),
]


def render(ops: list[PrintOp], paper: int) -> str:
    printer = VirtualPrinter(paper=PAPERS[str(paper)])
    printer.print_document(ops)
    assert not printer.render().unknown
    return printer.render_text()


def check(name: str, ops: list[PrintOp], settings: ReceiptSettings) -> str:
    text = render(ops, settings.paper)
    path = GOLDEN / name
    if REGEN:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden {name}: run with POSEMU_REGEN_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")
    for op in ops:
        if isinstance(op, Text):
            assert columns_of(op.text) * op.width <= settings.columns, op.text
    assert all(columns_of(line) <= settings.columns for line in text.splitlines())
    init, chunks = encode_document(ops)
    raw = init + b"".join(chunks)
    assert PAN not in text and PAN.encode() not in raw and PAN not in raw.decode("gb18030", "replace")
    assert all(PAN not in line for line in screen_lines(ops, settings.columns))
    return text


# -- totals ------------------------------------------------------------------------------------------------


def test_field48_totals_count_what_the_host_counts() -> None:
    totals = settlement_totals(BATCH)
    # domestic debits: sale 1 + QR 5 + scan 6 + completion 11; the voided sale 2, the declined, reversed and
    # failed ones, the void itself, the pre-auth and the balance inquiry do not count
    assert totals.domestic == Totals(10000 + 88 + 1 + 45000, 4, 1234, 1)
    assert totals.foreign == Totals(123456789, 1, 300, 1)
    assert totals.domestic_result == totals.foreign_result == SettlementResult.REQUESTED
    assert SettlementTotals.from_field(totals.to_field()) == totals


def test_totals_match_the_acquirer_rule_for_domestic_cards() -> None:
    assert is_domestic(row(1, "sale", "approved", 1)) and is_domestic(
        row(1, "qr_sale", "approved", 1, pan="")
    )
    assert not is_domestic(row(1, "sale", "approved", 1, pan="476173******0010"))


def test_counts_are_capped_at_three_digits_amounts_are_not() -> None:
    many = [row(i, "sale", "approved", 1) for i in range(1, 1002)]
    assert settlement_totals(many).domestic == Totals(1001, 999, 0, 0)


def test_category_rows() -> None:
    rows = {c.kind: (c.count, c.amount_minor) for c in category_totals(BATCH)}
    assert rows["sale"] == (3, 10000 + 5000 + 123456789)  # the voided sale 2 was approved first
    assert rows["void"] == (1, 5000) and rows["refund"] == (2, 1534) and rows["preauth"] == (1, 50000)
    assert rows["completion"] == (1, 45000) and rows["qr_sale"] == (1, 88) and rows["scan_sale"] == (1, 1)
    assert "balance" not in rows


@pytest.mark.parametrize("bad", [12.5, True, -1, "100"])
def test_amounts_must_be_int_fen(bad: object) -> None:
    with pytest.raises(ReceiptError):
        settlement_totals([row(1, "sale", "approved", 1, amount_minor=bad)])


# -- settlement report -------------------------------------------------------------------------------------


def _reply(domestic: SettlementResult, foreign: SettlementResult, rows: list[TxnRecord]) -> SettlementTotals:
    mine = settlement_totals(rows)
    return SettlementTotals(mine.domestic, mine.foreign, domestic, foreign)  # the host echoes the figures


@pytest.mark.parametrize("paper", [58, 80])
def test_settlement_balanced(paper: int) -> None:
    settings = ReceiptSettings(paper=paper)
    ops = build_settlement_report(
        BATCH, MERCHANT, settings, batch=1, when=WHEN, reply=_reply(BALANCED, BALANCED, BATCH), operator="01"
    )
    text = check(f"settlement_balanced_{paper}.txt", ops, settings)
    assert "对账平 BALANCED" in text and "对账不平" not in text and "批上送" not in text
    assert "内卡对账平 BALANCED" in text and "外卡对账平 BALANCED" in text


def test_settlement_not_balanced_with_the_hosts_figures_and_upload() -> None:
    settings = ReceiptSettings()
    mine = settlement_totals(BATCH)
    host = (Totals(mine.domestic.debit_fen - 88, 3, 1234, 1), mine.foreign)
    ops = build_settlement_report(
        BATCH, MERCHANT, settings, batch=1, when=WHEN, reply=_reply(NOT_BALANCED, BALANCED, BATCH),
        host_totals=host, uploaded=7, operator="01",
    )  # fmt: skip
    text = check("settlement_not_balanced_58.txt", ops, settings)
    assert "对账不平 NOT BALANCED" in text and "内卡对账不平 NOT BALANCED" in text
    assert "外卡对账平 BALANCED" in text
    lines = text.splitlines()
    diff = lines.index("差额(DIFFERENCE)")
    assert lines[diff + 1].split() == ["借记(DEBIT)", "+1", "+0.88"]
    assert lines[diff + 2].split() == ["贷记(CREDIT)", "0", "0.00"]
    assert "批上送完成 BATCH UPLOAD DONE" in text and lines[
        lines.index("批上送完成 BATCH UPLOAD DONE") + 1
    ].endswith(" 7")


def test_settlement_not_balanced_figures_from_the_reply() -> None:
    settings = ReceiptSettings(paper=80)
    mine = settlement_totals(BATCH)
    reply = SettlementTotals(
        Totals(mine.domestic.debit_fen + 1000, mine.domestic.debit_count + 1, 1234, 1),
        mine.foreign,
        NOT_BALANCED,
        BALANCED,
    )
    ops = build_settlement_report(BATCH, MERCHANT, settings, batch=1, when=WHEN, reply=reply, uploaded=9)
    text = check("settlement_reply_figures_80.txt", ops, settings)
    lines = text.splitlines()
    diff = lines.index("差额(DIFFERENCE)")
    assert lines[diff + 1].split() == ["借记(DEBIT)", "-1", "-10.00"]


def test_settlement_not_balanced_without_figures_says_so_and_pending_upload() -> None:
    settings = ReceiptSettings()
    ops = build_settlement_report(
        BATCH, MERCHANT, settings, batch=1, when=WHEN, reply=_reply(BALANCED, SettlementResult.ERROR, BATCH)
    )
    text = check("settlement_error_pending_58.txt", ops, settings)
    assert "外卡对账出错 ERROR" in text and "主机未给出 NOT GIVEN BY HOST" in text.replace("\n", " ")
    assert "批上送未完成 BATCH UPLOAD PENDING" in text.replace("\n", " ") and "对账不平 NOT BALANCED" in text


def test_settlement_of_an_empty_batch_and_reprint() -> None:
    settings = ReceiptSettings()
    ops = build_settlement_report(
        [], MERCHANT, settings, batch=2, when=WHEN, reply=_reply(BALANCED, BALANCED, []), reprint=True
    )
    text = check("settlement_empty_reprint_58.txt", ops, settings)
    assert "***** 重打印 REPRINT *****" in text and "000002" in text


def test_settlement_refuses_rows_of_another_batch_or_currency() -> None:
    reply = _reply(BALANCED, BALANCED, BATCH)
    with pytest.raises(ReceiptError):
        build_settlement_report(BATCH, MERCHANT, ReceiptSettings(), batch=2, when=WHEN, reply=reply)
    with pytest.raises(ReceiptError):
        build_settlement_report(
            [row(1, "sale", "approved", 1, currency_n=840)], MERCHANT, ReceiptSettings(), batch=1, when=WHEN,
            reply=reply,
        )  # fmt: skip


# -- detail and summary ------------------------------------------------------------------------------------


@pytest.mark.parametrize("paper", [58, 80])
def test_detail_report(paper: int) -> None:
    settings = ReceiptSettings(paper=paper)
    ops = build_detail_report(BATCH, MERCHANT, settings, when=WHEN, batch=1)
    text = check(f"detail_{paper}.txt", ops, settings)
    assert "消费(已撤销)" in text and "-50.00" in text and "-12.34" in text and "扫码(QR)" in text
    assert (
        "000008" not in text and "000009" not in text and "000012" not in text
    )  # declined, reversed, balance
    assert text.count("622424******0113") == 6


def test_detail_report_refuses_a_full_pan() -> None:
    with pytest.raises(ReceiptError):
        build_detail_report([row(1, "sale", "approved", 1, pan=PAN)], MERCHANT, ReceiptSettings(), when=WHEN)


@pytest.mark.parametrize("paper", [58, 80])
def test_summary_report(paper: int) -> None:
    settings = ReceiptSettings(paper=paper)
    ops = build_summary_report(BATCH, MERCHANT, settings, when=WHEN)
    text = check(f"summary_{paper}.txt", ops, settings)
    sales = 10000 + 88 + 1 + 45000 + 123456789
    refunds = 1234 + 300
    lines = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
    assert lines["销售(SALES)"] == ["5", f"{sales // 100}.{sales % 100:02d}"]
    assert lines["退款(REFUNDS)"] == ["2", "15.34"]
    net = sales - refunds
    assert lines["净额(NET)"] == [f"{net // 100}.{net % 100:02d}"]


def test_summary_net_can_be_negative() -> None:
    rows = [row(1, "sale", "approved", 100), row(2, "refund", "approved", 250)]
    text = render(build_summary_report(rows, MERCHANT, ReceiptSettings(), when=WHEN), 58)
    assert any(line.split() == ["净额(NET)", "-1.50"] for line in text.splitlines())


def test_screen_lines_of_a_report() -> None:
    settings = ReceiptSettings()
    ops = build_settlement_report(
        BATCH, MERCHANT, settings, batch=1, when=WHEN, reply=_reply(BALANCED, BALANCED, BATCH)
    )
    screen = screen_lines(ops, settings.columns)
    assert screen[0].strip() == "结算总计单" and "对账平 BALANCED" in [s.strip() for s in screen]
    assert all(columns_of(line) <= settings.columns for line in screen)


def test_reports_from_a_real_journal(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.db", bytes(range(32)))
    try:
        for fen in (1000, 2000):
            txn_id = journal.begin_online("sale", fen, 156, PAN, "chip", trace=journal.next_trace())
            journal.record_outcome(txn_id, "approved", response_code="00", rrn="1", auth_code="A")
        rows = journal.batch_rows()
        assert settlement_totals(rows).domestic == Totals(3000, 2, 0, 0)
        settings = ReceiptSettings()
        for ops in (
            build_settlement_report(rows, MERCHANT, settings, batch=journal.batch, when=WHEN,
                                    reply=_reply(BALANCED, BALANCED, rows)),
            build_detail_report(rows, MERCHANT, settings, when=WHEN),
            build_summary_report(rows, MERCHANT, settings, when=WHEN),
        ):  # fmt: skip
            text = render(ops, 58)
            assert PAN not in text
    finally:
        journal.close()
