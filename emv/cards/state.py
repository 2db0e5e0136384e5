"""The memory of a virtual card: what survives a power cycle and what one transaction holds.

:class:`CardState` is the card's non-volatile memory: counters (ATC ``9F36``, last online ATC ``9F13``, PIN
try counter ``9F17``), the PIN, the application block, the flags its risk management carries from one
transaction to the next (EMV 4.4 Book 3, 10.4 and Annex C; the CVR bits of Visa VIS / PBOC 3.0), the
records PUT DATA may change, and the transaction log. :class:`Transaction` is volatile: it starts afresh at
each SELECT and power-on. :class:`Session` ties both to the personalised image and the random source.
"""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from emv.cards.cvn import AcType
from emv.cards.personalise import CardImage
from emv.dol import Dol

__all__ = ["CardState", "Phase", "Session", "Transaction"]

log = logging.getLogger(__name__)


class Phase(enum.Enum):
    """Where the selected application is in its transaction flow (Book 3, 6.5 and Annex C)."""

    IDLE = "idle"  # nothing selected
    PSE = "pse"  # the payment system environment is selected
    SELECTED = "selected"  # the application is selected, GPO not yet received
    INITIATED = "initiated"  # GPO answered: records, VERIFY, INTERNAL AUTHENTICATE, first GENERATE AC
    ONLINE = "online"  # first GENERATE AC answered ARQC: EXTERNAL AUTHENTICATE, scripts, second GENERATE AC
    COMPLETED = "completed"  # the final cryptogram is out: only scripts (template 72) and reads remain


@dataclass
class CardState:
    """Non-volatile card memory; the repr hides the PIN."""

    atc: int
    last_online_atc: int
    pin: str = field(repr=False)
    pin_try_limit: int
    pin_try_counter: int
    lower_offline_limit: int
    upper_offline_limit: int
    app_blocked: bool
    records: dict[tuple[int, int], list[tuple[int, bytes]]] = field(repr=False)
    last_online_not_completed: bool = False
    issuer_auth_failed_last: bool = False
    issuer_auth_not_performed_last: bool = False
    script_count: int = 0
    script_failed: bool = False
    log: list[bytes] = field(default_factory=list, repr=False)

    @classmethod
    def from_image(cls, image: CardImage) -> CardState:
        """The state of a card fresh from personalisation."""
        p = image.profile
        return cls(
            atc=p.atc,
            last_online_atc=p.last_online_atc,
            pin=p.pin,
            pin_try_limit=p.pin_try_limit,
            pin_try_counter=p.pin_try_counter,
            lower_offline_limit=p.lower_offline_limit,
            upper_offline_limit=p.upper_offline_limit,
            app_blocked=p.app_blocked,
            records={key: list(items) for key, items in image.records.items()},
        )

    @property
    def offline_count(self) -> int:
        """Transactions since the last online one, as the terminal's velocity check counts them (10.6.3)."""
        return self.atc - self.last_online_atc

    @property
    def is_new_card(self) -> bool:
        """No online transaction yet: the last online ATC register is zero (Book 3, 10.6.3)."""
        return self.last_online_atc == 0


@dataclass
class Transaction:
    """Volatile state of the current transaction."""

    phase: Phase = Phase.IDLE
    select_match: int = -1  # index of the last application selected by name (select next occurrence)
    pdol_data: bytes = b""
    cdol1_data: bytes = b""
    terminal: dict[int, bytes] = field(default_factory=dict)  # terminal data from the PDOL and CDOLs
    challenge: bytes | None = None  # from GET CHALLENGE, for an enciphered PIN
    offline_pin_performed: bool = False
    offline_pin_failed: bool = False
    offline_enciphered_pin: bool = False
    dda_performed: bool = False
    cda_first: bool = False
    first_ac_type: AcType | None = None
    first_ac: bytes = b""  # the cryptogram of the first GENERATE AC: scripts are MACed over it
    issuer_auth_performed: bool = False
    issuer_auth_ok: bool = False
    script_index: int = 0  # script commands received so far in this transaction
    # the card's history as it stood at GPO (the CVR reports it even if this transaction changes it)
    last_online_not_completed: bool = False
    issuer_auth_failed_last: bool = False
    issuer_auth_not_performed_last: bool = False

    def take(self, dol: Dol, data: bytes) -> None:
        """Store the terminal's values of a DOL's related data by tag (Book 3, 5.4)."""
        i = 0
        for tag, length in dol:
            self.terminal[tag] = data[i : i + length]
            i += length


@dataclass
class Session:
    """A card's image, its memory, the current transaction and its random source."""

    image: CardImage
    state: CardState
    random_bytes: Callable[[int], bytes] = os.urandom
    tx: Transaction = field(default_factory=Transaction)

    def __repr__(self) -> str:
        return f"Session({self.image.profile.name!r}, {self.tx.phase.value})"
