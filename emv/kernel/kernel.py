"""The contact kernel: every EMV 4.4 Book 3 step in order, as one plain synchronous object.

``start(txn)`` runs application selection, initiate application processing, read application data,
offline data authentication, processing restrictions, cardholder verification, terminal risk management,
terminal action analysis and the first GENERATE AC, and returns a :class:`KernelResult`: approved or
declined offline, go online (with the field 55 data), fallback to magstripe, or terminated with a reason.
After GO_ONLINE the terminal sends the authorisation and calls ``complete(reply)`` (``None`` when the host
could not be reached): issuer authentication, scripts, second GENERATE AC, completion.

Every card answer is untrusted: a status word, malformed or missing data, a removed card, each ends in
the outcome Book 3 prescribes with a reason, never an exception out of the kernel.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable

from config.errors import PosError
from emv.kernel import action, cvm, gpo, oda, online, restrict, risk, select
from emv.kernel.capk import CapkStore
from emv.kernel.context import (
    TSI_ODA_PERFORMED,
    TVR_CDA_FAILED,
    TVR_DDA_FAILED,
    TVR_ICC_DATA_MISSING,
    TVR_ODA_NOT_PERFORMED,
    TVR_SCRIPT_FAILED_AFTER,
    TVR_SDA_FAILED,
    TVR_SDA_SELECTED,
    CardholderInterface,
    Context,
    KernelResult,
    Outcome,
    Termination,
    TerminationError,
    Transaction,
    Transmit,
    init_terminal_data,
)
from emv.kernel.params import TerminalParams

log = logging.getLogger(__name__)

__all__ = ["FIELD55_TAGS", "RECEIPT_TAGS", "ContactKernel"]

# Field 55 of the authorisation request (DOMAIN_FACTS A, CTM getF55Tags1)
FIELD55_TAGS = (
    0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C, 0x9F02, 0x5F2A, 0x82, 0x9F1A,
    0x9F03, 0x9F33, 0x9F34, 0x9F35, 0x9F1E, 0x84, 0x9F09, 0x9F41, 0x9F63,
)  # fmt: skip
RECEIPT_TAGS = (0x4F, 0x84, 0x50, 0x9F12, 0x9F26, 0x9F27, 0x95, 0x9B, 0x9F34, 0x5F34, 0x9F36, 0x8A)
CARD_TAGS = (0x5A, 0x57, 0x5F24, 0x5F34, 0x5F20)  # for the terminal's message; never printed in clear


class ContactKernel:
    """One contact transaction at a time over ``transmit``; see the module docstring."""

    def __init__(
        self,
        params: TerminalParams,
        capks: CapkStore,
        transmit: Transmit,
        ui: CardholderInterface,
        *,
        unpredictable: Callable[[], bytes] = lambda: os.urandom(4),
        recent_amount: Callable[[bytes], int] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.params = params
        self.capks = capks
        self.transmit = transmit
        self.ui = ui
        self._unpredictable = unpredictable
        self._recent_amount = recent_amount
        self._rng = rng
        self.ctx: Context | None = None
        self._online = False  # start() ended GO_ONLINE and complete() has not run yet
        self._icc: oda.PublicKey | None = None

    # -- the two entry points --------------------------------------------------------------------------

    def start(self, txn: Transaction) -> KernelResult:
        """Run the transaction up to the first GENERATE AC."""
        ctx = Context(self.params, txn, self.transmit, self.ui, self._unpredictable())
        if self._recent_amount is not None:
            ctx.recent_amount = self._recent_amount
        if self._rng is not None:
            ctx.rng = self._rng
        self.ctx, self._icc, self._online = ctx, None, False
        ctx.pin_key = lambda: self._pin_key(ctx)
        try:
            self._select_and_read(ctx)
            self._authenticate(ctx)
            restrict.restrict(ctx)
            cvm.verify_cardholder(ctx)
            risk.manage_risk(ctx)
            crypt = action.generate_ac(ctx, action.decide(ctx), second=False, icc=self._icc)
        except select.SelectionError as exc:
            outcome = Outcome.FALLBACK_MAGSTRIPE if exc.fallback else Outcome.TERMINATED
            return self._result(ctx, outcome, exc.reason, termination=exc.kind)
        except TerminationError as exc:
            return self._result(ctx, Outcome.TERMINATED, exc.reason, termination=exc.kind)
        except PosError as exc:  # card removed, reader gone, a malformed R-APDU
            return self._result(
                ctx, Outcome.TERMINATED, f"card error: {exc}", termination=Termination.CARD_ERROR
            )
        except (ValueError, IndexError, OverflowError) as exc:  # data no rule above foresaw: still an outcome
            log.warning("transaction terminated on unexpected card data: %s", type(exc).__name__)
            return self._result(
                ctx, Outcome.TERMINATED, "unexpected card data", termination=Termination.CARD_DATA
            )
        if crypt.cda_failed:
            return self._close_declined(ctx, "CDA failed")
        if crypt.kind == action.TC:
            return self._result(ctx, Outcome.APPROVED_OFFLINE, "card approved offline (TC)")
        if crypt.kind == action.AAC:
            return self._result(ctx, Outcome.DECLINED_OFFLINE, "card declined offline (AAC)")
        self._online = True
        return self._result(ctx, Outcome.GO_ONLINE, "card requests online authorisation (ARQC)")

    def complete(self, reply: online.HostReply | None) -> KernelResult:
        """Finish after GO_ONLINE with the host's reply, or ``None`` when it could not be obtained.

        Raises:
            TerminationError: :meth:`start` did not end GO_ONLINE, or this transaction was completed already
                (no second GENERATE AC to a card that was not asked the first for an ARQC).
        """
        ctx, waiting, self._online = self.ctx, self._online, False
        if ctx is None or not waiting:
            raise TerminationError("complete() without a transaction waiting to go online")
        scripts = b""
        try:
            if reply is None:
                kind = action.decide_default(ctx)
                ctx.terminal[0x8A] = b"Y3" if kind == action.TC else b"Z3"
            else:
                ctx.terminal[0x8A] = reply.response_code
                online.authenticate_issuer(ctx, reply)
                scripts += online.run_scripts(ctx, reply, 0x71)
                kind = action.TC if reply.approved else action.AAC
            crypt = action.generate_ac(ctx, kind, second=True, icc=self._icc)
        except TerminationError as exc:
            return self._result(
                ctx, Outcome.TERMINATED, exc.reason, scripts, reversal=bool(reply and reply.approved),
                termination=exc.kind,
            )  # fmt: skip
        except (PosError, ValueError, IndexError) as exc:  # card gone, bad data: still an outcome
            gone = isinstance(exc, PosError)
            reason = f"card error: {exc}" if gone else "unexpected card data"
            return self._result(
                ctx, Outcome.TERMINATED, reason, scripts, reversal=bool(reply and reply.approved),
                termination=Termination.CARD_ERROR if gone else Termination.CARD_DATA,
            )  # fmt: skip
        if reply is not None:
            try:  # after the final GENERATE AC a failed script is only reported (Book 3 10.10)
                scripts += online.run_scripts(ctx, reply, 0x72)
            except (PosError, ValueError) as exc:
                log.info("script after the final GENERATE AC not completed: %s", type(exc).__name__)
                ctx.set_tvr(TVR_SCRIPT_FAILED_AFTER)
        approved = crypt.kind == action.TC and not crypt.cda_failed
        if reply is None:
            outcome = Outcome.APPROVED_OFFLINE if approved else Outcome.DECLINED_OFFLINE
            return self._result(ctx, outcome, "unable to go online: default action codes", scripts)
        if approved:
            return self._result(ctx, Outcome.APPROVED_ONLINE, "approved online", scripts)
        reason = "declined by the issuer" if not reply.approved else "card declined after host approval"
        return self._result(ctx, Outcome.DECLINED_ONLINE, reason, scripts, reversal=reply.approved)

    # -- steps -----------------------------------------------------------------------------------------

    def _select_and_read(self, ctx: Context) -> None:
        for amount in (ctx.txn.amount_minor, ctx.txn.other_amount_minor):
            if not 0 <= amount < min(2**32, 10**12):  # 81/9F04 are 4 bytes binary, 9F02/9F03 12 digits
                raise TerminationError("amount out of range", Termination.AMOUNT)
        init_terminal_data(ctx, 0x05)
        candidates = select.build_candidates(ctx)
        while candidates:
            chosen = select.choose(ctx, candidates)
            if chosen is None:
                raise TerminationError("application selection cancelled", Termination.CANCELLED)
            try:
                fci = select.final_select(ctx, chosen)
                select.adopt_application(ctx, chosen.aid, fci)
                gpo.initiate(ctx, fci)
            except (select.SelectionError, gpo.GpoRefusedError) as exc:
                log.info("application not usable, selecting the next: %s", exc)
                candidates = [c for c in candidates if c is not chosen]
                continue
            gpo.read_records(ctx)
            return
        raise select.SelectionError("no application left to select", fallback=True)

    def _authenticate(self, ctx: Context) -> None:
        """Choose and run ODA: CDA, then DDA, then SDA, as both card and terminal support (Book 3 10.3)."""
        aip = ctx.aip()[0]
        caps = self.params.terminal_capabilities[2]
        if aip & 0x01 and caps & 0x08:
            ctx.oda_method = "CDA"
            fail_bit = TVR_CDA_FAILED
        elif aip & 0x20 and caps & 0x40:
            ctx.oda_method = "DDA"
            fail_bit = TVR_DDA_FAILED
        elif aip & 0x40 and caps & 0x80:
            ctx.oda_method = "SDA"
            fail_bit = TVR_SDA_FAILED
            ctx.set_tvr(TVR_SDA_SELECTED)
        else:
            ctx.set_tvr(TVR_ODA_NOT_PERFORMED)
            return
        ctx.set_tsi(TSI_ODA_PERFORMED)
        try:
            issuer = oda.recover_issuer_key(ctx, self.capks, self.params.revoked)
            if ctx.oda_method == "SDA":
                oda.sda(ctx, issuer)
                return
            icc = oda.recover_icc_key(ctx, issuer)
            ctx.icc_public_key = (icc.modulus, icc.exponent)
            if ctx.oda_method == "DDA":
                oda.dda(ctx, icc)
            self._icc = icc
        except oda.OdaError as exc:
            log.info("offline data authentication failed: %s", exc.reason)
            if exc.missing:
                ctx.set_tvr(TVR_ICC_DATA_MISSING)
            ctx.set_tvr(fail_bit)
            ctx.oda_method = "" if ctx.oda_method != "CDA" else "CDA-failed"

    def _pin_key(self, ctx: Context) -> tuple[bytes, bytes] | None:
        """The offline PIN encipherment key (Book 2 7.1); None when it cannot be recovered."""
        if 0x9F2D not in ctx.card and ctx.icc_public_key is not None:
            return ctx.icc_public_key
        try:
            key = oda.recover_pin_key(ctx, oda.recover_issuer_key(ctx, self.capks, self.params.revoked))
        except oda.OdaError as exc:
            log.info("no key to encipher the PIN: %s", exc.reason)
            return None
        return key.modulus, key.exponent

    def _close_declined(self, ctx: Context, reason: str) -> KernelResult:
        """After a CDA failure on TC or ARQC: close the card session with an AAC (Book 2 6.6.2)."""
        if ctx.card.get(0x9F27, b"\x00")[0] & 0xC0 == action.ARQC:
            ctx.terminal[0x8A] = b"Z3"
            try:
                ctx.oda_method = "CDA-failed"
                action.generate_ac(ctx, action.AAC, second=True, icc=None)
            except (TerminationError, PosError) as exc:
                log.info("second GENERATE AC after CDA failure: %s", exc)
        return self._result(ctx, Outcome.DECLINED_OFFLINE, reason)

    def _result(
        self,
        ctx: Context,
        outcome: Outcome,
        reason: str,
        scripts: bytes = b"",
        reversal: bool = False,
        termination: Termination | None = None,
    ) -> KernelResult:
        data = ctx.snapshot()
        if scripts:
            data[0xDF31] = scripts
        f55 = {t: data[t] for t in FIELD55_TAGS if t in data}
        if outcome in (Outcome.APPROVED_ONLINE, Outcome.DECLINED_ONLINE) and scripts:
            f55[0xDF31] = scripts
        return KernelResult(
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
            card_removable=outcome is not Outcome.GO_ONLINE,
            script_results=scripts,
            reversal_needed=reversal,
            trace=list(ctx.trace),
        )
