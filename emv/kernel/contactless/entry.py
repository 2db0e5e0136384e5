"""The contactless Entry Point and the kernels it activates, behind the contact kernel's interface
(EMV Contactless Book A: architecture and outcomes; Book B: Entry Point, 3.1 pre-processing, 3.3
combination selection, 3.4 kernel activation, 3.5 outcome processing).

``ContactlessKernel(params, capks, transmit, ui, on_card_removable=hook).start(txn)`` runs one tap:

1. Pre-processing (:mod:`.limits`): when no combination allows the amount, Try Another Interface before
   any card command.
2. SELECT PPSE and the candidate list (:mod:`.ppse`). No candidate: Try Another Interface when a directory
   entry matched a combination the amount is not allowed for, else End Application (terminated).
3. Final SELECT of the best candidate (:func:`emv.kernel.select.final_select`) and activation of its
   kernel: qPBOC (kernel 7) and qVSDC (kernel 3) run :mod:`.qpboc`, kernel 2 runs :mod:`.c2`. A refused
   SELECT or a GPO answering 6985 (Book B "Select Next") removes the candidate; the next one is selected in
   the same card session.
4. The kernel's decision becomes a :class:`ContactlessResult`. ``card_removable`` is always set; the hook
   is called as soon as the kernel has its last card answer, before fDDA is checked and before any online
   request, so the terminal can say "remove card".

Every card answer is untrusted: a status word, malformed or missing data, a card leaving the field, each
ends in an outcome with a reason, never an exception out of :meth:`ContactlessKernel.start`.

:meth:`ContactlessKernel.complete` finishes a Go Online outcome. The card has left the field, so the
host's answer decides alone: approved or declined online; ``None`` (no answer) declines with ``8A`` = Z3
(a tap has no second GENERATE AC to ask the card's default action). The issuer authentication data ``91``
is kept in the terminal data: giving it to the card would take a second tap (issuer update processing,
not implemented).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from types import MappingProxyType

from config.errors import PosError
from emv import tlv
from emv.kernel import gpo, select
from emv.kernel.capk import CapkStore
from emv.kernel.contactless import c2, limits, ppse, qpboc
from emv.kernel.contactless.tap import ContactlessResult, Cvm, Tap, init_terminal_data
from emv.kernel.context import (
    CardholderInterface,
    Context,
    Outcome,
    Termination,
    TerminationError,
    Transaction,
    Transmit,
)
from emv.kernel.online import HostReply
from emv.kernel.params import TerminalParams
from emv.kernel.select import adopt_application

__all__ = ["KERNELS", "UI_MESSAGES", "ContactlessKernel"]

log = logging.getLogger(__name__)

Decision = tuple[Outcome, str]
KERNELS: Mapping[int, tuple[str, Callable[[Tap, tlv.Tlv], Decision]]] = MappingProxyType(
    {7: ("qPBOC", qpboc.run), 3: ("qVSDC", qpboc.run), 2: ("C-2", c2.run)}
)
"""Kernel identifier -> (name, the kernel's run function)."""

UI_MESSAGES: Mapping[Outcome, str] = MappingProxyType(
    {
        Outcome.APPROVED_OFFLINE: "Approved",
        Outcome.APPROVED_ONLINE: "Approved",
        Outcome.DECLINED_OFFLINE: "Not authorised",
        Outcome.DECLINED_ONLINE: "Not authorised",
        Outcome.GO_ONLINE: "Authorising, please wait",
        Outcome.TRY_ANOTHER_INTERFACE: "Please insert or swipe card",
        Outcome.TERMINATED: "Insert, swipe or try another card",
    }
)
"""Book A 9.4 standard messages shown on an outcome (a kernel may set a more specific one)."""


def _reset(ctx: Context, params: TerminalParams) -> None:
    """Forget one application's data before selecting the next (Book B "Select Next")."""
    ctx.params = params
    ctx.card.clear()
    ctx.tvr[:] = bytes(5)
    ctx.tsi[:] = bytes(2)
    ctx.cvm_results = b"\x3f\x00\x00"
    ctx.static_data.clear()
    ctx.static_data_ok = True
    ctx.pdol_data = ctx.cdol1_data = b""
    ctx.oda_method = ""
    ctx.icc_public_key = None
    ctx.signature_required = ctx.online_pin = False
    ctx.terminal[0x9F33] = params.terminal_capabilities


class ContactlessKernel:
    """One tap at a time over ``transmit``; see the module docstring.

    ``on_card_removable`` is called (with no argument) once per tap, when the card may leave the field.
    """

    def __init__(
        self,
        params: TerminalParams,
        capks: CapkStore,
        transmit: Transmit,
        ui: CardholderInterface,
        *,
        unpredictable: Callable[[], bytes] = lambda: os.urandom(4),
        on_card_removable: Callable[[], None] | None = None,
    ) -> None:
        self.params = params
        self.capks = capks
        self.transmit = transmit
        self.ui = ui
        self._unpredictable = unpredictable
        self.on_card_removable = on_card_removable
        self._tap: Tap | None = None

    def start(self, txn: Transaction) -> ContactlessResult:
        """Run one tap: pre-processing, PPSE, the kernel, its outcome."""
        ctx = Context(self.params, txn, self.transmit, self.ui, self._unpredictable())
        tap = Tap(ctx, self.capks, self.on_card_removable)
        self._tap = tap
        termination: Termination | None = None
        try:
            outcome, reason = self._run(tap)
        except TerminationError as exc:  # incl. CardholderCancelledError from a PIN prompt
            outcome, reason, termination = Outcome.TERMINATED, exc.reason, exc.kind
        except PosError as exc:  # the card left the field, the reader failed, a malformed R-APDU
            outcome, reason, termination = Outcome.TERMINATED, f"card error: {exc}", Termination.CARD_ERROR
        return self._finish(tap, outcome, reason, termination)

    def complete(self, reply: HostReply | None) -> ContactlessResult:
        """Finish after Go Online with the host's reply, or ``None`` when there was none.

        Raises:
            TerminationError: no tap is waiting to go online.
        """
        tap = self._tap
        if tap is None or tap.outcome is not Outcome.GO_ONLINE:
            raise TerminationError("complete() without a tap waiting to go online")
        ctx = tap.ctx
        tap.ui_message = ""
        if reply is None:
            ctx.terminal[0x8A] = b"Z3"
            return self._finish(tap, Outcome.DECLINED_OFFLINE, "unable to go online")
        ctx.terminal[0x8A] = reply.response_code
        if reply.issuer_auth_data:
            ctx.terminal[0x91] = reply.issuer_auth_data
        if reply.approved:
            return self._finish(tap, Outcome.APPROVED_ONLINE, "approved online")
        return self._finish(tap, Outcome.DECLINED_ONLINE, "declined by the issuer")

    def _run(self, tap: Tap) -> Decision:
        ctx, txn, cl = tap.ctx, tap.ctx.txn, self.params.contactless
        if cl is None:
            raise TerminationError("the terminal has no contactless reader configured")
        if txn.amount_minor < 0 or txn.other_amount_minor < 0:
            raise TerminationError("negative amount")
        online = self.params.terminal_type & 0x0F in (1, 2, 4, 5)
        unit = 10**self.params.currency_exponent
        indicators = limits.preprocess(cl, txn.amount_minor, unit, online)
        if not limits.is_contactless_allowed(indicators):
            return Outcome.TRY_ANOTHER_INTERFACE, "the amount is not allowed contactless (reader limits)"
        init_terminal_data(ctx)
        directory = ppse.read_directory(ctx, indicators)
        candidates = [c for c in directory.candidates if c.kernel_id in KERNELS]
        if not candidates and directory.not_allowed:
            return Outcome.TRY_ANOTHER_INTERFACE, "the card's application is not allowed for this amount"
        for chosen in candidates:
            _reset(ctx, self.params)
            try:
                fci = select.final_select(
                    ctx, select.Candidate(chosen.aid, chosen.label, chosen.priority, False)
                )
            except select.SelectionError as exc:
                log.info("contactless application not selected, trying the next: %s", exc.reason)
                continue
            self._activate(tap, chosen, fci)
            try:
                return KERNELS[chosen.kernel_id][1](tap, fci)
            except (qpboc.SelectNextError, gpo.GpoRefusedError) as exc:
                log.info("select next: %s", exc)
        raise TerminationError("no contactless application the reader supports")

    def _activate(self, tap: Tap, chosen: ppse.Candidate, fci: tlv.Tlv) -> None:
        """Kernel activation (Book B 3.4): the selected application's data and the combination's TTQ."""
        ctx = tap.ctx
        adopt_application(ctx, chosen.aid, fci)
        ctx.terminal[0x9F66] = chosen.pre.ttq
        tap.pre, tap.kernel_id = chosen.pre, chosen.kernel_id
        tap.kernel = KERNELS[chosen.kernel_id][0]
        tap.cvm, tap.cryptogram_tvr, tap.restart, tap.ui_message = Cvm.NONE, None, False, ""

    def _finish(
        self, tap: Tap, outcome: Outcome, reason: str, termination: Termination | None = None
    ) -> ContactlessResult:
        if tap.removable_after is None:
            tap.removable_after = len(tap.ctx.trace)  # the tap ended early: the card is free as well
        if not tap.ui_message:
            tap.ui_message = UI_MESSAGES[outcome]
            if tap.ctx.signature_required and outcome in (Outcome.APPROVED_OFFLINE, Outcome.APPROVED_ONLINE):
                tap.ui_message = "Approved, please sign"
        log.info("contactless outcome: %s (%s)", outcome.value, reason)
        return tap.result(outcome, reason, termination)
