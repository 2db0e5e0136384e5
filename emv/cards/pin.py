"""VERIFY: offline PIN verification, plaintext and enciphered (EMV 4.4 Book 3, 6.5.12; Book 2, 7).

P2 ``80``: the data is an ISO 9564-1 format 2 PIN block (``2N PPPP..F``). P2 ``88``: the data is the
ICC PIN encipherment block, RSA-enciphered under the ICC public key (this card's ICC key doubles as its PIN
encipherment key, Book 2, 7.1): the card deciphers it and checks ``7F | PIN block (8) | the ICC
unpredictable number from the last GET CHALLENGE (8) | random padding`` (Book 2, 7.2). A wrong PIN counts
down the PIN try counter ``9F17`` and answers ``63Cx`` (x tries left); at zero the card answers ``6983``.
A block that does not decode (bad format, no challenge, wrong header or number) answers ``6A80`` or
``6985`` without counting: the card never learnt a PIN to compare.
"""

from __future__ import annotations

import hmac
import logging

from emv.apdu import Command
from emv.cards.state import Phase, Session
from emv.cards.sw import (
    SW_CONDITIONS,
    SW_FUNCTION_NOT_SUPPORTED,
    SW_OK,
    SW_PIN_BLOCKED,
    SW_WRONG_DATA,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    Reply,
    sw_pin_tries,
)
from emv.crypto.errors import CryptoError
from emv.crypto.pinblock import PinBlockFormat, decode_pin_block

__all__ = ["verify"]

log = logging.getLogger(__name__)


def _plain_block(s: Session, cmd: Command) -> bytes | int:
    """The format 2 PIN block of a VERIFY, or the status word that refuses the command."""
    if cmd.p2 == 0x80:
        return cmd.data if len(cmd.data) == 8 else SW_WRONG_LENGTH
    key = s.image.icc_key
    if key is None:
        return SW_FUNCTION_NOT_SUPPORTED
    if len(cmd.data) != key.modulus_len:
        return SW_WRONG_LENGTH
    challenge, s.tx.challenge = s.tx.challenge, None  # an ICC unpredictable number serves once
    if challenge is None:
        return SW_CONDITIONS
    try:
        plain = key.private_op(cmd.data)
    except CryptoError:
        return SW_WRONG_DATA
    if plain[0] != 0x7F or not hmac.compare_digest(plain[9:17], challenge):
        return SW_WRONG_DATA
    s.tx.offline_enciphered_pin = True
    return plain[1:9]


def verify(s: Session, cmd: Command) -> Reply:
    """VERIFY with P2 80 (plaintext) or 88 (enciphered) during the transaction (Book 3, 6.5.12)."""
    if cmd.p1 or cmd.p2 not in (0x80, 0x88):
        return b"", SW_WRONG_P1P2
    if s.tx.phase is not Phase.INITIATED:
        return b"", SW_CONDITIONS
    st = s.state
    if st.pin_try_counter == 0:
        return b"", SW_PIN_BLOCKED
    block = _plain_block(s, cmd)
    if isinstance(block, int):
        return b"", block
    if block[0] >> 4 != PinBlockFormat.ISO_2:
        return b"", SW_WRONG_DATA
    try:
        pin = decode_pin_block(block)
    except CryptoError:
        return b"", SW_WRONG_DATA
    s.tx.offline_pin_performed = True
    if hmac.compare_digest(pin.encode("ascii"), st.pin.encode("ascii")):
        st.pin_try_counter = st.pin_try_limit
        s.tx.offline_pin_failed = False
        return b"", SW_OK
    st.pin_try_counter -= 1
    log.debug("%s: offline PIN wrong, %d tries left", s.image.profile.name, st.pin_try_counter)
    s.tx.offline_pin_failed = True
    return b"", sw_pin_tries(st.pin_try_counter)
