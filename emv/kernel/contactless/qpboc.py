"""The qPBOC / qVSDC kernel: the cryptogram in the GPO response, fDDA, and CVM by the CTQ
(JR/T 0025.12, PBOC 3.0 part 12 "qPBOC"; EMV Contactless Book C-3, kernel 3 "qVSDC"; UnionPay's EMVCo
kernel 7 follows the same flow [U: Book C-7 not checked]. Clause numbers of these books are not quoted
here: they were not available to check; the behaviour follows their public descriptions).

:func:`run` takes the tap after the Entry Point's final SELECT:

1. GET PROCESSING OPTIONS with the PDOL data, which must ask for the TTQ ``9F66`` (else the application is
   no qPBOC/qVSDC one and the tap ends). The TVR the card gets is the kernel's at this point (zero) and
   field 55 reports that value, because the card's cryptogram covers it (a real qPBOC online request,
   DOMAIN_FACTS.md test vector 1, carries ``95`` = 0000000000); the result's ``tvr`` holds the reader's
   verdict. Status words: ``9000`` template 77; ``6984`` Try Another Interface; ``6985`` Select Next (the
   Entry Point tries the next combination); ``6986`` "see phone": Try Again (``restart``); any other ends
   the tap.
2. READ RECORD by the AFL (:mod:`.records`); every card command is done: :meth:`Tap.card_done`.
3. Mandatory ``82 9F36 9F26 9F10 57`` (else ICC data missing, terminated). The cryptogram type is the CID
   ``9F27``, else the CVR of a Visa/PBOC format IAD (``9F10`` byte 5, b6-b5) [U].
4. A cash or cashback transaction whose CTQ says "switch interface" for it (byte 1 b3, b2) at a reader
   with a contact interface: Try Another Interface. An AAC: Declined. A TC when the reader required an
   online cryptogram: terminated (the card broke the protocol). An ARQC at an offline-only reader:
   Declined.
5. A TC needs fDDA (:mod:`.fdda`; TSI ODA performed, TVR DDA failed on failure; a card without fDDA in its
   AIP gives ODA not performed) and an unexpired application (TVR expired). On a failure the CTQ decides:
   go online (byte 1 b6 for fDDA, b4 for expiry) if the reader is online capable; else switch interface
   (b5, fDDA) if it has a contact interface; else Declined. An ARQC is sent without fDDA (TVR ODA not
   performed) unless the reader supports ODA for online authorisations (TTQ byte 1 b1) and the card signed.
6. CVM (:func:`select_cvm`): online PIN, CDCVM or signature as the CTQ asks and the TTQ allows; none below
   the CVM required limit; the reader's own choice (signature, else online PIN) when a CVM is required and
   the card states no preference. A required CVM that cannot be performed: TVR CV not successful, then Try
   Another Interface (contact reader) or Declined. The online PIN is captured after the card is removed.
7. Go Online for an ARQC, a failure the card wants sent online, or an online PIN (with a TC, too [U]: a
   conforming card gives an ARQC when it asks for online PIN); else Approved offline.
"""

from __future__ import annotations

import logging

from emv import apdu, tlv
from emv.dol import build_dol, parse_dol
from emv.errors import EmvError
from emv.kernel import gpo
from emv.kernel.contactless.fdda import verify_fdda
from emv.kernel.contactless.tap import Cvm, Tap
from emv.kernel.context import (
    TSI_CV_PERFORMED,
    TSI_ODA_PERFORMED,
    TVR_CV_NOT_SUCCESSFUL,
    TVR_DDA_FAILED,
    TVR_EXPIRED,
    TVR_ICC_DATA_MISSING,
    TVR_ODA_NOT_PERFORMED,
    TVR_ONLINE_PIN_ENTERED,
    TVR_PIN_NOT_ENTERED,
    Outcome,
    TerminationError,
    exchange,
)
from emv.kernel.oda import OdaError
from emv.kernel.restrict import card_date

__all__ = ["AAC", "ARQC", "TC", "SelectNextError", "cryptogram_type", "run", "select_cvm"]

log = logging.getLogger(__name__)

AAC, TC, ARQC = 0x00, 0x40, 0x80
SW_TRY_ANOTHER_INTERFACE = 0x6984
SW_SELECT_NEXT = 0x6985
SW_SEE_PHONE = 0x6986
MANDATORY = ((0x82, 2), (0x9F36, 2), (0x9F26, 8), (0x9F10, 0), (0x57, 0))  # tag, exact length (0: any)

Decision = tuple[Outcome, str]


class SelectNextError(EmvError):
    """GPO answered 6985: the Entry Point removes the combination and selects the next (Book B 3.3.3)."""


def cryptogram_type(card: dict[int, bytes]) -> int:
    """AAC, TC or ARQC from the CID ``9F27``, else from the CVR of a Visa/PBOC format IAD.

    >>> cryptogram_type({0x9F27: b"\\x80"}), cryptogram_type({0x9F10: bytes.fromhex("06011203900000")})
    (128, 64)

    Raises:
        TerminationError: a malformed CID, an AAR, or no CID and no readable CVR.
    """
    cid = card.get(0x9F27)
    if cid is not None:
        if len(cid) != 1 or cid[0] & 0xC0 == 0xC0:
            raise TerminationError("cryptogram information data is malformed or names an AAR")
        return cid[0] & 0xC0
    iad = card.get(0x9F10, b"")
    if len(iad) >= 5 and iad[3] == 0x03:  # length | DKI | CVN | CVR: 03 b2 b3 b4
        kind = {0x00: AAC, 0x10: TC, 0x20: ARQC}.get(iad[4] & 0x30)
        if kind is not None:
            return kind
    raise TerminationError("no CID and no readable CVR: the cryptogram type is unknown")


def select_cvm(ttq: bytes, ctq: bytes | None, cvm_required: bool, online_capable: bool = True) -> Cvm | None:
    """The tap's CVM, or None when a CVM is required and none can be performed.

    >>> ttq = bytes.fromhex("36C04000")
    >>> select_cvm(ttq, bytes.fromhex("8000"), True), select_cvm(ttq, bytes.fromhex("4000"), True)
    (<Cvm.ONLINE_PIN: 'online PIN'>, <Cvm.SIGNATURE: 'signature'>)
    >>> select_cvm(ttq, bytes.fromhex("0080"), True), select_cvm(ttq, None, False)
    (<Cvm.CDCVM: 'CDCVM'>, <Cvm.NO_CVM: 'no CVM'>)
    >>> select_cvm(bytes.fromhex("20C00000"), bytes.fromhex("8000"), True) is None  # no online PIN here
    True
    """
    online_pin = bool(ttq[0] & 0x04) and online_capable
    if ctq is not None:
        if ctq[0] & 0x80 and online_pin:
            return Cvm.ONLINE_PIN
        if ctq[1] & 0x80 and ttq[2] & 0x40:
            return Cvm.CDCVM
        if ctq[0] & 0x40 and ttq[0] & 0x02:
            return Cvm.SIGNATURE
    if not cvm_required:
        return Cvm.NO_CVM
    if ctq is not None and ctq[0] & 0xC0:
        return None  # the card asked for a CVM this reader cannot perform
    if ttq[0] & 0x02:
        return Cvm.SIGNATURE
    return Cvm.ONLINE_PIN if online_pin else None


def _get_processing_options(tap: Tap, fci: tlv.Tlv) -> Decision | None:
    ctx = tap.ctx
    raw = fci.find(0x9F38)
    try:
        dol = parse_dol(raw) if raw else []
    except tlv.TlvError as exc:
        raise TerminationError(f"malformed PDOL ({exc.reason})") from None
    if not any(tag == 0x9F66 for tag, _ in dol):
        raise TerminationError("the PDOL does not ask for the TTQ 9F66: no qPBOC/qVSDC application")
    tap.cryptogram_tvr = bytes(ctx.tvr)
    ctx.pdol_data = build_dol(dol, ctx.snapshot())
    r = exchange(ctx, apdu.gpo(ctx.pdol_data))
    if r.sw == SW_TRY_ANOTHER_INTERFACE:
        return Outcome.TRY_ANOTHER_INTERFACE, "the card asks for another interface (6984)"
    if r.sw == SW_SELECT_NEXT:
        raise SelectNextError("GET PROCESSING OPTIONS: conditions of use not satisfied")
    if r.sw == SW_SEE_PHONE:
        tap.restart, tap.ui_message = True, "See phone for instructions"
        return Outcome.TERMINATED, "the card asks for verification on the device (6986): tap again"
    if not r.ok:
        raise TerminationError(f"GET PROCESSING OPTIONS answered {r.sw:04X}")
    try:
        top = tlv.decode(r.data).top()
        if len(top) != 1 or top[0].tag != 0x77:
            raise TerminationError("GPO response is not one template 77")
        found = tlv.parse(top[0].value)
    except tlv.TlvError as exc:
        raise TerminationError(f"malformed GPO response ({exc.reason} at offset {exc.offset})") from None
    for tag in found:
        if tag in ctx.card:
            raise TerminationError(f"data object {tag:02X} appears twice in the card's data")
    ctx.card.update(found)
    return None


def _check_mandatory(tap: Tap) -> None:
    ctx = tap.ctx
    for tag, length in MANDATORY:
        value = ctx.card.get(tag)
        if value is None or (length and len(value) != length):
            ctx.set_tvr(TVR_ICC_DATA_MISSING)
            raise TerminationError(f"data object {tag:02X} missing or malformed")


def _fdda(tap: Tap) -> str | None:
    """Run fDDA; the reason of a failure, or None."""
    ctx = tap.ctx
    ctx.set_tsi(TSI_ODA_PERFORMED)
    try:
        verify_fdda(ctx, tap.capks)
    except OdaError as exc:
        log.info("fDDA failed: %s", exc.reason)
        if exc.missing:
            ctx.set_tvr(TVR_ICC_DATA_MISSING)
        ctx.set_tvr(TVR_DDA_FAILED)
        return f"fDDA failed ({exc.reason})"
    return None


def _offline_checks(tap: Tap, ttq: bytes, ctq: bytes, online: bool) -> Decision | None:
    """fDDA and the expiry date for a TC; a failure's outcome as the CTQ directs, or None."""
    ctx = tap.ctx
    if not ctx.aip()[0] & 0x20:
        ctx.set_tvr(TVR_ODA_NOT_PERFORMED)
        failed: str | None = "the card offers no fDDA for its TC"
    else:
        failed = _fdda(tap)
    if failed is not None:
        if ctq[0] & 0x20 and online:
            return Outcome.GO_ONLINE, f"{failed}: the card asks to go online"
        if ctq[0] & 0x10 and ttq[0] & 0x10:
            return Outcome.TRY_ANOTHER_INTERFACE, f"{failed}: the card asks for the contact interface"
        return Outcome.DECLINED_OFFLINE, failed
    expiry = card_date(ctx.card.get(0x5F24, b""))
    if expiry is None or ctx.txn.when.date() > expiry:
        if 0x5F24 not in ctx.card:
            ctx.set_tvr(TVR_ICC_DATA_MISSING)
        ctx.set_tvr(TVR_EXPIRED)
        if ctq[0] & 0x08 and online:
            return Outcome.GO_ONLINE, "application expired: the card asks to go online"
        return Outcome.DECLINED_OFFLINE, "application expired"
    return None


def _oda_for_online(tap: Tap, ttq: bytes) -> None:
    ctx = tap.ctx
    if ttq[0] & 0x01 and 0x9F4B in ctx.card and ctx.aip()[0] & 0x20:
        _fdda(tap)  # a failure only sets the TVR: the issuer decides
    else:
        ctx.set_tvr(TVR_ODA_NOT_PERFORMED)


def _perform_cvm(tap: Tap, cvm: Cvm) -> None:
    """Record the CVM; capture the online PIN now that the card is gone.

    Raises:
        TerminationError: the cardholder did not enter the online PIN.
    """
    ctx = tap.ctx
    tap.set_cvm(cvm)
    if cvm is Cvm.NO_CVM:
        return
    ctx.set_tsi(TSI_CV_PERFORMED)
    if cvm is Cvm.SIGNATURE:
        ctx.signature_required = True
    elif cvm is Cvm.ONLINE_PIN:
        if not ctx.ui.enter_online_pin():
            ctx.set_tvr(TVR_PIN_NOT_ENTERED)
            ctx.set_tvr(TVR_CV_NOT_SUCCESSFUL)
            ctx.cvm_results = b"\x02\x00\x01"
            raise TerminationError("online PIN not entered")
        ctx.set_tvr(TVR_ONLINE_PIN_ENTERED)
        ctx.online_pin = True


def _switch_for_cash(tap: Tap, ttq: bytes, ctq: bytes) -> bool:
    kind = tap.ctx.txn.transaction_type
    wanted = (kind == 0x01 and ctq[0] & 0x04) or (kind == 0x09 and ctq[0] & 0x02)
    return bool(wanted and ttq[0] & 0x10)


def _decide(tap: Tap, kind: int) -> Decision:
    ctx = tap.ctx
    if tap.pre is None:
        raise TerminationError("no combination chosen")
    ttq = tap.pre.ttq
    raw_ctq = ctx.card.get(0x9F6C)
    ctq = raw_ctq if raw_ctq is not None and len(raw_ctq) == 2 else None
    online = ctx.params.terminal_type & 0x0F in (1, 2, 4, 5) and not ttq[0] & 0x08
    if ctq is not None and _switch_for_cash(tap, ttq, ctq):
        return Outcome.TRY_ANOTHER_INTERFACE, "the card asks for the contact interface for cash"
    if kind == AAC:
        return Outcome.DECLINED_OFFLINE, "card declined (AAC)"
    if kind == TC and tap.pre.online_required:
        raise TerminationError("the card gave a TC although the reader required an online cryptogram")
    if kind == ARQC and not online:
        return Outcome.DECLINED_OFFLINE, "the card asks to go online; the reader is offline-only"
    reason = "card requests online authorisation (ARQC)"
    go_online = kind == ARQC
    if kind == TC:
        failure = _offline_checks(tap, ttq, ctq or bytes(2), online)
        if failure is not None and failure[0] is not Outcome.GO_ONLINE:
            return failure
        if failure is not None:
            go_online, reason = True, failure[1]
    else:
        _oda_for_online(tap, ttq)
    cvm = select_cvm(ttq, ctq, tap.pre.cvm_required, online)
    if cvm is None:
        ctx.set_tvr(TVR_CV_NOT_SUCCESSFUL)
        ctx.cvm_results = b"\x3f\x00\x01"
        if ttq[0] & 0x10:
            return Outcome.TRY_ANOTHER_INTERFACE, "CVM required, none possible: use the contact interface"
        return Outcome.DECLINED_OFFLINE, "CVM required, none possible"
    _perform_cvm(tap, cvm)
    if go_online:
        return Outcome.GO_ONLINE, reason
    if cvm is Cvm.ONLINE_PIN:
        return Outcome.GO_ONLINE, "online PIN: the PIN goes to the issuer with the TC"
    return Outcome.APPROVED_OFFLINE, "approved offline with fDDA (TC)"


def run(tap: Tap, fci: tlv.Tlv) -> Decision:
    """The qPBOC / qVSDC kernel from GPO to its outcome; see the module docstring.

    Raises:
        SelectNextError: GPO answered 6985.
        TerminationError: the tap ends (a status word, malformed or missing card data).
        EmvError: the card left the field before the last command.
    """
    early = _get_processing_options(tap, fci)
    if early is not None:
        return early
    if 0x94 in tap.ctx.card:  # Book C-3 Read Application Data: nothing mandatory, every object unique
        gpo.read_records(tap.ctx, mandatory=(), repeatable=frozenset())
    tap.card_done()
    _check_mandatory(tap)
    return _decide(tap, cryptogram_type(tap.ctx.card))
