"""The host simulator's ledger records: merchants, terminals, issuer keys, cards, accounts, transactions,
batches, QR orders, payment codes (ARCHITECTURE.md sections 4 and 5; DOMAIN_FACTS section A).

Plain mutable dataclasses with slots: :mod:`host.store` keeps them in memory and writes each change to
SQLite. Amounts are int fen. Secrets keep out of ``repr``: PANs, PIN checks and keys are ``repr=False``,
and a transaction holds only a masked PAN and a hash of it (the issuer's card table is the one place a
PAN is kept, as the key its cryptograms are derived from).

>>> "4761739001010010" in repr(Card("4761739001010010", "01", "acct-1", "2912", "visa-cda", pin_check="x"))
False
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field

__all__ = [
    "Account",
    "BatchRecord",
    "BatchStatus",
    "Card",
    "CardStatus",
    "IssuerKeys",
    "Merchant",
    "OrderStatus",
    "PaymentCodeRecord",
    "QrOrder",
    "TerminalRecord",
    "Txn",
    "TxnKind",
    "TxnStatus",
    "hash_pan",
    "hash_pin",
]


def hash_pan(pan: str) -> str:
    """A stable hash of a PAN, for matching a transaction to its card without keeping the PAN.

    >>> len(hash_pan("4761739001010010"))
    32
    """
    return hashlib.sha256(b"posemu-pan:" + pan.encode("ascii")).hexdigest()[:32]


def hash_pin(pan: str, pin: str) -> str:
    """The issuer's PIN check value: a hash of PAN and PIN (the simulator keeps no clear PIN)."""
    return hashlib.sha256(f"posemu-pin:{pan}:{pin}".encode("ascii")).hexdigest()


class CardStatus(enum.StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    LOST = "lost"
    STOLEN = "stolen"


class TxnKind(enum.StrEnum):
    """What a transaction did; 60.1 of its request names it (DOMAIN_FACTS A transaction table)."""

    BALANCE = "balance"
    PURCHASE = "purchase"
    VOID = "void"
    REFUND = "refund"
    PRE_AUTH = "pre_auth"
    PRE_AUTH_VOID = "pre_auth_void"
    COMPLETION = "completion"
    COMPLETION_VOID = "completion_void"
    QR_ORDER = "qr_order"  # a merchant-presented order paid by a wallet


class TxnStatus(enum.StrEnum):
    ACTIVE = "active"  # approved and in effect
    DECLINED = "declined"
    REVERSED = "reversed"
    VOIDED = "voided"
    COMPLETED = "completed"  # a pre-authorisation turned into a completion


class BatchStatus(enum.StrEnum):
    OPEN = "open"
    UPLOADING = "uploading"  # settlement did not balance; the terminal uploads its transactions
    SETTLED = "settled"


class OrderStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    CLOSED = "closed"


@dataclass(slots=True)
class Merchant:
    mid: str
    name: str
    city: str = "SHANGHAI"
    mcc: str = "5812"


@dataclass(slots=True)
class TerminalRecord:
    """A terminal: its master key, current batch and (in memory only) the session's working keys."""

    tid: str
    mid: str
    tmk: bytes = field(repr=False)
    batch: int = 1
    pik: bytes | None = field(default=None, repr=False)
    mak: bytes | None = field(default=None, repr=False)


@dataclass(slots=True, frozen=True)
class IssuerKeys:
    """One issuer key set: the cryptogram version's name (``VISA_CVN18``) and the three master keys."""

    name: str
    cryptogram: str
    imk_ac: bytes = field(repr=False)
    imk_smi: bytes = field(repr=False)
    imk_smc: bytes = field(repr=False)


@dataclass(slots=True)
class Card:
    pan: str = field(repr=False)
    psn: str
    account_id: str
    expiry: str  # YYMM
    issuer_key: str
    status: str = CardStatus.ACTIVE
    pin_check: str = field(default="", repr=False)
    pin_failures: int = 0
    pin_try_limit: int = 3
    pending_script: str | None = None  # an issuer script for the next online reply (host.scripts)


@dataclass(slots=True)
class Account:
    """A card account or a wallet: balance and amount on hold (pre-authorisations), in fen."""

    id: str
    balance_fen: int
    held_fen: int = 0
    limit_fen: int = 0  # largest single transaction; 0 for no limit
    wallet: str | None = None  # the wallet scheme (emv.cpm.Wallet value) for a wallet account

    @property
    def available_fen(self) -> int:
        return self.balance_fen - self.held_fen


@dataclass(slots=True)
class Txn:
    """One transaction as the host recorded it; ``balance_delta``/``hold_delta`` are its effect."""

    id: int
    tid: str
    mid: str
    batch: int
    trace: int
    kind: str
    mti: str
    amount_fen: int
    response_code: str
    status: str
    rrn: str = ""
    auth_code: str = ""
    account_id: str = ""
    pan_hash: str = ""
    pan_masked: str = ""
    domestic: bool = True
    orig_id: int | None = None
    balance_delta: int = 0
    hold_delta: int = 0
    refunded_fen: int = 0
    created: str = ""


@dataclass(slots=True)
class BatchRecord:
    tid: str
    batch: int
    status: str = BatchStatus.OPEN
    result: str = ""  # the 0510 field 48 the host answered, or the batch-upload end count
    uploaded: int = 0


@dataclass(slots=True)
class QrOrder:
    """A merchant-presented dynamic QR order, paid by a wallet through the simulator."""

    ref: str
    tid: str
    mid: str
    batch: int
    trace: int
    amount_fen: int
    status: str = OrderStatus.PENDING
    account_id: str = ""
    txn_id: int | None = None
    created: str = ""


@dataclass(slots=True)
class PaymentCodeRecord:
    """A customer-presented payment code a wallet issued: one use unless ``reusable``."""

    code: str = field(repr=False)
    account_id: str
    reusable: bool = False
    expires: str = ""  # ISO time; empty for no expiry
