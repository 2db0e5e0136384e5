"""GENERATE AC, first and second (EMV 4.4 Book 3, 6.5.5 and 9; Book 2, 8.1 and 6.6).

P1 gives the requested cryptogram (``00`` AAC, ``40`` TC, ``80`` ARQC) and ``10`` asks for CDA; the data is
the CDOL1 related data (first) or the CDOL2 related data (second, with the ARC ``8A`` and perhaps the
issuer authentication data ``91``). :mod:`emv.cards.risk` picks the type; the card then builds its issuer
application data ``9F10`` with the CVR, computes the AC over the data its cryptogram version covers
(:func:`emv.crypto.ac.generate_cryptogram`, key from the ATC), and answers in format 1 (``80``: CID | ATC |
AC | IAD) or format 2 (``77``). With CDA requested, supported by the AIP (byte 1, ``01``) and a TC or ARQC
to sign, the answer is ``77`` with ``9F27 9F36 9F4B 9F10`` and no ``9F26``: the AC is inside the signature. An
AAC is never signed (Book 2, 6.6.1). A final TC or AAC is written to the transaction log if the card has one.
"""

from __future__ import annotations

import logging

from emv.apdu import Command
from emv.cards.cvn import AcType
from emv.cards.dynamic import sign_cda, transaction_data_hash
from emv.cards.issuer import authenticate_issuer, session_key
from emv.cards.risk import cvr_facts, decide_first, decide_second, is_unable_online
from emv.cards.state import Phase, Session
from emv.cards.sw import SW_CONDITIONS, SW_OK, SW_WRONG_LENGTH, SW_WRONG_P1P2, Reply
from emv.crypto.ac import generate_cryptogram
from emv.dol import build_dol, dol_length, parse_dol
from emv.tlv import encode

__all__ = ["generate_ac"]

log = logging.getLogger(__name__)


def _log(s: Session, cid: int) -> None:
    """Add the transaction to the card's log, newest first (the format is the Log Format 9F4F)."""
    p = s.image.profile
    if p.log_sfi is None or not p.log_format:
        return
    values = dict(s.tx.terminal)
    values.update({0x9F36: s.state.atc.to_bytes(2, "big"), 0x9F27: bytes((cid,))})
    s.state.log.insert(0, build_dol(parse_dol(p.log_format), values))
    del s.state.log[p.log_records :]


def _respond(s: Session, ac_type: AcType, iad: bytes, cda: bool, cdol2_data: bytes | None) -> bytes:
    p, st = s.image.profile, s.state
    atc = st.atc.to_bytes(2, "big")
    elements = dict(s.tx.terminal)
    elements.update({0x82: p.aip, 0x9F36: atc, 0x9F10: iad})
    key = session_key(s, p.imk_ac)
    ac = generate_cryptogram(p.cryptogram.version, key, elements)
    cid = int(ac_type)
    if s.tx.first_ac_type is None:
        s.tx.first_ac_type, s.tx.first_ac = ac_type, ac
    if cda:
        unsigned = encode([(0x9F27, bytes((cid,))), (0x9F36, atc), (0x9F10, iad)])
        sdad = sign_cda(s, cid, ac, transaction_data_hash(s, cdol2_data, unsigned))
        return encode([(0x77, [(0x9F27, bytes((cid,))), (0x9F36, atc), (0x9F4B, sdad), (0x9F10, iad)])])
    if p.genac_format == 1:
        return encode([(0x80, bytes((cid,)) + atc + ac + iad)])
    return encode([(0x77, [(0x9F27, bytes((cid,))), (0x9F36, atc), (0x9F26, ac), (0x9F10, iad)])])


def _first(s: Session, requested: AcType, wants_cda: bool, data: bytes) -> Reply:
    p, tx = s.image.profile, s.tx
    tx.cdol1_data = data
    tx.take(p.cdol1_list, data)
    ac_type = decide_first(s, requested)
    log.debug("%s: first GENERATE AC, %s asked, %s given", p.name, requested.name, ac_type.name)
    cda = wants_cda and ac_type is not AcType.AAC
    iad = p.cryptogram.build_iad(p.dki, cvr_facts(s, ac_type, cda=cda))
    response = _respond(s, ac_type, iad, cda, None)
    tx.cda_first = cda
    if ac_type is AcType.ARQC:
        tx.phase = Phase.ONLINE
        s.state.last_online_not_completed = True
    else:
        tx.phase = Phase.COMPLETED
        _log(s, int(ac_type))
    return response, SW_OK


def _second(s: Session, requested: AcType, wants_cda: bool, data: bytes) -> Reply:
    p, tx, st = s.image.profile, s.tx, s.state
    cdol2 = p.cdol2_list
    tx.take(cdol2, data)
    arc = tx.terminal.get(0x8A, b"")
    iad_91 = tx.terminal.get(0x91, b"")
    if not tx.issuer_auth_performed and iad_91.strip(b"\x00") and not is_unable_online(arc):
        authenticate_issuer(s, iad_91)
    ac_type = decide_second(s, requested, arc)
    log.debug("%s: second GENERATE AC, %s asked, %s given", p.name, requested.name, ac_type.name)
    first = tx.first_ac_type if tx.first_ac_type is not None else AcType.ARQC
    cda = wants_cda and ac_type is not AcType.AAC
    iad = p.cryptogram.build_iad(p.dki, cvr_facts(s, first, ac_type, arc, cda=cda))
    response = _respond(s, ac_type, iad, cda, data)
    st.last_online_not_completed = False
    if not is_unable_online(arc) and not tx.issuer_auth_performed and ac_type is AcType.TC:
        st.issuer_auth_not_performed_last = True
    tx.phase = Phase.COMPLETED
    _log(s, int(ac_type))
    return response, SW_OK


def generate_ac(s: Session, cmd: Command) -> Reply:
    """GENERATE AC (Book 3, 6.5.5): the first after GPO, the second after an ARQC."""
    fault = s.image.profile.genac_sw
    if fault is not None:
        return b"", fault
    kind = cmd.p1 & 0xC0
    if cmd.p1 & 0x2F or kind == 0xC0 or cmd.p2:
        return b"", SW_WRONG_P1P2
    requested = AcType(kind)
    p, phase = s.image.profile, s.tx.phase
    wants_cda = bool(cmd.p1 & 0x10 and p.aip[0] & 0x01 and s.image.icc_key is not None)
    if phase is Phase.INITIATED:
        if len(cmd.data) != dol_length(p.cdol1_list):
            return b"", SW_WRONG_LENGTH
        return _first(s, requested, wants_cda, cmd.data)
    if phase is Phase.ONLINE:
        if requested is AcType.ARQC:
            return b"", SW_WRONG_P1P2
        if len(cmd.data) != dol_length(p.cdol2_list):
            return b"", SW_WRONG_LENGTH
        return _second(s, requested, wants_cda, cmd.data)
    return b"", SW_CONDITIONS
