"""Day-end and management reports: the settlement report (结算总计单), the transaction detail list (交易明细)
and the summary report (交易汇总) of the 报表统计 function, as print operations and as screen lines.

Sources: MERCHANT_GUIDE.md, "Login and collecting payment" step 5 (day-end reconciliation, 日终对账),
"Management" (报表统计: sales, refunds, reconciliation) and the troubleshooting row "reconciliation mismatch"
(the report shows the difference); the CUP POS settlement conventions (DOMAIN_FACTS.md A, "Settlement
0500/0510": field 48 carries debit amount and count and credit amount and count for domestic cards, then
for foreign cards, and the host's result digit 1 balanced, 2 not balanced, 3 error, the last two followed
by a batch upload); the settlement slip UnionPay-network terminals print (类型/TYPE 笔数/SUM 金额/AMOUNT
rows, 内卡/外卡 debit and credit totals, 对账平 / 对账不平); issue 7 item 1 (day-end).

What counts, as the acquirer counts it (host/store.py ``batch_totals``): debits are the approved sales,
pre-auth completions and QR sales (either direction) that were neither voided nor reversed; credits are
the approved refunds. A card is domestic when its (masked) number starts with ``62`` (UnionPay) or there
is none (a QR payment), else foreign. The category rows count every transaction the host approved (a sale
voided later still counts as a sale, and its void as a void; a pre-auth closed by its completion still
counts as a pre-auth), so debits are sales plus completions minus what was voided. Amounts are int fen
summed as ints; nothing here is a float.

>>> from terminal.journal import TxnRecord
>>> sale = TxnRecord(1, "sale", "approved", 1, 1, 1000, 156, "622424******0113", "chip", "01", "1", "A",
...                  "00", None, None, False, "printed", "2025-01-01T09:30:00")
>>> settlement_totals([sale]).domestic
Totals(debit_fen=1000, debit_count=1, credit_fen=0, credit_count=0)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from drivers.document import Cut, Feed, PrintOp, Text
from host.settlement import SettlementResult, SettlementTotals, Totals
from terminal.journal import TxnRecord
from terminal.receipts import (
    TRANS_TYPES,
    MerchantInfo,
    ReceiptError,
    ReceiptSettings,
    columns_of,
    format_money,
    masked_card,
    pair_lines,
    screen_lines,
    signed_amount,
    wrap_columns,
)

__all__ = [
    "CATEGORY_ORDER",
    "CREDIT_KINDS",
    "DEBIT_KINDS",
    "CategoryTotal",
    "build_detail_report",
    "build_settlement_report",
    "build_summary_report",
    "category_totals",
    "is_domestic",
    "screen_lines",
    "settlement_totals",
]

DEBIT_KINDS = frozenset({"sale", "completion", "qr_sale", "scan_sale"})
CREDIT_KINDS = frozenset({"refund"})
CATEGORY_ORDER = (
    "sale",
    "void",
    "refund",
    "preauth",
    "preauth_void",
    "completion",
    "completion_void",
    "qr_sale",
    "scan_sale",
)
# the host approved it: still standing, voided later, or (a pre-auth) closed by its completion
_COUNTED_STATES = frozenset({"approved", "voided", "completed"})
_COUNT_MAX = 999  # n3 in field 48; the host caps its counts the same way
_RESULTS = {
    SettlementResult.REQUESTED: ("未对账", "NOT RECONCILED"),
    SettlementResult.BALANCED: ("对账平", "BALANCED"),
    SettlementResult.NOT_BALANCED: ("对账不平", "NOT BALANCED"),
    SettlementResult.ERROR: ("对账出错", "ERROR"),
}


@dataclass(frozen=True)
class CategoryTotal:
    """One row of a report: a transaction kind, how many, and their amount in fen (unsigned)."""

    kind: str
    count: int
    amount_minor: int


def is_domestic(txn: TxnRecord) -> bool:
    """True for a UnionPay card (number starting ``62``) or a payment without a card (QR), as the host
    splits field 48 (host/ledger.py).

    >>> from terminal.journal import TxnRecord
    >>> row = TxnRecord(1, "sale", "approved", 1, 1, 1, 156, "476173******0010", "chip", None, None, None,
    ...                 None, None, None, False, "none", "2025-01-01T00:00:00")
    >>> is_domestic(row)
    False
    """
    return txn.pan_masked == "" or txn.pan_masked.startswith("62")


def _amount(txn: TxnRecord) -> int:
    if type(txn.amount_minor) is not int or txn.amount_minor < 0:
        raise ReceiptError(f"transaction {txn.id}: amount is not a non-negative int")
    return txn.amount_minor


def _totals(txns: Sequence[TxnRecord]) -> Totals:
    debits = [_amount(t) for t in txns if t.kind in DEBIT_KINDS and t.state == "approved"]
    credits = [_amount(t) for t in txns if t.kind in CREDIT_KINDS and t.state == "approved"]
    return Totals(sum(debits), min(len(debits), _COUNT_MAX), sum(credits), min(len(credits), _COUNT_MAX))


def settlement_totals(txns: Sequence[TxnRecord]) -> SettlementTotals:
    """The terminal's field 48 for the 0500: domestic and foreign debit/credit totals of ``txns`` (one
    batch), result digits ``0``. The settlement report prints the same figures.

    Raises:
        ReceiptError: an amount that is not a non-negative int.
    """
    return SettlementTotals(
        _totals([t for t in txns if is_domestic(t)]), _totals([t for t in txns if not is_domestic(t)])
    )


def category_totals(txns: Sequence[TxnRecord]) -> list[CategoryTotal]:
    """Count and amount per kind of every approved (or later voided) transaction, in
    :data:`CATEGORY_ORDER`; balance inquiries and declined, failed or reversed rows are left out.

    Raises:
        ReceiptError: an amount that is not a non-negative int.
    """
    out = []
    for kind in CATEGORY_ORDER:
        rows = [t for t in txns if t.kind == kind and t.state in _COUNTED_STATES]
        out.append(CategoryTotal(kind, len(rows), sum(_amount(t) for t in rows)))
    return out


# -- layout ------------------------------------------------------------------------------------------------


def _money(amount_minor: int, currency_n: int) -> str:
    """The amount without the currency symbol (the column header names it)."""
    return format_money(amount_minor, currency_n).split(" ", 1)[1]


def _signed_money(amount_minor: int, currency_n: int) -> str:
    """A difference: ``+`` when the terminal counted more than the host."""
    return ("+" if amount_minor > 0 else "") + _money(amount_minor, currency_n)


def _widths(columns: int) -> tuple[int, int]:
    """Widths of the label and count columns; the amount takes the rest."""
    return (14, 5) if columns < 48 else (22, 8)


def _row(label: str, count: str, amount: str, columns: int) -> list[str]:
    """A table row: label, count right-aligned in its column, amount flush right; two lines when the label
    or the amount is too wide for its column."""
    label_w, count_w = _widths(columns)
    amount_w = columns - label_w - count_w
    if columns_of(label) <= label_w and columns_of(amount) <= amount_w - 1:
        head = label + " " * (label_w - columns_of(label))
        return [head + count.rjust(count_w) + amount.rjust(amount_w)]
    tail = count.rjust(count_w) + amount.rjust(columns - count_w)
    return [*wrap_columns(label, columns), tail if len(tail) <= columns else amount.rjust(columns)]


def _table_header(columns: int) -> list[PrintOp]:
    label_w, count_w = _widths(columns)
    head = "类型/TYPE"
    count = "笔数/SUM"
    head += " " * (label_w + count_w - columns_of(head) - columns_of(count)) + count
    amount = "金额/AMOUNT"
    return [Text(head + " " * (columns - columns_of(head) - columns_of(amount)) + amount)]


def _rule(columns: int) -> Text:
    return Text("-" * columns)


def _header(
    title_zh: str,
    title_en: str,
    merchant: MerchantInfo,
    settings: ReceiptSettings,
    when: dt.datetime,
    *,
    batch: int | None,
    operator: str | None,
    reprint: bool,
) -> list[PrintOp]:
    w = settings.columns
    if settings.long_name == "wrap":
        name = wrap_columns(merchant.name, w)
    else:
        name = [wrap_columns(merchant.name, w)[0]]
    ops: list[PrintOp] = [
        Text(title_zh, align="center", bold=True, width=2, height=2),
        Text(title_en, align="center"),
    ]
    if reprint:
        ops.append(Text("***** 重打印 REPRINT *****", align="center", bold=True))
    ops += [_rule(w), Text("商户名称(MERCHANT NAME)"), *(Text(line, bold=True) for line in name)]
    lines = pair_lines("商户编号(MERCHANT NO.)", merchant.mid, w)
    lines += pair_lines("终端编号(TERMINAL NO.)", merchant.tid, w)
    if operator:
        lines += pair_lines("操作员号(OPERATOR NO.)", operator, w)
    if batch is not None:
        lines += pair_lines("批次号(BATCH NO.)", f"{batch:06d}", w)
    lines += pair_lines("日期/时间(DATE/TIME)", when.strftime(settings.date_format), w)
    return ops + [Text(line) for line in lines] + [_rule(w)]


def _category_rows(txns: Sequence[TxnRecord], currency_n: int, columns: int) -> list[PrintOp]:
    lines: list[str] = []
    for total in category_totals(txns):
        name = TRANS_TYPES[total.kind].zh
        lines += _row(name, str(total.count), _money(total.amount_minor, currency_n), columns)
    return [Text(line) for line in lines]


def _check_currency(txns: Sequence[TxnRecord], currency_n: int) -> None:
    for t in txns:
        if t.currency_n != currency_n:
            raise ReceiptError(
                f"transaction {t.id} is in currency {t.currency_n}, the report in {currency_n}"
            )


def _tail(settings: ReceiptSettings) -> list[PrintOp]:
    ops: list[PrintOp] = [Feed(settings.tail_feed)] if settings.tail_feed else []
    return [*ops, Cut()]


# -- settlement --------------------------------------------------------------------------------------------


def _half(
    name: tuple[str, str],
    mine: Totals,
    result: SettlementResult,
    host: Totals | None,
    currency_n: int,
    columns: int,
) -> list[str]:
    """One card group: its debit and credit totals, the host's verdict and, when not balanced, the
    difference terminal minus host."""
    zh, en = name
    lines = [f"{zh}({en})"]
    lines += _row("借记(DEBIT)", str(mine.debit_count), _money(mine.debit_fen, currency_n), columns)
    lines += _row("贷记(CREDIT)", str(mine.credit_count), _money(mine.credit_fen, currency_n), columns)
    verdict_zh, verdict_en = _RESULTS[result]
    lines += wrap_columns(f"{zh}{verdict_zh} {verdict_en}", columns)
    if result in (SettlementResult.NOT_BALANCED, SettlementResult.ERROR):
        if host is None:
            lines += wrap_columns("差额(DIFFERENCE): 主机未给出 NOT GIVEN BY HOST", columns)
        else:
            lines.append("差额(DIFFERENCE)")
            debit_n = mine.debit_count - host.debit_count
            credit_n = mine.credit_count - host.credit_count
            debit = _signed_money(mine.debit_fen - host.debit_fen, currency_n)
            credit = _signed_money(mine.credit_fen - host.credit_fen, currency_n)
            lines += _row("借记(DEBIT)", f"{debit_n:+d}" if debit_n else "0", debit, columns)
            lines += _row("贷记(CREDIT)", f"{credit_n:+d}" if credit_n else "0", credit, columns)
    return lines


def build_settlement_report(
    txns: Sequence[TxnRecord],
    merchant: MerchantInfo,
    settings: ReceiptSettings,
    *,
    batch: int,
    when: dt.datetime,
    reply: SettlementTotals,
    host_totals: tuple[Totals, Totals] | None = None,
    uploaded: int | None = None,
    operator: str | None = None,
    currency_n: int = 156,
    reprint: bool = False,
) -> list[PrintOp]:
    """The settlement report (结算总计单) of one batch: rows per kind, domestic and foreign debit and
    credit totals as sent in field 48, the host's verdict from the 0510 (``reply``), the difference when
    a half did not balance, and the batch upload.

    The difference is the terminal's totals minus the host's: ``host_totals`` (domestic, foreign) when the
    caller has them; otherwise the totals carried in ``reply``'s field 48 when they differ from the
    terminal's (a host that echoes the terminal's figures gives no difference, and the report says so).
    ``uploaded`` is the number of transactions the batch upload sent (its end message's field 48); None
    when no upload ran.

    Raises:
        ReceiptError: a row of another batch or currency, or an amount that is not a non-negative int.
    """
    for t in txns:
        if t.batch != batch:
            raise ReceiptError(f"transaction {t.id} is in batch {t.batch}, the report is of batch {batch}")
    _check_currency(txns, currency_n)
    w = settings.columns
    mine = settlement_totals(txns)
    if host_totals is None:
        echoed = (reply.domestic, reply.foreign) == (mine.domestic, mine.foreign)
        host_totals = None if echoed else (reply.domestic, reply.foreign)
    ops = _header(
        "结算总计单", "SETTLEMENT REPORT", merchant, settings, when, batch=batch, operator=operator,
        reprint=reprint,
    )  # fmt: skip
    ops += [*_table_header(w), _rule(w), *_category_rows(txns, currency_n, w), _rule(w)]
    host_domestic, host_foreign = host_totals if host_totals is not None else (None, None)
    for name, totals, result, host in (
        (("内卡", "DOMESTIC"), mine.domestic, reply.domestic_result, host_domestic),
        (("外卡", "FOREIGN"), mine.foreign, reply.foreign_result, host_foreign),
    ):
        ops += [Text(line) for line in _half(name, totals, result, host, currency_n, w)]
    ops.append(_rule(w))
    verdict = "对账平 BALANCED" if reply.balanced else "对账不平 NOT BALANCED"
    ops.append(Text(verdict, align="center", bold=True, height=2))
    if uploaded is not None:
        ops += [Text(line) for line in wrap_columns("批上送完成 BATCH UPLOAD DONE", w)]
        ops += [Text(line) for line in pair_lines("上送笔数(UPLOADED)", str(uploaded), w)]
    elif reply.needs_batch_upload:
        ops += [Text(line) for line in wrap_columns("批上送未完成 BATCH UPLOAD PENDING", w)]
    return ops + _tail(settings)


# -- detail list and summary -------------------------------------------------------------------------------


def build_detail_report(
    txns: Sequence[TxnRecord],
    merchant: MerchantInfo,
    settings: ReceiptSettings,
    *,
    when: dt.datetime,
    batch: int | None = None,
    currency_n: int = 156,
) -> list[PrintOp]:
    """The transaction detail list (交易明细): two lines per approved transaction (voucher, type, auth
    code; masked card, signed amount), in the order given; a voided one is marked 已撤销.

    Raises:
        ReceiptError: a card number that is not masked, an unknown kind or currency, a bad amount.
    """
    _check_currency(txns, currency_n)
    w = settings.columns
    ops = _header(
        "交易明细", "TRANSACTION DETAILS", merchant, settings, when, batch=batch, operator=None,
        reprint=False,
    )  # fmt: skip
    ops += [Text(line) for line in pair_lines("凭证号 类型(TYPE)", "授权码(AUTH)", w)]
    ops += [Text(line) for line in pair_lines("卡号(CARD NO.)", "金额(AMOUNT)", w)]
    ops.append(_rule(w))
    shown = [t for t in txns if t.state in _COUNTED_STATES and t.kind in CATEGORY_ORDER]
    for t in shown:
        kind = TRANS_TYPES[t.kind].zh + ("(已撤销)" if t.state == "voided" else "")
        card = masked_card(t.pan_masked) or "扫码(QR)"
        lines = pair_lines(f"{t.trace:06d} {kind}", t.auth_code or "", w)
        lines += pair_lines(card, _money(signed_amount(t), currency_n), w)
        ops += [Text(line) for line in lines]
    ops += [_rule(w), *(Text(line) for line in pair_lines("合计笔数(TOTAL)", str(len(shown)), w))]
    return ops + _tail(settings)


def build_summary_report(
    txns: Sequence[TxnRecord],
    merchant: MerchantInfo,
    settings: ReceiptSettings,
    *,
    when: dt.datetime,
    batch: int | None = None,
    currency_n: int = 156,
) -> list[PrintOp]:
    """The summary report (交易汇总) of the 报表统计 function: rows per kind, then sales (the debits that
    stand), refunds (the credits) and the net, sales minus refunds.

    Raises:
        ReceiptError: an unknown currency or a bad amount.
    """
    _check_currency(txns, currency_n)
    w = settings.columns
    sales = [_amount(t) for t in txns if t.kind in DEBIT_KINDS and t.state == "approved"]
    refunds = [_amount(t) for t in txns if t.kind in CREDIT_KINDS and t.state == "approved"]
    ops = _header(
        "交易汇总", "SUMMARY REPORT", merchant, settings, when, batch=batch, operator=None, reprint=False
    )
    ops += [*_table_header(w), _rule(w), *_category_rows(txns, currency_n, w), _rule(w)]
    lines = _row("销售(SALES)", str(len(sales)), _money(sum(sales), currency_n), w)
    lines += _row("退款(REFUNDS)", str(len(refunds)), _money(sum(refunds), currency_n), w)
    lines += _row("净额(NET)", "", _money(sum(sales) - sum(refunds), currency_n), w)
    ops += [Text(line) for line in lines]
    return ops + _tail(settings)
