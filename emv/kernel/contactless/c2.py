"""The C-2 path (Mastercard-like kernel 2, EMV mode): GPO, READ RECORD, GENERATE AC with CDA, in one tap
(EMV Contactless Book C-2; the steps it shares with contact reuse EMV 4.4 Book 3 modules of
:mod:`emv.kernel`).

:func:`run` takes the tap after the Entry Point's final SELECT:

1. GET PROCESSING OPTIONS with the PDOL data (:func:`emv.kernel.gpo.initiate`, formats 1 and 2; ``6985``
   is Select Next). The AIP must offer EMV mode (byte 2 b8): mag-stripe mode is not implemented.
2. READ RECORD by the AFL (:func:`emv.kernel.gpo.read_records`; 5A, 5F24, 8C, 8D are mandatory).
3. CDA when the AIP (byte 1 b1) and the terminal (9F33 byte 3 b4) support it: the issuer and ICC public
   keys are recovered before GENERATE AC (failure: TVR CDA failed). Without CDA: TVR ODA not performed
   (kernel 2 offers no SDA or DDA).
4. Processing restrictions (:func:`emv.kernel.restrict.restrict`).
5. CVM: on-device CVM (CDCVM) when a CVM is required and both the AIP (byte 1 b2) and the reader (TTQ
   byte 3 b7, its CDCVM support) allow it; else the CVM list (:func:`emv.kernel.cvm.verify_cardholder`)
   with the terminal capabilities' byte 2 replaced by the reader's "CVM Capability - CVM Required" or
   "- No CVM Required" (Book C-2 data objects DF8118 / DF8119, here ``cvm_capability_required`` and
   ``cvm_capability_no_cvm`` of ``[emv.contactless]``). Neither holds offline PIN, so the card never sees
   VERIFY; an online PIN is chosen here and entered after the card is removed.
6. Terminal risk management: amount above the reader contactless floor limit sets TVR floor limit
   exceeded; TSI terminal risk management performed.
7. Terminal action analysis with the AID's TACs and the card's IACs (:func:`emv.kernel.action.decide`),
   then GENERATE AC, CDA requested for a TC or an ARQC (:func:`emv.kernel.action.generate_ac`,
   :func:`emv.kernel.oda.verify_cda`). Every card command is done.
8. CDA failed: Declined (a tap has no second GENERATE AC to close the card's session with). TC: Approved;
   AAC: Declined; ARQC: Go Online.

Not implemented: relay resistance (ERRD, ``80EA``), torn transaction recovery, data exchange, balance
reading, mag-stripe mode.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from emv import tlv
from emv.kernel import action, cvm, gpo, restrict
from emv.kernel.contactless.tap import Cvm, Tap
from emv.kernel.context import (
    TSI_CV_PERFORMED,
    TSI_ODA_PERFORMED,
    TSI_TRM_PERFORMED,
    TVR_CDA_FAILED,
    TVR_FLOOR_LIMIT_EXCEEDED,
    TVR_ICC_DATA_MISSING,
    TVR_MERCHANT_FORCED_ONLINE,
    TVR_ODA_NOT_PERFORMED,
    CardholderInterface,
    Outcome,
    TerminationError,
)
from emv.kernel.oda import OdaError, PublicKey, recover_icc_key, recover_issuer_key

__all__ = ["cvm_of", "run"]

log = logging.getLogger(__name__)

Decision = tuple[Outcome, str]


class _DeferredPin:
    """The cardholder interface during CVM processing: an online PIN is chosen now, entered later."""

    def __init__(self, inner: CardholderInterface) -> None:
        self._inner = inner

    def choose_application(self, labels: Sequence[str]) -> int | None:
        return self._inner.choose_application(labels)

    def enter_offline_pin(self, tries_left: int | None) -> bytearray | None:
        return None  # never reached: no contactless CVM capability holds offline PIN

    def enter_online_pin(self) -> bool:
        return True


def cvm_of(cvm_results: bytes) -> Cvm:
    """The tap's CVM from the CVM Results ``9F34`` of the CVM list.

    >>> cvm_of(bytes.fromhex("420300")), cvm_of(bytes.fromhex("1F0302")), cvm_of(bytes.fromhex("3F0001"))
    (<Cvm.ONLINE_PIN: 'online PIN'>, <Cvm.NO_CVM: 'no CVM'>, <Cvm.NONE: 'none'>)
    """
    if cvm_results[2] == 0x01:
        return Cvm.NONE
    return {0x02: Cvm.ONLINE_PIN, 0x1E: Cvm.SIGNATURE, 0x1F: Cvm.NO_CVM}.get(cvm_results[0] & 0x3F, Cvm.NONE)


def _authenticate(tap: Tap) -> PublicKey | None:
    ctx = tap.ctx
    if not (ctx.aip()[0] & 0x01 and ctx.params.terminal_capabilities[2] & 0x08):
        ctx.set_tvr(TVR_ODA_NOT_PERFORMED)
        return None
    ctx.oda_method = "CDA"
    ctx.set_tsi(TSI_ODA_PERFORMED)
    try:
        icc = recover_icc_key(ctx, recover_issuer_key(ctx, tap.capks, ctx.params.revoked))
    except OdaError as exc:
        log.info("CDA keys not recovered: %s", exc.reason)
        if exc.missing:
            ctx.set_tvr(TVR_ICC_DATA_MISSING)
        ctx.set_tvr(TVR_CDA_FAILED)
        ctx.oda_method = "CDA-failed"
        return None
    ctx.icc_public_key = (icc.modulus, icc.exponent)
    return icc


def _verify_cardholder(tap: Tap) -> None:
    ctx, pre, cl = tap.ctx, tap.pre, tap.ctx.params.contactless
    if pre is None or cl is None:
        raise TerminationError("no combination chosen")
    if pre.cvm_required and ctx.aip()[0] & 0x02 and pre.ttq[2] & 0x40:
        tap.set_cvm(Cvm.CDCVM)
        ctx.set_tsi(TSI_CV_PERFORMED)
        return
    caps = bytearray(ctx.params.terminal_capabilities)
    caps[1] = cl.cvm_capability_required if pre.cvm_required else cl.cvm_capability_no_cvm
    ctx.params = dataclasses.replace(ctx.params, terminal_capabilities=bytes(caps))
    ctx.terminal[0x9F33] = bytes(caps)
    ui = ctx.ui
    ctx.ui = _DeferredPin(ui)
    try:
        cvm.verify_cardholder(ctx)
    finally:
        ctx.ui = ui
    tap.cvm = cvm_of(ctx.cvm_results)


def run(tap: Tap, fci: tlv.Tlv) -> Decision:
    """The C-2 path from GPO to its outcome; see the module docstring.

    Raises:
        GpoRefusedError: GPO answered 6985 (Select Next).
        TerminationError: the tap ends (a status word, malformed or missing card data).
        EmvError: the card left the field before the last command.
    """
    ctx = tap.ctx
    gpo.initiate(ctx, fci)
    if not ctx.aip()[1] & 0x80:
        raise TerminationError("the card offers mag-stripe mode only (AIP byte 2 b8 clear)")
    gpo.read_records(ctx)
    icc = _authenticate(tap)
    restrict.restrict(ctx)
    _verify_cardholder(tap)
    if tap.pre is not None and tap.pre.floor_exceeded:
        ctx.set_tvr(TVR_FLOOR_LIMIT_EXCEEDED)
    if ctx.txn.force_online:
        ctx.set_tvr(TVR_MERCHANT_FORCED_ONLINE)
    ctx.set_tsi(TSI_TRM_PERFORMED)
    crypt = action.generate_ac(ctx, action.decide(ctx), second=False, icc=icc)
    tap.card_done()
    if crypt.cda_failed:
        return Outcome.DECLINED_OFFLINE, "CDA failed"
    if crypt.kind == action.AAC:
        return Outcome.DECLINED_OFFLINE, "card declined (AAC)"
    if ctx.online_pin and not ctx.ui.enter_online_pin():
        raise TerminationError("online PIN not entered")
    if ctx.signature_required:
        tap.cvm = Cvm.SIGNATURE
    if crypt.kind == action.TC:
        return Outcome.APPROVED_OFFLINE, "card approved offline (TC" + (", CDA verified)" if icc else ")")
    return Outcome.GO_ONLINE, "card requests online authorisation (ARQC)"
