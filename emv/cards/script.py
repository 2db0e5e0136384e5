"""Issuer script commands with secure messaging (EMV 4.4 Book 2, 9.2-9.3; Book 3, 6.5.1-6.5.3, 6.5.10).

Commands: APPLICATION BLOCK ``84 1E``, APPLICATION UNBLOCK ``84 18``, PIN CHANGE/UNBLOCK ``84 24`` (P2 ``00``
unblock: the PIN try counter is reset; P2 ``02`` change without the current PIN: the data is the new PIN
as an ISO 9564-1 format 2 block, padded by ISO/IEC 9797-1 method 2 and enciphered by two-key TDES CBC,
zero IV, under the SMC session key, as pyemv's ``EncryptionType.EMV``; P2 ``01`` is not supported), PUT DATA
``04 DA`` / ``84 DA`` (P1 P2 = tag; ``9F14`` and ``9F23``).

Secure messaging for integrity (Book 2, 9.2, format 2): the last ``crypto.script_mac_length`` bytes of the
data are a MAC, ISO/IEC 9797-1 algorithm 3 with padding method 2, under the SMI session key (the ICC master
key of the issuer's SMI master key, derived as the cryptogram version derives the AC key, for this ATC) over
``CLA INS P1 P2 Lc | ATC | AC | command data``, where Lc counts the MAC and AC is the cryptogram of the
first GENERATE AC of this transaction (the ARQC the issuer saw; for 71 and 72 scripts alike). A command
outside an online-capable transaction answers 6985, a MAC that fails 6988; both count as a failed script
in the CVR. :func:`build_script_command` is the issuer's side, for the host simulator and tests.
"""

from __future__ import annotations

import hmac

from emv.apdu import Command
from emv.cards.issuer import session_key
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
from emv.crypto import des
from emv.crypto.errors import CryptoError
from emv.crypto.mac import Padding, generate_retail_mac
from emv.crypto.pinblock import PinBlockFormat, decode_pin_block, encode_pin_block

__all__ = ["build_script_command", "encipher_pin", "generate_script_mac", "issuer_script"]

_PUT_DATA_TAGS = frozenset((0x9F14, 0x9F23))


def generate_script_mac(
    sk_smi: bytes, header: bytes, atc: bytes, ac: bytes, data: bytes, length: int
) -> bytes:
    """The secure messaging MAC of a script command (Book 2, 9.2.3).

    ``header`` is ``CLA INS P1 P2 Lc`` with Lc counting the MAC.

    >>> sk = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    >>> generate_script_mac(sk, bytes.fromhex("8424000008"), bytes.fromhex("FFFF"),
    ...                     bytes.fromhex("1234567890123456"), b"", 8).hex().upper()
    'E07B8DF1B4184282'

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: a MAC length outside 4..8.
    """
    return generate_retail_mac(sk_smi, header + atc + ac + data, Padding.METHOD_2, length)


def build_script_command(
    cla: int,
    ins: int,
    p1: int,
    p2: int,
    data: bytes,
    *,
    sk_smi: bytes,
    atc: bytes,
    ac: bytes,
    mac_length: int = 8,
) -> bytes:
    """An issuer script command with its MAC, as the issuer sends it in template 71 or 72 (tag 86).

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: a MAC length outside 4..8.
    """
    header = bytes((cla, ins, p1, p2, len(data) + mac_length))
    return header + data + generate_script_mac(sk_smi, header, atc, ac, data, mac_length)


def encipher_pin(sk_smc: bytes, pin: str) -> bytes:
    """The data of PIN CHANGE (P2 02): E_SMC(format 2 PIN block | 80 00..00), TDES CBC, zero IV.

    Raises:
        KeyLengthError: the key is not 16 bytes.
        PinError: the PIN is not 4 to 12 digits.
    """
    block = encode_pin_block(pin, PinBlockFormat.ISO_2)
    return des.encrypt_cbc(sk_smc, block + b"\x80" + bytes(7))


def _decipher_pin(sk_smc: bytes, data: bytes) -> str | None:
    if len(data) != 16:
        return None
    plain = des.decrypt_cbc(sk_smc, data)
    if plain[8:] != b"\x80" + bytes(7) or plain[0] >> 4 != PinBlockFormat.ISO_2:
        return None
    try:
        return decode_pin_block(plain[:8])
    except CryptoError:
        return None


def _apply(s: Session, cmd: Command, data: bytes) -> int:
    st = s.state
    if cmd.ins == 0x1E or cmd.ins == 0x18:
        if cmd.p1 or cmd.p2:
            return SW_WRONG_P1P2
        st.app_blocked = cmd.ins == 0x1E
        return SW_OK
    if cmd.ins == 0x24:
        if cmd.p1 or cmd.p2 not in (0x00, 0x02):
            return SW_WRONG_P1P2
        if cmd.p2 == 0x02:
            pin = _decipher_pin(session_key(s, s.image.profile.imk_smc), data)
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
    sk_smi = session_key(s, p.imk_smi)
    expected = generate_script_mac(sk_smi, header, st.atc.to_bytes(2, "big"), s.tx.first_ac, data, mac_length)
    if not hmac.compare_digest(expected, mac):
        st.script_failed = True
        return b"", SW_SM_INCORRECT
    sw = _apply(s, cmd, data)
    if sw != SW_OK:
        st.script_failed = True
    return b"", sw
