"""EMV key derivation: ICC master keys (EMV 4.4 Book 2, A1.4), the EMV common session key (Book 2, A1.3)
and the PBOC (UnionPay) session key.

Every function uses 2-key TDEA and returns a 16-byte key with odd parity, as the card stores it (parity bits
do not change any DES result). PANs and PSNs are decimal strings; a missing PSN (5F34 absent) is "00".
"""

from __future__ import annotations

import hashlib
import logging

from emv.crypto import des
from emv.crypto._validate import check_key, check_length, check_pan, is_decimal, xor
from emv.crypto.errors import DataError

log = logging.getLogger(__name__)

_FF8 = b"\xff" * 8
_DECIMALISE = str.maketrans("abcdef", "012345")


def _check_psn(psn: str) -> None:
    if len(psn) != 2 or not is_decimal(psn):
        raise DataError("PSN", "is not 2 decimal digits")


def _derive_from_y(imk: bytes, y: str) -> bytes:
    """Book 2, A1.4.1 steps 2-3: Z_L = E_IMK(Y), Z_R = E_IMK(Y xor FF..FF), then odd parity."""
    y_bytes = bytes.fromhex(y)
    return des.adjust_parity(des.encrypt_ecb(imk, y_bytes + xor(y_bytes, _FF8)))


def derive_icc_mk_a(imk: bytes, pan: str, psn: str = "00") -> bytes:
    """ICC master key by option A (EMV 4.4 Book 2, A1.4.1).

    Y is the rightmost 16 digits of PAN || PSN, left-padded with zeros; MK = E_IMK(Y) || E_IMK(Y xor FF..FF).

    >>> imk = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    >>> derive_icc_mk_a(imk, "12345678901234567", "01").hex().upper()
    '73AD54688CEF2934B0979857E3C719F1'

    Raises:
        KeyLengthError: the IMK is not 16 bytes.
        PanError: the PAN is not 8 to 19 decimal digits.
        DataError: the PSN is not 2 decimal digits.
    """
    check_key(imk, (16,), "IMK")
    check_pan(pan)
    _check_psn(psn)
    return _derive_from_y(imk, (pan + psn)[-16:].rjust(16, "0"))


def derive_icc_mk_b(imk: bytes, pan: str, psn: str = "00") -> bytes:
    """ICC master key by option B (EMV 4.4 Book 2, A1.4.2); a PAN of 16 digits or fewer uses option A.

    X = PAN || PSN (a leading 0 nibble makes it whole bytes); Y = the first 16 decimal digits of the hex of
    SHA-1(X), topped up if short with the hex letters a-f decimalised to 0-5, in the order they appear.

    >>> imk = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    >>> derive_icc_mk_b(imk, "12345678901234567", "01").hex().upper()
    'AD406D7F6D7570916D75E5DCAB8CF737'

    Raises:
        KeyLengthError: the IMK is not 16 bytes.
        PanError: the PAN is not 8 to 19 decimal digits.
        DataError: the PSN is not 2 decimal digits.
    """
    check_key(imk, (16,), "IMK")
    check_pan(pan)
    _check_psn(psn)
    if len(pan) <= 16:
        return derive_icc_mk_a(imk, pan, psn)
    x = pan + psn
    digest = hashlib.sha1(bytes.fromhex(x.rjust(len(x) + len(x) % 2, "0"))).hexdigest()
    digits = [c for c in digest if c.isdigit()]
    letters = [c.translate(_DECIMALISE) for c in digest if not c.isdigit()]
    return _derive_from_y(imk, "".join((digits + letters)[:16]))


def build_diversifier(atc: bytes, un: bytes | None = None) -> bytes:
    """The 8-byte R for the common session key (EMV 4.4 Book 2, A1.3.1).

    R = ATC || 00 00 00 00 00 00 for the EMV CSK (Visa CVN 18/22, PBOC), or ATC || 00 00 || UN when the
    unpredictable number 9F37 is given (the Mastercard M/Chip variant).

    >>> build_diversifier(bytes.fromhex("001C")).hex().upper()
    '001C000000000000'
    >>> build_diversifier(bytes.fromhex("001C"), bytes.fromhex("A1B2C3D4")).hex().upper()
    '001C0000A1B2C3D4'

    Raises:
        DataError: the ATC is not 2 bytes or the UN is not 4 bytes.
    """
    check_length(atc, (2,), "ATC")
    if un is None:
        return atc + bytes(6)
    check_length(un, (4,), "UN")
    return atc + bytes(2) + un


def derive_common_sk(icc_mk: bytes, r: bytes) -> bytes:
    """Common session key (EMV 4.4 Book 2, A1.3.1): SK = E_MK(R with byte 3 = F0) || E_MK(R with byte 3 = 0F).

    >>> mk = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    >>> derive_common_sk(mk, bytes.fromhex("001C000000000000")).hex().upper()
    'E9FB384AF807B940FEDCEA613461B0C4'

    Raises:
        KeyLengthError: the ICC master key is not 16 bytes.
        DataError: R is not 8 bytes.
    """
    check_key(icc_mk, (16,), "ICC master key")
    check_length(r, (8,), "R")
    left = r[:2] + b"\xf0" + r[3:]
    right = r[:2] + b"\x0f" + r[3:]
    return des.adjust_parity(des.encrypt_ecb(icc_mk, left + right))


def derive_pboc_sk(icc_mk: bytes, atc: bytes) -> bytes:
    """PBOC 2.0/3.0 AC session key (过程密钥): E_MK(00 x6 || ATC) || E_MK(00 x6 || (ATC xor FFFF)).

    Not the EMV common session key. The rule and the doctest come from public worked PBOC examples (e.g.
    cnblogs.com/ttss/p/4364328.html, shuzhiduo.com/A/l1dyep1Vde: MK 0D2E..9679, ATC 000E); the published
    key C3D3..3526 is shown without parity adjustment, which changes no DES result.

    >>> mk = bytes.fromhex("0D2E3CB0BC1F9E03AED58F663A2F9679")
    >>> derive_pboc_sk(mk, bytes.fromhex("000E")) == des.adjust_parity(
    ...     bytes.fromhex("C3D3F062E9992B4E923D338D66193526"))
    True

    Raises:
        KeyLengthError: the ICC master key is not 16 bytes.
        DataError: the ATC is not 2 bytes.
    """
    check_key(icc_mk, (16,), "ICC master key")
    check_length(atc, (2,), "ATC")
    return des.adjust_parity(des.encrypt_ecb(icc_mk, bytes(6) + atc + bytes(6) + xor(atc, b"\xff\xff")))
