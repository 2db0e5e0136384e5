"""The card side of a qPBOC / qVSDC tap: GET PROCESSING OPTIONS answered with the cryptogram and fDDA.

JR/T 0025.12 (PBOC 3.0 part 12, qPBOC) and EMV Contactless Book C-3 (qVSDC), as public descriptions give
the card's behaviour [U: neither the card specifications (VCPS, PBOC part 12 card clauses) were checked]:
the reader's PDOL data brings the Terminal Transaction Qualifiers ``9F66``, the amount, the unpredictable
number, the currency and the rest of the data the cryptogram covers, and the card answers everything in
one response, so a tap needs no GENERATE AC. :func:`get_processing_options`:

1. refuses a reader without qVSDC/qPBOC (TTQ byte 1 b6 clear) with ``6985``, so the reader selects the
   next application (Book B "Select Next");
2. on a CDCVM device (``cvm = "cdcvm"``) asked for a CVM (TTQ byte 2 b7) by a reader that supports CDCVM
   (TTQ byte 3 b7), answers ``6986`` until the cardholder has verified on the device
   (:meth:`emv.cards.contactless.ContactlessCard.verify_on_device`): the reader shows "see phone" and the
   cardholder taps again (Book A "Try Again");
3. sets the Card Transaction Qualifiers ``9F6C``: the profile's base, then, when the reader requires a
   CVM, online PIN required (b8) or signature required (b7) by the profile's preference and the TTQ, or
   "CDCVM performed" (byte 2 b8) once verified on the device;
4. picks the cryptogram: an AAC when the application is blocked or always declines; an ARQC when the
   reader requires an online cryptogram (TTQ byte 2 b8), the profile always goes online, online PIN is
   required, the currency is not the card's, the card is new (last online ATC 0) or more transactions went
   offline than the lower consecutive offline limit ``9F14``; else a TC, which needs fDDA (an ICC key and
   AIP byte 1 b6). An offline-only reader (TTQ byte 1 b4) gets an AAC instead of an ARQC;
5. counts the ATC, builds the IAD with its CVR (:mod:`emv.cards.cvn`) and the AC over the PDOL data
   (:func:`emv.crypto.ac.generate_cryptogram`), and for a TC, or an ARQC when the reader supports ODA for
   online authorisations (TTQ byte 1 b1), signs for fDDA: ``9F69`` = fDDA version ``01`` | card unpredictable
   number (4) | CTQ (2), and ``9F4B`` over UN | amount | currency | ``9F69`` with the ICC dynamic data
   ``02 | ATC`` [U: the ICC dynamic number of a qVSDC card is not confirmed to be the ATC];
6. answers ``77 { 82 94 9F36 9F26 9F27 9F10 57 5F34 9F6C [9F69 9F4B] }``; the records the AFL names
   hold the certificates and the data the reader reads for fDDA.

>>> ctq_for(bytes.fromhex("36C04000"), bytes.fromhex("2000"), "online_pin", device_verified=False).hex()
'a000'
>>> ctq_for(bytes.fromhex("36004000"), bytes.fromhex("2000"), "cdcvm", device_verified=True).hex()
'2080'
"""

from __future__ import annotations

import logging

from emv.apdu import Command
from emv.cards.certs import build_sdad
from emv.cards.cvn import AcType, CvrFacts
from emv.cards.issuer import session_key
from emv.cards.state import Phase, Session
from emv.cards.sw import SW_CONDITIONS, SW_OK, SW_WRONG_DATA, SW_WRONG_LENGTH, SW_WRONG_P1P2, Reply
from emv.crypto.ac import generate_cryptogram
from emv.dol import dol_length
from emv.tlv import encode

__all__ = ["SW_SEE_PHONE", "ctq_for", "get_processing_options", "needs_device_cvm"]

log = logging.getLogger(__name__)

SW_SEE_PHONE = 0x6986  # command not allowed: the device wants the cardholder's verification first
FDDA_VERSION = 0x01


def ctq_for(ttq: bytes, base: bytes, cvm: str, device_verified: bool) -> bytes:
    """The Card Transaction Qualifiers for this reader: the base, plus the CVM the card asks for."""
    ctq = bytearray(base)
    if cvm == "cdcvm" and device_verified:
        ctq[1] |= 0x80  # consumer device CVM performed
    elif ttq[1] & 0x40:  # the reader requires a CVM
        online_pin, signature = bool(ttq[0] & 0x04), bool(ttq[0] & 0x02)
        if online_pin and (cvm != "signature" or not signature):
            ctq[0] |= 0x80
        elif signature:
            ctq[0] |= 0x40
    return bytes(ctq)


def needs_device_cvm(ttq: bytes, cvm: str, device_verified: bool) -> bool:
    """A CDCVM device asked for a CVM by a reader that supports CDCVM, not yet verified: answer 6986.

    >>> needs_device_cvm(bytes.fromhex("36C04000"), "cdcvm", False), needs_device_cvm(
    ...     bytes.fromhex("36004000"), "cdcvm", False)
    (True, False)
    """
    return cvm == "cdcvm" and not device_verified and bool(ttq[1] & 0x40) and bool(ttq[2] & 0x40)


def _decide(s: Session, ttq: bytes, ctq: bytes, always_online: bool) -> AcType:
    st, p, terminal = s.state, s.image.profile, s.tx.terminal
    if st.app_blocked or p.always_decline:
        return AcType.AAC
    wants_online = (
        bool(ttq[1] & 0x80)
        or always_online
        or bool(ctq[0] & 0x80)
        or terminal.get(0x5F2A) != p.currency
        or (st.is_new_card and p.online_if_new_card)
        or st.offline_count > st.lower_offline_limit
    )
    can_sign = s.image.icc_key is not None and bool(p.aip[0] & 0x20)
    if not wants_online and can_sign:
        return AcType.TC
    return AcType.AAC if ttq[0] & 0x08 else AcType.ARQC  # an offline-only reader cannot take an ARQC


def _fdda(s: Session, ctq: bytes) -> tuple[bytes, bytes]:
    """``9F69`` and ``9F4B`` for fDDA version 01 (Book C-3 / JR/T 0025.12 fDDA)."""
    key = s.image.icc_key
    if key is None:
        raise LookupError("no ICC key")
    terminal = s.tx.terminal
    cad = bytes((FDDA_VERSION,)) + s.random_bytes(4) + ctq
    hashed = terminal[0x9F37] + terminal[0x9F02] + terminal[0x5F2A] + cad
    sdad = build_sdad(key, b"\x02" + s.state.atc.to_bytes(2, "big"), hashed)
    if s.image.profile.corrupt_sdad:
        sdad = sdad[:-1] + bytes((sdad[-1] ^ 0x5A,))
    return cad, sdad


def get_processing_options(
    s: Session, cmd: Command, *, ctq_base: bytes, cvm: str, always_online: bool, device_verified: bool
) -> Reply:
    """GET PROCESSING OPTIONS of a qPBOC / qVSDC card: the whole transaction in one response."""
    if cmd.p1 or cmd.p2:
        return b"", SW_WRONG_P1P2
    if s.tx.phase is not Phase.SELECTED:
        return b"", SW_CONDITIONS
    p, data = s.image.profile, cmd.data
    if len(data) < 2 or data[0] != 0x83:
        return b"", SW_WRONG_DATA
    header = 2 if data[1] < 0x80 else 2 + (data[1] & 0x7F)
    length = int.from_bytes(data[2:header], "big") if header > 2 else data[1]
    if length != len(data) - header or length != dol_length(p.pdol_list):
        return b"", SW_WRONG_LENGTH
    tx, st = s.tx, s.state
    tx.pdol_data = data[header:]
    tx.take(p.pdol_list, tx.pdol_data)
    ttq = tx.terminal.get(0x9F66, bytes(4))
    if not ttq[0] & 0x20 or st.atc >= 0xFFFF:
        return b"", SW_CONDITIONS
    if needs_device_cvm(ttq, cvm, device_verified):
        log.debug("%s: CVM required, not verified on the device: see phone", p.name)
        return b"", SW_SEE_PHONE
    ctq = ctq_for(ttq, ctq_base, cvm, device_verified)
    ac_type = _decide(s, ttq, ctq, always_online)
    st.atc += 1
    atc = st.atc.to_bytes(2, "big")
    sign = ac_type is AcType.TC or (ac_type is AcType.ARQC and bool(ttq[0] & 0x01))
    sign = sign and s.image.icc_key is not None
    iad = p.cryptogram.build_iad(p.dki, CvrFacts(first_ac=ac_type, dda_performed=sign))
    elements = dict(tx.terminal)
    elements.update({0x82: p.aip, 0x9F36: atc, 0x9F10: iad})
    ac = generate_cryptogram(p.cryptogram.version, session_key(s, p.imk_ac), elements)
    tx.first_ac_type, tx.first_ac, tx.phase = ac_type, ac, Phase.COMPLETED
    log.debug("%s: qPBOC GPO, %s given", p.name, ac_type.name)
    items: list[tuple[int, bytes]] = [
        (0x82, p.aip),
        (0x94, p.afl),
        (0x9F36, atc),
        (0x9F26, ac),
        (0x9F27, bytes((int(ac_type),))),
        (0x9F10, iad),
        (0x57, s.image.data[0x57]),
        (0x5F34, s.image.data[0x5F34]),
        (0x9F6C, ctq),
    ]
    if sign:
        cad, sdad = _fdda(s, ctq)
        items += [(0x9F69, cad), (0x9F4B, sdad)]
    return encode([(0x77, items)]), SW_OK
