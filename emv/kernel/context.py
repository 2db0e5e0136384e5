"""What one transaction carries through the kernel: inputs, card and terminal data, TVR, TSI, outcome.

TVR and TSI bits follow EMV 4.4 Book 3 Annex C5 and C6 (DOMAIN_FACTS.md B). Bits are named constants
``(byte index, mask)`` so a step sets exactly one bit with :meth:`Context.set_tvr`.
"""

from __future__ import annotations

import datetime as dt
import enum
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from emv import apdu
from emv.errors import EmvError
from emv.kernel.params import AidParams, TerminalParams

__all__ = [
    "CardholderCancelledError",
    "CardholderInterface",
    "Context",
    "KernelResult",
    "Outcome",
    "Termination",
    "TerminationError",
    "Transaction",
    "Transmit",
    "bcd_value",
    "exchange",
    "init_terminal_data",
]

Transmit = Callable[[bytes], bytes]
"""Send a C-APDU, get the R-APDU (data and status word). Raises an ``EmvError`` when the card is gone."""

# TVR byte 1 (Book 3 Annex C5)
TVR_ODA_NOT_PERFORMED = (0, 0x80)
TVR_SDA_FAILED = (0, 0x40)
TVR_ICC_DATA_MISSING = (0, 0x20)
TVR_EXCEPTION_FILE = (0, 0x10)
TVR_DDA_FAILED = (0, 0x08)
TVR_CDA_FAILED = (0, 0x04)
TVR_SDA_SELECTED = (0, 0x02)
# byte 2
TVR_VERSIONS_DIFFER = (1, 0x80)
TVR_EXPIRED = (1, 0x40)
TVR_NOT_EFFECTIVE = (1, 0x20)
TVR_SERVICE_NOT_ALLOWED = (1, 0x10)
TVR_NEW_CARD = (1, 0x08)
# byte 3
TVR_CV_NOT_SUCCESSFUL = (2, 0x80)
TVR_UNRECOGNISED_CVM = (2, 0x40)
TVR_PIN_TRY_LIMIT_EXCEEDED = (2, 0x20)
TVR_PIN_PAD_ABSENT = (2, 0x10)
TVR_PIN_NOT_ENTERED = (2, 0x08)
TVR_ONLINE_PIN_ENTERED = (2, 0x04)
# byte 4
TVR_FLOOR_LIMIT_EXCEEDED = (3, 0x80)
TVR_LOWER_OFFLINE_EXCEEDED = (3, 0x40)
TVR_UPPER_OFFLINE_EXCEEDED = (3, 0x20)
TVR_RANDOM_SELECTED = (3, 0x10)
TVR_MERCHANT_FORCED_ONLINE = (3, 0x08)
# byte 5
TVR_DEFAULT_TDOL_USED = (4, 0x80)
TVR_ISSUER_AUTH_FAILED = (4, 0x40)
TVR_SCRIPT_FAILED_BEFORE = (4, 0x20)
TVR_SCRIPT_FAILED_AFTER = (4, 0x10)

# TSI byte 1 (Book 3 Annex C6)
TSI_ODA_PERFORMED = (0, 0x80)
TSI_CV_PERFORMED = (0, 0x40)
TSI_CARD_RISK_PERFORMED = (0, 0x20)
TSI_ISSUER_AUTH_PERFORMED = (0, 0x10)
TSI_TRM_PERFORMED = (0, 0x08)
TSI_SCRIPT_PERFORMED = (0, 0x04)


class Termination(enum.Enum):
    """Why a transaction ended without a cryptogram decision (the typed half of ``KernelResult.reason``)."""

    CARD_STATUS = "the card answered a status word the step does not accept"
    CARD_DATA = "the card's data breaks a rule of EMV Book 3 (missing, malformed, repeated, out of range)"
    CARD_ERROR = "the card or the reader failed (removed, no answer)"
    CARD_BLOCKED = "the card is blocked"
    APP_BLOCKED = "the card's application is blocked"
    NO_APPLICATION = "no mutually supported application"
    CANCELLED = "cancelled at the terminal"
    TERMINAL = "the terminal failed (its PIN key, a device)"
    AMOUNT = "the amount is out of range"


class Outcome(enum.Enum):
    """How the kernel ended (or paused, for GO_ONLINE)."""

    APPROVED_OFFLINE = "approved offline"
    DECLINED_OFFLINE = "declined offline"
    GO_ONLINE = "go online"
    APPROVED_ONLINE = "approved online"
    DECLINED_ONLINE = "declined online"
    FALLBACK_MAGSTRIPE = "fallback to magstripe"
    TRY_ANOTHER_INTERFACE = "try another interface"
    TERMINATED = "terminated"


@dataclass(frozen=True)
class Transaction:
    """The transaction the terminal asks the kernel to run. Amounts in minor units, never floats."""

    amount_minor: int
    when: dt.datetime
    sequence_counter: int  # 9F41
    other_amount_minor: int = 0
    transaction_type: int = 0x00  # 9C: 00 goods and services, 01 cash, 09 cashback, 20 refund, 31 inquiry
    force_online: bool = False  # merchant forced online (TVR byte 4 bit 4)
    currency_n: int | None = None  # default: the terminal's currency


class CardholderInterface(Protocol):
    """What the kernel asks of the person at the terminal. The terminal implements it with its keypad and
    display; tests implement it with scripted answers. PIN digits never pass through the kernel's logs.
    A callback that sees the cardholder press CANCEL raises :class:`CardholderCancelledError`."""

    def choose_application(self, labels: Sequence[str]) -> int | None:
        """Index of the application the cardholder picks, or None to cancel."""

    def enter_offline_pin(self, tries_left: int | None) -> bytearray | None:
        """PIN digits as ASCII for offline verification (the kernel zeroes the buffer), None if bypassed."""

    def enter_online_pin(self) -> bool:
        """Capture the PIN for the online message (the terminal enciphers it); False if bypassed."""


@dataclass
class KernelResult:
    """What the terminal needs after the kernel ran: the outcome, its reason, and the data to send/print."""

    outcome: Outcome
    reason: str = ""
    termination: Termination | None = None  # why, for TERMINATED and FALLBACK_MAGSTRIPE
    tvr: bytes = bytes(5)
    tsi: bytes = bytes(2)
    cvm_results: bytes = b"\x3f\x00\x00"
    field55: dict[int, bytes] = field(default_factory=dict)  # tags for ISO 8583 field 55
    receipt: dict[int, bytes] = field(default_factory=dict)  # AID, label, cryptogram, TVR, TSI (no PAN)
    signature_required: bool = False
    online_pin: bool = False
    card_removable: bool = False  # every card command is done (contactless: "remove card")
    script_results: bytes = b""  # DF31: 5 bytes per issuer script
    reversal_needed: bool = False  # host approved but the card declined (reversal reason 06)
    card: dict[int, bytes] = field(default_factory=dict, repr=False)  # PAN, track 2 equivalent, expiry
    trace: list[str] = field(default_factory=list)  # C-APDU headers and status words, no data


@dataclass
class Context:
    """Mutable state of one transaction inside the kernel."""

    params: TerminalParams
    txn: Transaction
    transmit: Transmit
    ui: CardholderInterface
    unpredictable: bytes
    terminal: dict[int, bytes] = field(default_factory=dict)  # terminal-sourced data objects
    card: dict[int, bytes] = field(default_factory=dict)  # card-sourced data objects
    aid_params: AidParams | None = None
    tvr: bytearray = field(default_factory=lambda: bytearray(5))
    tsi: bytearray = field(default_factory=lambda: bytearray(2))
    cvm_results: bytes = b"\x3f\x00\x00"
    static_data: bytearray = field(default_factory=bytearray)  # records signed for ODA (Book 3 10.3)
    static_data_ok: bool = True  # False when a record for ODA was not a 70 template
    pdol_data: bytes = b""
    cdol1_data: bytes = b""
    oda_method: str = ""  # "SDA", "DDA", "CDA" or "" (none)
    icc_public_key: tuple[bytes, bytes] | None = None  # (modulus, exponent) once recovered
    pin_key: Callable[[], tuple[bytes, bytes] | None] = lambda: (
        None
    )  # the offline PIN key, recovered on demand
    signature_required: bool = False
    online_pin: bool = False
    trace: list[str] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.SystemRandom)  # random transaction selection
    recent_amount: Callable[[bytes], int] = lambda pan: (
        0
    )  # log amount for this PAN (floor limit, Book 3 10.6.1)

    def set_tvr(self, bit: tuple[int, int]) -> None:
        self.tvr[bit[0]] |= bit[1]

    def has_tvr(self, bit: tuple[int, int]) -> bool:
        return bool(self.tvr[bit[0]] & bit[1])

    def set_tsi(self, bit: tuple[int, int]) -> None:
        self.tsi[bit[0]] |= bit[1]

    def data(self, tag: int) -> bytes | None:
        """A data object from wherever it lives: TVR/TSI/CVM results, terminal data, card data."""
        if tag == 0x95:
            return bytes(self.tvr)
        if tag == 0x9B:
            return bytes(self.tsi)
        if tag == 0x9F34:
            return self.cvm_results
        found = self.terminal.get(tag)
        return found if found is not None else self.card.get(tag)

    def snapshot(self) -> dict[int, bytes]:
        """All data objects as one mapping, terminal data over card data (for DOLs and field 55)."""
        out = {**self.card, **self.terminal}
        out[0x95] = bytes(self.tvr)
        out[0x9B] = bytes(self.tsi)
        out[0x9F34] = self.cvm_results
        return out

    def aip(self) -> bytes:
        return self.card.get(0x82, b"\x00\x00")


class TerminationError(EmvError):
    """The transaction is terminated (Book 3: "terminate the transaction"), with the reason and its kind."""

    def __init__(self, reason: str, kind: Termination | None = None) -> None:
        self.reason = reason
        self.kind = kind or (Termination.CARD_STATUS if " answered " in reason else Termination.CARD_DATA)
        super().__init__(reason)


class CardholderCancelledError(TerminationError):
    """The cardholder pressed CANCEL (or let the PIN prompt time out) inside a kernel step: the terminal
    abandons the transaction (Book 4, 11.2: the cancel key ends the transaction), so the kernel stops where
    it is, with no further command to the card, and ends TERMINATED with :attr:`Termination.CANCELLED`.

    Raised by a :class:`CardholderInterface` callback; never by the kernel itself.
    """

    def __init__(self, reason: str = "cancelled by the cardholder") -> None:
        super().__init__(reason, Termination.CANCELLED)


def exchange(ctx: Context, capdu: bytes) -> apdu.Response:
    """Send one command; the trace records its header and status word, never its data.

    Raises:
        ApduError: the response is shorter than a status word.
        EmvError: whatever the transport raises when the card is gone.
    """
    ctx.trace.append(apdu.Command.parse(capdu).describe())
    r = apdu.Response.parse(ctx.transmit(capdu))
    ctx.trace[-1] += f" -> {r.sw:04X}"
    return r


def bcd_value(raw: bytes | None) -> int | None:
    """The number in a BCD (format n) value, or None when absent or not decimal digits.

    >>> bcd_value(bytes.fromhex("0156")), bcd_value(bytes.fromhex("0A56")), bcd_value(None)
    (156, None, None)
    """
    if raw is None:
        return None
    text = raw.hex()
    return int(text) if text.isdigit() else None


def _bcd(value: int, digits: int) -> bytes:
    return bytes.fromhex(f"{value:0{digits}d}")


def init_terminal_data(ctx: Context, pos_entry_mode: int) -> None:
    """The terminal's data objects for this transaction (EMV 4.4 Book 4 Annex A; Book 3 5.4 for the DOLs
    that ask for them): amounts, currency, date and time, type, country, capabilities, unpredictable number,
    sequence counter, and the POS entry mode (``05`` contact chip, ``07`` contactless)."""
    p, txn = ctx.params, ctx.txn
    currency = txn.currency_n or p.transaction_currency
    ctx.terminal.update(
        {
            0x9F02: _bcd(txn.amount_minor, 12),
            0x9F03: _bcd(txn.other_amount_minor, 12),
            0x81: txn.amount_minor.to_bytes(4, "big"),
            0x9F04: txn.other_amount_minor.to_bytes(4, "big"),
            0x5F2A: _bcd(currency, 4),
            0x5F36: bytes((p.currency_exponent,)),
            0x9A: bytes.fromhex(txn.when.strftime("%y%m%d")),
            0x9F21: bytes.fromhex(txn.when.strftime("%H%M%S")),
            0x9C: bytes((txn.transaction_type,)),
            0x9F1A: _bcd(p.terminal_country, 4),
            0x9F33: p.terminal_capabilities,
            0x9F40: p.additional_capabilities,
            0x9F35: bytes((p.terminal_type,)),
            0x9F1E: p.ifd_serial,
            0x9F15: _bcd(p.merchant_category_code, 4),
            0x9F37: ctx.unpredictable,
            0x9F41: _bcd(txn.sequence_counter % 10**8, 8),
            0x9F39: bytes((pos_entry_mode,)),
        }
    )
