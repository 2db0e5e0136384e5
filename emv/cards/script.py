"""Issuer script commands with secure messaging (EMV 4.4 Book 3, 6.5.1-6.5.3, 6.5.10; Book 2, 9).

Commands: APPLICATION BLOCK ``84 1E``, APPLICATION UNBLOCK ``84 18``, PIN CHANGE/UNBLOCK ``84 24`` (P2 ``00``
unblock: the PIN try counter is reset; P2 ``02`` change without the current PIN: the data is the new PIN
enciphered as :func:`emv.cards.sm.encipher_pin` makes it; P2 ``01``, with the current PIN, is not supported),
PUT DATA ``04 DA`` / ``84 DA`` (P1 P2 = tag; ``9F14`` and ``9F23``, one byte each).

Every command ends with a MAC of ``crypto.script_mac_length`` bytes checked as :mod:`emv.cards.sm` says.
A command before any GENERATE AC of the transaction answers 6985, a MAC that fails 6988, a malformed
enciphered PIN 6A80; each counts as a failed script in the CVR (Visa VIS / PBOC: issuer script processing
failed), and every command with a MAC counts in the CVR's script counter.
"""

from __future__ import annotations

import hmac
import logging

from emv.apdu import Command
from emv.cards.sm import decipher_pin, derive_icc_mk, derive_sm_key, generate_script_mac, script_ac
from emv.cards.state import Phase, Session
from emv.cards.sw import (
    SW_CONDITIONS,
    SW_DATA_NOT_FOUND,
    SW_OK,
    SW_SM_INCORRECT,
    SW_WRONG_DATA,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    Reply,
)

__all__ = ["icc_mk", "issuer_script"]

log = logging.getLogger(__name__)

_PUT_DATA_TAGS = frozenset((0x9F14, 0x9F23))


def icc_mk(s: Session, imk: bytes) -> bytes:
    """This card's ICC master key under issuer master key ``imk``."""
    p = s.image.profile
    return derive_icc_mk(p.cryptogram, imk, p.pan, p.psn)


def _sm_key(s: Session, imk: bytes) -> bytes:
    """The session key of the current script command under issuer master key ``imk``."""
    p = s.image.profile
    ac = script_ac(p.cryptogram, s.tx.first_ac, s.tx.script_index)
    return derive_sm_key(p.cryptogram, icc_mk(s, imk), s.state.atc.to_bytes(2, "big"), ac)


def _apply(s: Session, cmd: Command, data: bytes) -> int:
    st, p = s.state, s.image.profile
    if cmd.ins == 0x1E or cmd.ins == 0x18:
        if cmd.p1 or cmd.p2:
            return SW_WRONG_P1P2
        st.app_blocked = cmd.ins == 0x1E
        return SW_OK
    if cmd.ins == 0x24:
        if cmd.p1 or cmd.p2 not in (0x00, 0x02):
            return SW_WRONG_P1P2
        if cmd.p2 == 0x02:
            pin = decipher_pin(p.cryptogram, _sm_key(s, p.imk_smc), icc_mk(s, p.imk_ac), data)
            if pin is None:
                return SW_WRONG_DATA
            st.pin = pin
        st.pin_try_counter = st.pin_try_limit
        return SW_OK
    tag = cmd.p1 << 8 | cmd.p2  # PUT DATA
    if tag not in _PUT_DATA_TAGS:
        return SW_DATA_NOT_FOUND
    if len(data) != 1:
        return SW_WRONG_LENGTH
    if tag == 0x9F14:
        st.lower_offline_limit = data[0]
    else:
        st.upper_offline_limit = data[0]
    for items in st.records.values():
        items[:] = [(t, data if t == tag else v) for t, v in items]
    return SW_OK


def issuer_script(s: Session, cmd: Command) -> Reply:
    """One issuer script command with a secure messaging MAC (Book 3, 6.5.1-6.5.3, 6.5.10)."""
    st, p = s.state, s.image.profile
    if s.tx.phase not in (Phase.ONLINE, Phase.COMPLETED) or not s.tx.first_ac:
        st.script_failed = True
        return b"", SW_CONDITIONS
    mac_length = p.script_mac_length
    if len(cmd.data) < mac_length:
        return b"", SW_WRONG_LENGTH
    st.script_count += 1
    data, mac = cmd.data[:-mac_length], cmd.data[-mac_length:]
    header = bytes((cmd.cla, cmd.ins, cmd.p1, cmd.p2, len(cmd.data)))
    atc = st.atc.to_bytes(2, "big")
    ac = script_ac(p.cryptogram, s.tx.first_ac, s.tx.script_index)
    expected = generate_script_mac(_sm_key(s, p.imk_smi), header, atc, ac, data, mac_length)
    if not hmac.compare_digest(expected, mac):
        s.tx.script_index += 1
        st.script_failed = True
        return b"", SW_SM_INCORRECT
    sw = _apply(s, cmd, data)
    log.debug("%s: script command %02X %02X answered %04X", p.name, cmd.cla, cmd.ins, sw)
    s.tx.script_index += 1
    if sw != SW_OK:
        st.script_failed = True
    return b"", sw
