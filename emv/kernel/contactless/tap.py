"""One tap: its context and terminal data, the card-removal moment, the CVM, and the result
(EMV Contactless Book A 6.2 outcome parameters and 9.2 "Card Read Successfully"; Book B 3.2 and 3.5).

A contactless kernel talks to the card for a few hundred milliseconds at most, then decides alone. The
moment its last card command is answered, :meth:`Tap.card_done` records how many commands the tap took and
calls the terminal's hook (``on_card_removable``): the terminal can say "card read, remove card" before
fDDA is verified and before it goes online. Every contactless result has ``card_removable`` set: whatever
the outcome, the kernel no longer needs the card.

:class:`ContactlessResult` is the contact kernel's :class:`KernelResult` with Book A's outcome parameters
the terminal needs besides the outcome: the kernel that ran, the CVM, the UI message, "try again"
(restart after "see phone"), and when the card could be removed.

CVM Results ``9F34`` of a contactless CVM [U: Book C-3 defines no 9F34; the codes follow Book 3 Annex C3,
and CDCVM takes '01' as Book C-2 does for "confirmation code verified"]:

>>> [CVM_RESULTS[c].hex().upper() for c in (Cvm.ONLINE_PIN, Cvm.SIGNATURE, Cvm.CDCVM, Cvm.NO_CVM, Cvm.NONE)]
['020000', '1E0000', '010002', '1F0002', '3F0000']
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from emv.kernel.capk import CapkStore
from emv.kernel.contactless.limits import Indicators
from emv.kernel.context import Context, KernelResult, Outcome, Termination
from emv.kernel.context import init_terminal_data as init_context_terminal_data
from emv.kernel.kernel import CARD_TAGS, FIELD55_TAGS, RECEIPT_TAGS

__all__ = ["CVM_RESULTS", "ContactlessResult", "Cvm", "Tap", "init_terminal_data"]

log = logging.getLogger(__name__)


class Cvm(enum.Enum):
    """The cardholder verification of a tap (Book A 6.2.2, Outcome Parameter Set "CVM")."""

    ONLINE_PIN = "online PIN"
    SIGNATURE = "signature"
    CDCVM = "CDCVM"  # confirmation code verified on the consumer device
    NO_CVM = "no CVM"
    NONE = "none"  # not performed, or not applicable


CVM_RESULTS = {
    Cvm.ONLINE_PIN: b"\x02\x00\x00",
    Cvm.SIGNATURE: b"\x1e\x00\x00",
    Cvm.CDCVM: b"\x01\x00\x02",
    Cvm.NO_CVM: b"\x1f\x00\x02",
    Cvm.NONE: b"\x3f\x00\x00",
}


@dataclass
class ContactlessResult(KernelResult):
    """A :class:`KernelResult` with the contactless outcome parameters (Book A 6.2)."""

    kernel: str = ""  # "qPBOC", "qVSDC", "C-2"; "" when the Entry Point ended the tap
    kernel_id: int = 0
    aid: bytes = b""
    cvm: Cvm = Cvm.NONE
    ui_message: str = ""  # Book A 7.2 user interface request on outcome
    restart: bool = False  # Book A "Try Again": present the card again (after "see phone")
    removable_after: int | None = None  # card commands answered when the card could leave the field


def init_terminal_data(ctx: Context) -> None:
    """The terminal data objects a contactless PDOL or CDOL asks for (Book A 5.7, Book 4 Annex A): the
    contact kernel's, with the contactless POS entry mode 07."""
    init_context_terminal_data(ctx, 0x07)


@dataclass
class Tap:
    """The state of one tap shared by the Entry Point and the kernel it activates; the repr hides the
    context, which holds the card's data."""

    ctx: Context = field(repr=False)
    capks: CapkStore = field(repr=False)
    on_card_removable: Callable[[], None] | None = field(default=None, repr=False)
    pre: Indicators | None = None  # the chosen combination's pre-processing indicators and TTQ
    kernel: str = ""
    kernel_id: int = 0
    cvm: Cvm = Cvm.NONE
    ui_message: str = ""
    restart: bool = False
    removable_after: int | None = None
    cryptogram_tvr: bytes | None = None  # the TVR the card's cryptogram covers, when not the final one
    outcome: Outcome | None = field(default=None, repr=False)

    def card_done(self) -> None:
        """The last card command is answered: note it and tell the terminal (once per tap)."""
        if self.removable_after is not None:
            return
        self.removable_after = len(self.ctx.trace)
        log.info("card read: %d commands, the card may be removed", self.removable_after)
        if self.on_card_removable is not None:
            self.on_card_removable()

    def set_cvm(self, cvm: Cvm) -> None:
        self.cvm = cvm
        self.ctx.cvm_results = CVM_RESULTS[cvm]

    def result(
        self, outcome: Outcome, reason: str, termination: Termination | None = None
    ) -> ContactlessResult:
        """The result of the tap as it stands; field 55 carries the TVR the cryptogram covers."""
        ctx = self.ctx
        self.outcome = outcome
        data = ctx.snapshot()
        f55 = {t: data[t] for t in FIELD55_TAGS if t in data}
        if self.cryptogram_tvr is not None and 0x95 in f55:
            f55[0x95] = self.cryptogram_tvr
        return ContactlessResult(
            outcome=outcome,
            reason=reason,
            termination=termination,
            tvr=bytes(ctx.tvr),
            tsi=bytes(ctx.tsi),
            cvm_results=ctx.cvm_results,
            field55=f55,
            receipt={t: data[t] for t in RECEIPT_TAGS if t in data},
            card={t: ctx.card[t] for t in CARD_TAGS if t in ctx.card},
            signature_required=ctx.signature_required,
            online_pin=ctx.online_pin,
            card_removable=True,
            trace=list(ctx.trace),
            kernel=self.kernel,
            kernel_id=self.kernel_id,
            aid=ctx.card.get(0x4F, b""),
            cvm=self.cvm,
            ui_message=self.ui_message,
            restart=self.restart,
            removable_after=self.removable_after,
        )
