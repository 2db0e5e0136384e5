"""Consumer-presented payment codes scanned at the counter (扫码): WeChat Pay, Alipay, UnionPay and Lakala.

The wallets publish only the shape of their codes (DOMAIN_FACTS.md E: pay.weixin.qq.com micropay,
docs.open.alipay.com alipay.trade.pay, via github huangang/payqrcode; the UnionPay and Lakala patterns from
a UnionPay gateway's Restrict.java); the acquirer checks the code itself. :data:`CODE_FORMATS` is that
table:

=========== =========================== ======= ==========================
wallet      pattern                     digits  prefixes
=========== =========================== ======= ==========================
WeChat Pay  ``^1[0-5]\\d{16}$``           18      10-15
Alipay      ``^(2[5-9]|30)\\d{14,22}$``   16-24   25-30
UnionPay    ``^62\\d{17}$``               19      62 (then a 2-digit product, 15 random)
Lakala      ``^8[12][02]\\d{16}$``        19      810, 812, 820, 822
=========== =========================== ======= ==========================

No two prefixes overlap, so the prefix names the wallet and the length then confirms it. Anything else is
refused with a :class:`PaymentCodeError` whose ``kind`` says why (``empty``, ``non_digit``,
``unknown_prefix``, ``wrong_length``), with a position where one applies. A payment code is a credential
(a one-time token worth the payer's balance for about a minute): no error and no ``repr`` shows it, and
:attr:`PaymentCode.masked` keeps only its first two and last four digits. The scanner driver strips the
line terminator before calling :func:`classify_code`, which takes the code exactly as given.

>>> code = classify_code("134567890123456789")
>>> code, code.wallet.label
(PaymentCode(wallet='wechat_pay', code='13************6789'), 'WeChat Pay')
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal

from emv.errors import EmvError

__all__ = [
    "CODE_FORMATS",
    "CodeFormat",
    "PaymentCode",
    "PaymentCodeError",
    "Wallet",
    "classify_code",
    "mask_code",
]

_DIGITS = frozenset("0123456789")
ErrorKind = Literal["empty", "non_digit", "unknown_prefix", "wrong_length"]


class Wallet(enum.StrEnum):
    """The wallet (payment institution) that issued a consumer-presented code."""

    WECHAT_PAY = "wechat_pay"
    ALIPAY = "alipay"
    UNIONPAY = "unionpay"
    LAKALA = "lakala"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Wallet.WECHAT_PAY: "WeChat Pay",
    Wallet.ALIPAY: "Alipay",
    Wallet.UNIONPAY: "UnionPay",
    Wallet.LAKALA: "Lakala",
}


@dataclass(frozen=True)
class CodeFormat:
    """One row of the table: the wallet, its prefixes and the allowed lengths (in digits)."""

    wallet: Wallet
    prefixes: tuple[str, ...]
    min_digits: int
    max_digits: int

    @property
    def lengths(self) -> str:
        lo, hi = self.min_digits, self.max_digits
        return str(lo) if lo == hi else f"{lo} to {hi}"


CODE_FORMATS: tuple[CodeFormat, ...] = (
    CodeFormat(Wallet.WECHAT_PAY, ("10", "11", "12", "13", "14", "15"), 18, 18),
    CodeFormat(Wallet.ALIPAY, ("25", "26", "27", "28", "29", "30"), 16, 24),
    CodeFormat(Wallet.UNIONPAY, ("62",), 19, 19),
    CodeFormat(Wallet.LAKALA, ("810", "812", "820", "822"), 19, 19),
)
_BY_PREFIX = {prefix: fmt for fmt in CODE_FORMATS for prefix in fmt.prefixes}


class PaymentCodeError(EmvError, ValueError):
    """A scanned code that is not a payment code: ``kind`` (why), ``reason`` (in words) and ``position``
    (the 0-based offending character, when one is to blame). The code itself is never included.

    >>> str(PaymentCodeError("non_digit", "non-digit character", 4))
    'non-digit character at position 4'
    """

    def __init__(self, kind: ErrorKind, reason: str, position: int | None = None) -> None:
        self.kind: ErrorKind = kind
        self.reason = reason
        self.position = position
        super().__init__(reason if position is None else f"{reason} at position {position}")

    def __reduce__(self) -> tuple[type[PaymentCodeError], tuple[ErrorKind, str, int | None]]:
        return (type(self), (self.kind, self.reason, self.position))


def mask_code(digits: str) -> str:
    """A payment code for display and logs: its first two and last four digits (all masked if short).

    >>> mask_code("284567890123456789"), mask_code("1234567")
    ('28************6789', '*******')
    """
    if len(digits) < 12:
        return "*" * len(digits)
    return digits[:2] + "*" * (len(digits) - 6) + digits[-4:]


def _format_of(code: str) -> CodeFormat:
    if not code:
        raise PaymentCodeError("empty", "empty code", 0)
    for i, c in enumerate(code):
        if c not in _DIGITS:
            raise PaymentCodeError("non_digit", "non-digit character", i)
    fmt = _BY_PREFIX.get(code[:2]) or _BY_PREFIX.get(code[:3])
    if fmt is None:
        if len(code) < 3 and any(p.startswith(code) for p in _BY_PREFIX):
            raise PaymentCodeError("wrong_length", f"{len(code)} digits: too short for any payment code")
        raise PaymentCodeError("unknown_prefix", "prefix of no known wallet", 0)
    if not fmt.min_digits <= len(code) <= fmt.max_digits:
        reason = f"{len(code)} digits, but {fmt.wallet.label} codes have {fmt.lengths}"
        raise PaymentCodeError("wrong_length", reason)
    return fmt


@dataclass(frozen=True, repr=False)
class PaymentCode:
    """A classified consumer-presented code. ``repr`` and ``str`` show it masked; ``.digits`` in clear."""

    wallet: Wallet
    digits: str = field(repr=False)

    def __post_init__(self) -> None:
        if _format_of(self.digits).wallet is not self.wallet:
            raise PaymentCodeError("unknown_prefix", f"prefix of no {self.wallet.label} code", 0)

    @property
    def masked(self) -> str:
        return mask_code(self.digits)

    def __repr__(self) -> str:
        return f"PaymentCode(wallet={self.wallet.value!r}, code={self.masked!r})"

    __str__ = __repr__


def classify_code(code: str) -> PaymentCode:
    """Classify a scanned consumer-presented code by the wallets' published patterns.

    Raises:
        PaymentCodeError: empty, a non-digit (with its position), an unknown prefix, or a length the
            prefix's wallet never issues.

    >>> classify_code("6212345678901234567").wallet, classify_code("8101234567890123456").wallet.label
    (<Wallet.UNIONPAY: 'unionpay'>, 'Lakala')
    >>> classify_code("2812345678901234567")
    PaymentCode(wallet='alipay', code='28*************4567')
    >>> classify_code("1345678901234567")
    Traceback (most recent call last):
    ...
    emv.cpm.PaymentCodeError: 16 digits, but WeChat Pay codes have 18
    """
    return PaymentCode(_format_of(code).wallet, code)
