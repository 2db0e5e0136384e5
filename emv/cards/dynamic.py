"""Dynamic signatures: INTERNAL AUTHENTICATE for DDA and the CDA signature of GENERATE AC.

EMV 4.4 Book 2, 6.5 (DDA: the signed dynamic application data ``9F4B`` over the DDOL related data, ICC
dynamic data = length and ICC dynamic number) and 6.6 (CDA: ICC dynamic data = ICC dynamic number, CID,
AC and the transaction data hash code; the signature hash also covers the unpredictable number ``9F37``),
Book 3, 6.5.9 (INTERNAL AUTHENTICATE, response format 1 ``80`` or 2 ``77``). The ICC dynamic number is
8 bytes from the card's random source. Profile ``faults.corrupt_sdad`` flips bits of every signature.
"""

from __future__ import annotations

import hashlib
import logging

from emv.apdu import Command
from emv.cards.certs import build_cda_dynamic_data, build_sdad
from emv.cards.state import Phase, Session
from emv.cards.sw import (
    SW_CONDITIONS,
    SW_INS_NOT_SUPPORTED,
    SW_OK,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    Reply,
)
from emv.tlv import encode

__all__ = ["internal_authenticate", "sign_cda", "transaction_data_hash"]

log = logging.getLogger(__name__)


def _signed(s: Session, dynamic_data: bytes, hashed: bytes) -> bytes:
    key = s.image.icc_key
    if key is None:  # callers check; a card without an ICC key signs nothing
        raise LookupError("no ICC key")
    sdad = build_sdad(key, dynamic_data, hashed)
    if s.image.profile.corrupt_sdad:
        sdad = sdad[:-1] + bytes((sdad[-1] ^ 0x5A,))
    return sdad


def internal_authenticate(s: Session, cmd: Command) -> Reply:
    """INTERNAL AUTHENTICATE (Book 3, 6.5.9; Book 2, 6.5.1): sign the DDOL related data."""
    if s.image.icc_key is None:
        return b"", SW_INS_NOT_SUPPORTED
    if cmd.p1 or cmd.p2:
        return b"", SW_WRONG_P1P2
    if s.tx.phase is not Phase.INITIATED:
        return b"", SW_CONDITIONS
    if not cmd.data or len(cmd.data) > 128:
        return b"", SW_WRONG_LENGTH
    idn = s.random_bytes(8)
    sdad = _signed(s, bytes((len(idn),)) + idn, cmd.data)
    s.tx.dda_performed = True
    if s.image.profile.sdad_format == 1:
        return encode([(0x80, sdad)]), SW_OK
    return encode([(0x77, [(0x9F4B, sdad)])]), SW_OK


def transaction_data_hash(s: Session, cdol2_data: bytes | None, response_tlv: bytes) -> bytes:
    """Transaction data hash code of CDA (Book 2, 6.6.1).

    SHA-1 of the PDOL related data (the value of ``83`` in GPO), the CDOL1 related data, for the second
    GENERATE AC the CDOL2 related data, then the TLV data objects of the response except ``9F4B``.
    """
    parts = s.tx.pdol_data + s.tx.cdol1_data + (cdol2_data or b"") + response_tlv
    return hashlib.sha1(parts).digest()


def sign_cda(s: Session, cid: int, ac: bytes, tx_hash: bytes) -> bytes:
    """The SDAD of a CDA response: dynamic data with CID, AC and hash, signed with 9F37 (Book 2, 6.6.1)."""
    un = s.tx.terminal.get(0x9F37, bytes(4))
    return _signed(s, build_cda_dynamic_data(s.random_bytes(8), cid, ac, tx_hash), un)
