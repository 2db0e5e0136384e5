"""Transaction receipts (签购单): the UnionPay POS slip as a list of :mod:`drivers.document` operations.

Sources: the CUP POS receipt conventions that UnionPay-network terminals print (银联POS签购单: bilingual
labels such as 商户名称(MERCHANT NAME) and 凭证号(VOUCHER NO.); the copy named at the top, 商户存根
(MERCHANT COPY) / 持卡人存根(CARDHOLDER COPY) / 银行存根(BANK COPY); the masked card number; the EMV data
under 备注(REFERENCE); 持卡人签名(CARDHOLDER SIGNATURE) and the acknowledgement 本人确认以上交易，同意将其
记入本卡账户 on the copy the merchant keeps; negative amounts for voids and refunds); MERCHANT_GUIDE.md,
"Login and collecting payment" step 4 (merchant and customer copies, reprint on demand) and "Basic settings"
(print format, date and time format); issue 7 item 3; PCI DSS 3.4.1 (at most the first six and last four
digits of a PAN, enforced by :func:`masked_card`).

Receipts are pure: ``build_receipt`` turns a journal row (:class:`terminal.journal.TxnRecord`) into
operations, and ``drivers.escpos`` encodes them to the same ESC/POS bytes for a real or a virtual printer.
Every line fits the paper: 32 columns on 58 mm paper, 48 on 80 mm, a CJK character taking two
(:func:`drivers.virtual.render.char_columns`); long merchant names wrap or are truncated by columns.
Amounts are int minor units (fen) from the journal and are formatted with integer arithmetic only.
The module is longer than STYLE.md's 400 lines because it also holds the column layout helpers that
:mod:`terminal.reports` shares (``columns_of``, ``wrap_columns``, ``pair_lines``, ``screen_lines``); a
third of it is docstrings and doctests.

>>> from terminal.journal import TxnRecord
>>> txn = TxnRecord(1, "sale", "approved", 1, 403, 1234, 156, "622424******0113", "chip", "01",
...                 "123456789012", "A1B2C3", "00", None, None, False, "pending", "2025-01-01T09:30:00")
>>> ops = build_receipt(txn, MerchantInfo("测试商户", "898310048160001", "10000001"), ReceiptSettings(),
...                     "customer")
>>> [op.text for op in ops if isinstance(op, Text) and op.text.startswith("RMB")]
['RMB 12.34']
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from config.errors import PosError
from drivers.document import Barcode, Cut, Feed, PrintOp, Qr, Text
from drivers.virtual.render import char_columns
from host.errors import Iso8583Error
from host.fields import format_amount
from terminal.journal import TxnRecord

__all__ = [
    "COPY_LABELS",
    "CURRENCIES",
    "ENTRY_MODES",
    "TRANS_TYPES",
    "Copy",
    "MerchantInfo",
    "ReceiptError",
    "ReceiptSettings",
    "TransType",
    "build_receipt",
    "build_receipts",
    "columns_of",
    "emv_fields",
    "emv_json",
    "format_money",
    "masked_card",
    "pair_lines",
    "screen_lines",
    "signed_amount",
    "wrap_columns",
]

Copy = Literal["merchant", "customer", "bank"]

COPY_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "merchant": "商户存根(MERCHANT COPY)",
        "customer": "持卡人存根(CARDHOLDER COPY)",
        "bank": "银行存根(BANK COPY)",
    }
)
_SIGNED_COPIES = frozenset({"merchant", "bank"})  # the copies the merchant keeps carry the signature


@dataclass(frozen=True)
class TransType:
    """How a journal ``kind`` prints: its Chinese and English names; ``negative`` for money going back."""

    zh: str
    en: str
    negative: bool = False

    @property
    def label(self) -> str:
        return f"{self.zh}({self.en})"


TRANS_TYPES: Mapping[str, TransType] = MappingProxyType(
    {
        "sale": TransType("消费", "SALE"),
        "void": TransType("消费撤销", "VOID", negative=True),
        "refund": TransType("退货", "REFUND", negative=True),
        "preauth": TransType("预授权", "AUTH"),
        "preauth_void": TransType("预授权撤销", "AUTH VOID", negative=True),
        "completion": TransType("预授权完成", "AUTH COMPLETE"),
        "completion_void": TransType("预授权完成撤销", "COMPLETE VOID", negative=True),
        "balance": TransType("余额查询", "BALANCE"),
        "qr_sale": TransType("扫码支付", "QR SALE"),  # the customer scans the terminal's dynamic QR
        "scan_sale": TransType("扫码付款", "SCAN SALE"),  # the terminal scans the customer's payment code
    }
)
"""Journal kinds (terminal/journal.py ``txns.kind``) and their names on the slip."""

ENTRY_MODES: Mapping[str, str] = MappingProxyType(
    {
        "chip": "插卡(CHIP)",
        "tap": "挥卡(CONTACTLESS)",
        "swipe": "刷卡(SWIPE)",
        "fallback": "降级(FALLBACK)",
        "qr": "扫码(QR)",
        "manual": "手输(MANUAL)",
    }
)
"""Journal entry modes (``txns.entry_mode``); an empty entry mode (a void keyed by trace) prints none."""

CURRENCIES: Mapping[int, tuple[str, int]] = MappingProxyType(
    {156: ("RMB", 2), 344: ("HKD", 2), 446: ("MOP", 2), 840: ("USD", 2), 978: ("EUR", 2), 392: ("JPY", 0)}
)
"""ISO 4217 numeric code -> (the symbol printed, the minor-unit exponent)."""

# a voided sale, or a pre-auth its completion closed, reprints as the transaction it was
_PRINTABLE_STATES = frozenset({"approved", "voided", "completed"})
_BREAKS = re.compile(r"( *)([^ ，]*，|[^ ，]+)")  # (separator, piece): break at spaces, after "，"
_MASKED = re.compile(r"\d{0,6}\*+\d{0,4}")
_CRYPTOGRAMS = {0x00: "AAC", 0x40: "TC", 0x80: "ARQC"}  # 9F27 bits 8-7 (EMV Book 3, 6.5.5.4)
_PIN_CVMS = frozenset({0x01, 0x02, 0x04})  # 9F34 byte 1 b6-b1: offline plain, online, offline enciphered
_NO_CVMS = frozenset({0x1F, 0x3F})  # no CVM required / no CVM performed
STATEMENT_ZH = "本人确认以上交易，同意将其记入本卡账户"
STATEMENT_EN = "I ACKNOWLEDGE SATISFACTORY RECEIPT OF RELATIVE GOODS/SERVICES"


class ReceiptError(PosError):
    """A receipt cannot be built: an unknown kind, entry mode or currency, a card number that is not
    masked, a transaction that was never approved, malformed EMV data, or a bad setting."""


@dataclass(frozen=True)
class MerchantInfo:
    """Who the slip is from: the merchant name (Chinese allowed), merchant ID (f42) and terminal ID (f41)."""

    name: str
    mid: str
    tid: str


@dataclass(frozen=True)
class ReceiptSettings:
    """The print format setting (MERCHANT_GUIDE "Basic settings").

    ``paper`` 58 or 80 (mm): 32 or 48 columns. ``copies``: which copies print, in order. ``date_format``:
    ``strftime`` format of the date/time line. ``expiry``: omit the expiry line, print it masked, or show
    it (from ``5F24`` in the EMV data). ``long_name``: wrap or truncate a merchant name wider than the
    paper. ``code``: a QR code or CODE128 barcode of the reference number (RRN, else batch and voucher).
    ``tail_feed``: blank lines before the cut (the cut itself feeds past the cutter).

    >>> ReceiptSettings(paper=80).columns
    48
    >>> ReceiptSettings(paper=57)
    Traceback (most recent call last):
    terminal.receipts.ReceiptError: paper is 58 or 80 mm, not 57
    """

    paper: int = 58  # an int from the settings file; checked below
    copies: tuple[Copy, ...] = ("merchant", "customer")
    date_format: str = "%Y/%m/%d %H:%M:%S"
    expiry: Literal["omit", "masked", "show"] = "omit"
    long_name: Literal["wrap", "truncate"] = "wrap"
    code: Literal["none", "qr", "barcode"] = "none"
    tail_feed: int = 0

    def __post_init__(self) -> None:
        if self.paper not in (58, 80):
            raise ReceiptError(f"paper is 58 or 80 mm, not {self.paper}")
        if not self.copies or any(c not in COPY_LABELS for c in self.copies):
            raise ReceiptError(f"copies are one or more of {', '.join(COPY_LABELS)}")
        if self.expiry not in ("omit", "masked", "show") or self.long_name not in ("wrap", "truncate"):
            raise ReceiptError("expiry is omit/masked/show and long_name wrap/truncate")
        if self.code not in ("none", "qr", "barcode") or not 0 <= self.tail_feed <= 10:
            raise ReceiptError("code is none/qr/barcode and tail_feed 0-10 lines")

    @property
    def columns(self) -> int:
        return 32 if self.paper == 58 else 48


# -- text layout -------------------------------------------------------------------------------------------


def columns_of(text: str) -> int:
    """Printed columns of ``text`` in font A: CJK characters take two.

    >>> columns_of("RMB 12.34"), columns_of("商户存根(MERCHANT COPY)")
    (9, 23)
    """
    return sum(char_columns(c) for c in text)


def _cut(text: str, columns: int) -> tuple[str, str]:
    """The longest head of ``text`` that fits ``columns`` (at least one character), and the rest."""
    used = 0
    for i, ch in enumerate(text):
        used += char_columns(ch)
        if used > columns and i:
            return text[:i], text[i:]
    return text, ""


def wrap_columns(text: str, columns: int) -> list[str]:
    """Lines of at most ``columns`` printed columns, broken at a space or after a full-width comma where
    the piece fits, else between characters (never inside one).

    >>> wrap_columns("本人确认以上交易，同意将其记入本卡账户", 32)
    ['本人确认以上交易，', '同意将其记入本卡账户']
    >>> wrap_columns("I ACKNOWLEDGE SATISFACTORY RECEIPT OF RELATIVE GOODS/SERVICES", 32)
    ['I ACKNOWLEDGE SATISFACTORY', 'RECEIPT OF RELATIVE', 'GOODS/SERVICES']
    >>> wrap_columns("商户名称很长很长很长很长很长很长", 10)
    ['商户名称很', '长很长很长', '很长很长很', '长']
    """
    out: list[str] = []
    line = ""
    for sep, piece in _BREAKS.findall(text):
        candidate = f"{line}{sep}{piece}" if line else piece
        if columns_of(candidate) <= columns:
            line = candidate
            continue
        if line:
            out.append(line)
        line = piece
        while columns_of(line) > columns:
            head, line = _cut(line, columns)
            out.append(head)
    if line or not out:
        out.append(line)
    return out


def pair_lines(label: str, value: str, columns: int) -> list[str]:
    """A label and its value: on one line, the value flush right, when both fit; else the label, then the
    value flush right on the next line(s).

    >>> pair_lines("批次号(BATCH NO.)", "000001", 32)
    ['批次号(BATCH NO.)         000001']
    >>> pair_lines("商户编号(MERCHANT NO.)", "898310048160001", 32)
    ['商户编号(MERCHANT NO.)', '                 898310048160001']
    """
    gap = columns - columns_of(label) - columns_of(value)
    if gap >= 1:
        return [label + " " * gap + value]
    lines = wrap_columns(label, columns)
    for part in wrap_columns(value, columns):
        lines.append(" " * (columns - columns_of(part)) + part)
    return lines


def _rule(columns: int) -> Text:
    return Text("-" * columns)


def _texts(lines: Iterable[str], *, bold: bool = False, height: int = 1) -> list[PrintOp]:
    return [Text(line, bold=bold, height=height) for line in lines]


def screen_lines(ops: Sequence[PrintOp], columns: int) -> list[str]:
    """The text a document shows on the terminal's screen: one string per printed line, aligned with
    spaces; codes as ``[QR: ...]`` / ``[CODE128: ...]``, feeds as blank lines, cuts and drawer kicks
    dropped.

    >>> screen_lines([Text("结算", align="center"), Text(""), Feed(1), Qr("x"), Cut()], 12)
    ['    结算', '', '', '[QR: x]']
    """
    out: list[str] = []
    for op in ops:
        if isinstance(op, Text):
            rest = op.text
            while True:  # the printer breaks an over-long line between characters
                line, rest = _cut(rest, columns // op.width)
                free = max(columns - columns_of(line), 0)  # a screen shows no double width
                pad = free // 2 if op.align == "center" else free if op.align == "right" else 0
                out.append(" " * pad + line)
                if not rest:
                    break
        elif isinstance(op, Feed):
            out.extend([""] * op.lines)
        elif isinstance(op, Qr):
            out.append(f"[QR: {op.data}]")
        elif isinstance(op, Barcode):
            out.append(f"[{op.kind}: {op.data}]")
    return out


# -- values ------------------------------------------------------------------------------------------------


def format_money(amount_minor: int, currency_n: int = 156) -> str:
    """An amount in minor units as printed, with integer arithmetic only (never a float).

    >>> format_money(0), format_money(1), format_money(123456789), format_money(-1234)
    ('RMB 0.00', 'RMB 0.01', 'RMB 1234567.89', 'RMB -12.34')
    >>> format_money(500, 392)
    'JPY 500'

    Raises:
        ReceiptError: not an int (a float, a Decimal or a bool), more than 12 digits, or an unknown currency.
    """
    if currency_n not in CURRENCIES:
        raise ReceiptError(f"no receipt format for currency {currency_n}")
    symbol, exponent = CURRENCIES[currency_n]
    if type(amount_minor) is not int:
        raise ReceiptError("amounts are int minor units")
    try:
        digits = format_amount(abs(amount_minor))  # n12 digits, as in field 4
    except Iso8583Error as exc:
        raise ReceiptError("amount does not fit 12 digits") from exc
    units = str(int(digits[: len(digits) - exponent]))
    text = f"{units}.{digits[len(digits) - exponent :]}" if exponent else units
    return f"{symbol} {'-' if amount_minor < 0 else ''}{text}"


def signed_amount(txn: TxnRecord) -> int:
    """The transaction's amount with the sign the slip shows: negative for voids and refunds.

    Raises:
        ReceiptError: an unknown kind, or an amount that is not a non-negative int.
    """
    kind = _trans_type(txn.kind)
    if type(txn.amount_minor) is not int or txn.amount_minor < 0:
        raise ReceiptError(f"transaction {txn.id}: amount is not a non-negative int")
    return -txn.amount_minor if kind.negative else txn.amount_minor


def masked_card(pan_masked: str) -> str:
    """The card number as printed: already masked to at most the first six and last four digits.

    >>> masked_card("622424******0113")
    '622424******0113'
    >>> masked_card("6224242900000113")
    Traceback (most recent call last):
    terminal.receipts.ReceiptError: the card number is not masked (PCI DSS 3.4.1)

    Raises:
        ReceiptError: the value holds more than six leading or four trailing digits, or no mask.
    """
    if pan_masked and not _MASKED.fullmatch(pan_masked):
        raise ReceiptError("the card number is not masked (PCI DSS 3.4.1)")
    return pan_masked


def _trans_type(kind: str) -> TransType:
    if kind not in TRANS_TYPES:
        raise ReceiptError(f"no receipt for transaction kind {kind!r}")
    return TRANS_TYPES[kind]


def _when(txn: TxnRecord, date_format: str) -> str:
    try:
        return dt.datetime.fromisoformat(txn.created_at).strftime(date_format)
    except ValueError as exc:
        raise ReceiptError(f"transaction {txn.id}: created_at is not an ISO date-time") from exc


# -- EMV data ----------------------------------------------------------------------------------------------


def emv_fields(receipt: Mapping[int, bytes]) -> dict[str, str]:
    """The kernel's receipt tags (``KernelResult.receipt``) as the text mapping receipts read: tag and
    value in upper-case hex.

    >>> emv_fields({0x9F27: b"\\x40", 0x50: b"PBOC DEBIT"})
    {'9F27': '40', '50': '50424F43204445424954'}
    """
    return {f"{tag:X}": bytes(value).hex().upper() for tag, value in receipt.items()}


def emv_json(receipt: Mapping[int, bytes]) -> str:
    """:func:`emv_fields` as the JSON text of the journal's ``emv`` column.

    >>> emv_json({0x95: bytes(5), 0x9B: b"\\xe8\\x00"})
    '{"95": "0000000000", "9B": "E800"}'
    """
    return json.dumps(emv_fields(receipt), sort_keys=True)


def _emv_data(source: Mapping[str, str] | str | None) -> dict[int, bytes]:
    if source is None or source == "":
        return {}
    if isinstance(source, str):
        try:
            loaded = json.loads(source)
        except ValueError as exc:
            raise ReceiptError("the journal's EMV data is not JSON") from exc
        if not isinstance(loaded, dict):
            raise ReceiptError("the journal's EMV data is not a JSON object")
        source = loaded
    out: dict[int, bytes] = {}
    for key, value in source.items():
        try:
            out[int(key, 16)] = bytes.fromhex(value)
        except (TypeError, ValueError) as exc:
            raise ReceiptError(f"EMV data: tag {key!r} is not hex tag and hex value") from exc
    return out


def _ascii(value: bytes) -> str:
    return "".join(chr(b) for b in value if 0x20 <= b < 0x7F).strip()


def _emv_lines(data: Mapping[int, bytes], columns: int) -> list[str]:
    """AID, application label, cryptogram with its name, TVR, TSI, ATC (CUP slips print them under 备注)."""
    lines: list[str] = []
    aid = data.get(0x4F) or data.get(0x84)
    if aid:
        lines += pair_lines("AID:", aid.hex().upper(), columns)
    label = _ascii(data.get(0x50) or data.get(0x9F12) or b"")
    if label:
        lines += pair_lines("APP LABEL:", label, columns)
    if 0x9F26 in data:
        cid = data.get(0x9F27)
        name = _CRYPTOGRAMS.get(cid[0] & 0xC0, "AC") if cid else "AC"
        lines += pair_lines(f"{name}:", data[0x9F26].hex().upper(), columns)
    for tag, name in ((0x95, "TVR:"), (0x9B, "TSI:"), (0x9F36, "ATC:")):
        if tag in data:
            lines += pair_lines(name, data[tag].hex().upper(), columns)
    if 0x5F34 in data:
        lines += pair_lines("卡序号(CARD SN)", f"{data[0x5F34].hex()[-2:]:0>3}", columns)
    return lines


def _expiry(data: Mapping[int, bytes], setting: str) -> str | None:
    if setting == "omit":
        return None
    if setting == "masked":
        return "**/**"
    raw = data.get(0x5F24, b"").hex()
    return f"20{raw[0:2]}/{raw[2:4]}" if len(raw) >= 4 and raw[:4].isdigit() else None


def _cvm_lines(txn: TxnRecord, data: Mapping[int, bytes], copy: str, columns: int) -> list[PrintOp]:
    """The signature area on the merchant's copies when the CVM was a signature; otherwise a note saying
    no signature is needed, naming the PIN only when the CVM Results (9F34) show one that did not fail."""
    if txn.signature:
        if copy not in _SIGNED_COPIES:
            return []
        return [Text("持卡人签名(CARDHOLDER SIGNATURE)"), Feed(3), _rule(columns)]
    cvmr = data.get(0x9F34, b"\x3f\x00\x00")
    method = cvmr[0] & 0x3F
    if txn.entry_mode == "qr" or (0x9F34 in data and method in _NO_CVMS):
        note = "免密免签 NO PIN, NO SIGNATURE"
    elif method in _PIN_CVMS and cvmr[2:3] != b"\x01":  # result 01: failed
        note = "密码验证 免签 PIN VERIFIED"
    else:  # a swipe: whether a PIN went online is not in the journal
        note = "免签 NO SIGNATURE REQUIRED"
    return _texts(wrap_columns(note, columns))


# -- the slip ----------------------------------------------------------------------------------------------


def _merchant_lines(merchant: MerchantInfo, settings: ReceiptSettings) -> list[PrintOp]:
    w = settings.columns
    name = wrap_columns(merchant.name, w) if settings.long_name == "wrap" else [_cut(merchant.name, w)[0]]
    return [
        Text("商户名称(MERCHANT NAME)"),
        *_texts(name, bold=True),
        *_texts(pair_lines("商户编号(MERCHANT NO.)", merchant.mid, w)),
        *_texts(pair_lines("终端编号(TERMINAL NO.)", merchant.tid, w)),
    ]


def _big(text: str, columns: int) -> list[PrintOp]:
    """Bold, double height, and double width when that still fits the paper."""
    if columns_of(text) * 2 <= columns:
        return [Text(text, bold=True, width=2, height=2)]
    return _texts(wrap_columns(text, columns), bold=True, height=2)


def build_receipt(
    txn: TxnRecord,
    merchant: MerchantInfo,
    settings: ReceiptSettings,
    copy: str,
    *,
    emv: Mapping[str, str] | None = None,
    reprint: bool = False,
    original: TxnRecord | None = None,
    note: str | None = None,
) -> list[PrintOp]:
    """One copy of the slip of ``txn``.

    ``emv`` is the EMV data as :func:`emv_fields` gives it (tag -> hex value); without it the journal's
    ``txn.emv`` JSON is read. ``original`` (of a void or refund) prints its voucher number under 备注;
    ``note`` adds a line there (a refund's reason). ``reprint`` marks the slip 重打印(REPRINT).

    Raises:
        ReceiptError: an unknown copy, kind, entry mode or currency; a transaction neither approved nor
            voided or completed; a card number that is not masked; malformed EMV data or date.
    """
    if copy not in COPY_LABELS:
        raise ReceiptError(f"no receipt copy {copy!r}")
    if txn.state not in _PRINTABLE_STATES:
        raise ReceiptError(f"transaction {txn.id} is {txn.state}: no receipt")
    kind = _trans_type(txn.kind)
    card = masked_card(txn.pan_masked)
    if txn.entry_mode and txn.entry_mode not in ENTRY_MODES:
        raise ReceiptError(f"no receipt for entry mode {txn.entry_mode!r}")
    data = _emv_data(emv if emv is not None else txn.emv)
    w = settings.columns

    ops: list[PrintOp] = [
        Text("银联POS签购单", align="center", bold=True, width=2, height=2),
        Text("POS SALES SLIP", align="center"),
        Text(COPY_LABELS[copy], align="center", bold=True),
    ]
    if reprint:
        ops.append(Text("***** 重打印 REPRINT *****", align="center", bold=True))
    ops += [_rule(w), *_merchant_lines(merchant, settings)]
    if txn.operator:
        ops += _texts(pair_lines("操作员号(OPERATOR NO.)", txn.operator, w))
    ops.append(_rule(w))
    if card:
        ops += [Text("卡号(CARD NO.)"), Text(card, bold=True)]
    if txn.entry_mode:
        ops += _texts(pair_lines("输入方式(ENTRY MODE)", ENTRY_MODES[txn.entry_mode], w))
    expiry = _expiry(data, settings.expiry)
    if expiry:
        ops += _texts(pair_lines("有效期(EXP DATE)", expiry, w))
    ops += [Text("交易类型(TRANS TYPE)"), *_big(kind.label, w)]
    ops += _texts(pair_lines("批次号(BATCH NO.)", f"{txn.batch:06d}", w))
    ops += _texts(pair_lines("凭证号(VOUCHER NO.)", f"{txn.trace:06d}", w))
    if txn.auth_code:
        ops += _texts(pair_lines("授权码(AUTH NO.)", txn.auth_code, w))
    if txn.rrn:
        ops += _texts(pair_lines("参考号(REF NO.)", txn.rrn, w))
    ops += _texts(pair_lines("日期/时间(DATE/TIME)", _when(txn, settings.date_format), w))
    label = "余额(BALANCE)" if txn.kind == "balance" else "金额(AMOUNT)"
    ops += [Text(label), *_big(format_money(signed_amount(txn), txn.currency_n), w), _rule(w)]

    reference: list[str] = []
    if original is not None:
        reference += pair_lines("原凭证号(ORIG VOUCHER)", f"{original.trace:06d}", w)
        if original.rrn:
            reference += pair_lines("原参考号(ORIG REF NO.)", original.rrn, w)
    if note:
        reference += wrap_columns(note, w)
    reference += _emv_lines(data, w)
    ops += [Text("备注(REFERENCE)"), *_texts(reference)]
    if txn.kind != "balance":
        closing = _cvm_lines(txn, data, copy, w)
        if copy in _SIGNED_COPIES:
            closing += _texts(wrap_columns(STATEMENT_ZH, w)) + _texts(wrap_columns(STATEMENT_EN, w))
        ops += [_rule(w), *closing] if closing else []
    code = txn.rrn or f"{txn.batch:06d}{txn.trace:06d}"
    if settings.code == "qr":
        ops.append(Qr(code, size=5))
    elif settings.code == "barcode":
        ops.append(Barcode(code, height=48))
    if reprint:
        ops.append(Text("***** 重打印 REPRINT *****", align="center", bold=True))
    if settings.tail_feed:
        ops.append(Feed(settings.tail_feed))
    ops.append(Cut())
    return ops


def build_receipts(
    txn: TxnRecord,
    merchant: MerchantInfo,
    settings: ReceiptSettings,
    *,
    emv: Mapping[str, str] | None = None,
    reprint: bool = False,
    original: TxnRecord | None = None,
    note: str | None = None,
) -> list[tuple[Copy, list[PrintOp]]]:
    """Every configured copy, in ``settings.copies`` order, each its own document (the terminal prints
    one, lets the merchant tear it off, then prints the next).

    Raises:
        ReceiptError: as :func:`build_receipt`.
    """
    return [
        (copy, build_receipt(txn, merchant, settings, copy, emv=emv, reprint=reprint, original=original,
                             note=note))
        for copy in settings.copies
    ]  # fmt: skip
