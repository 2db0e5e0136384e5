"""Issuer and ICC public key certificates and signed application data (EMV 4.4 Book 2, 5 and 6).

A card personalised by :mod:`emv.cards.personalise` carries, in its records, the issuer public key
certificate (``90``, with ``92`` and ``9F32``) signed by the posemu test CA, the ICC public key certificate
(``9F46``, with ``9F48`` and ``9F47``) or the signed static application data (``93``) signed by the
issuer; at run time it signs dynamic application data (``9F4B``) with its ICC key. Each block is formatted
exactly per Book 2 (header ``6A``, format byte, fields, padding ``BB``, SHA-1 hash, trailer ``BC``) and signed
with raw RSA, ``pow()`` on the private exponent (:meth:`emv.cards.keys.RsaKeyPair.private_op`): EMV
signatures carry no PKCS#1 padding, so no library signer fits, and these are test keys only.

>>> pad_identifier("476173").hex().upper()
'476173FF'
>>> pad_identifier("5413330089020011", 20).hex().upper()
'5413330089020011FFFF'
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from emv.cards.keys import RsaKeyPair
from emv.crypto.errors import DataError

__all__ = [
    "PublicKeyCertificate",
    "build_cda_dynamic_data",
    "build_icc_certificate",
    "build_issuer_certificate",
    "build_sdad",
    "build_ssad",
    "pad_identifier",
]

log = logging.getLogger(__name__)

HEADER = 0x6A
TRAILER = 0xBC
PAD = 0xBB
SHA1 = 0x01  # hash algorithm indicator (Book 2, B3.1)
RSA = 0x01  # public key algorithm indicator (Book 2, B2.1)


@dataclass(frozen=True)
class PublicKeyCertificate:
    """A certificate and the parts of the certified key it does not hold: remainder and exponent."""

    certificate: bytes
    remainder: bytes
    exponent: bytes


def pad_identifier(digits: str, nibbles: int = 8) -> bytes:
    """Digits padded on the right with hex ``F`` to ``nibbles`` (issuer identifier, PAN in certificates).

    Raises:
        DataError: more digits than ``nibbles``, or a character that is not a decimal digit.
    """
    if len(digits) > nibbles or not (digits.isascii() and digits.isdigit()):
        raise DataError("identifier", f"is not at most {nibbles} decimal digits")
    return bytes.fromhex(digits.ljust(nibbles, "F"))


def _sign(signer: RsaKeyPair, body: bytes, hashed_tail: bytes) -> bytes:
    """``6A | body | SHA-1(body | hashed_tail) | BC`` signed with ``signer`` (Book 2, 5.1 and 6.1)."""
    digest = hashlib.sha1(body + hashed_tail).digest()
    return signer.private_op(bytes((HEADER,)) + body + digest + bytes((TRAILER,)))


def _split_key(key: RsaKeyPair, room: int) -> tuple[bytes, bytes]:
    """The leftmost part of a modulus padded with BB to ``room`` bytes, and the remainder."""
    modulus = key.modulus
    if len(modulus) <= room:
        return modulus + bytes((PAD,)) * (room - len(modulus)), b""
    return modulus[:room], modulus[room:]


def build_issuer_certificate(
    ca_key: RsaKeyPair, issuer_key: RsaKeyPair, issuer_id: bytes, expiry_mmyy: bytes, serial: bytes
) -> PublicKeyCertificate:
    """The issuer public key certificate ``90`` signed by the CA (Book 2, 5.3, Table 6).

    ``6A | 02 | issuer identifier (4) | expiry MMYY (2) | serial (3) | 01 | 01 | N_I | len(e_I) |
    leftmost N_CA - 36 bytes of the issuer modulus (BB-padded) | hash | BC``; the hash also covers the
    remainder and the exponent.

    Raises:
        DataError: a field of the wrong length, or an issuer key longer than the CA key.
        RsaError: the signing fault check failed.
    """
    _check(issuer_id, 4, "issuer identifier")
    _check(expiry_mmyy, 2, "certificate expiry")
    _check(serial, 3, "certificate serial number")
    if issuer_key.modulus_len > ca_key.modulus_len:
        raise DataError("issuer key", "is longer than the CA key")
    exponent = issuer_key.exponent
    leftmost, remainder = _split_key(issuer_key, ca_key.modulus_len - 36)
    body = (
        bytes((0x02,))
        + issuer_id
        + expiry_mmyy
        + serial
        + bytes((SHA1, RSA, issuer_key.modulus_len, len(exponent)))
        + leftmost
    )
    return PublicKeyCertificate(_sign(ca_key, body, remainder + exponent), remainder, exponent)


def build_icc_certificate(
    issuer_key: RsaKeyPair,
    icc_key: RsaKeyPair,
    pan: str,
    expiry_mmyy: bytes,
    serial: bytes,
    static_data: bytes,
) -> PublicKeyCertificate:
    """The ICC public key certificate ``9F46`` signed by the issuer (Book 2, 6.4, Table 14).

    ``6A | 04 | PAN (10, F-padded) | expiry MMYY | serial (3) | 01 | 01 | N_IC | len(e_IC) | leftmost
    N_I - 42 bytes of the ICC modulus (BB-padded) | hash | BC``; the hash also covers the remainder, the
    exponent and the static data to be authenticated.

    Raises:
        DataError: a field of the wrong length, or an ICC key longer than the issuer key.
        RsaError: the signing fault check failed.
    """
    _check(expiry_mmyy, 2, "certificate expiry")
    _check(serial, 3, "certificate serial number")
    if icc_key.modulus_len > issuer_key.modulus_len:
        raise DataError("ICC key", "is longer than the issuer key")
    exponent = icc_key.exponent
    leftmost, remainder = _split_key(icc_key, issuer_key.modulus_len - 42)
    body = (
        bytes((0x04,))
        + pad_identifier(pan, 20)
        + expiry_mmyy
        + serial
        + bytes((SHA1, RSA, icc_key.modulus_len, len(exponent)))
        + leftmost
    )
    tail = remainder + exponent + static_data
    return PublicKeyCertificate(_sign(issuer_key, body, tail), remainder, exponent)


def build_ssad(issuer_key: RsaKeyPair, dac: bytes, static_data: bytes) -> bytes:
    """Signed static application data ``93`` for SDA (Book 2, 5.4, Table 7).

    ``6A | 03 | 01 | data authentication code (2) | BB × (N_I - 26) | hash | BC``; the hash covers the
    static data to be authenticated after the padding.

    >>> from emv.cards.keys import load_card_key
    >>> from emv.crypto.rsa import recover
    >>> key = load_card_key("issuer", "pboc")
    >>> block = recover(build_ssad(key, bytes.fromhex("DAC1"), b"static"), key.n, key.e)
    >>> block[:6].hex().upper(), block[-1:].hex().upper()
    ('6A0301DAC1BB', 'BC')

    Raises:
        DataError: the DAC is not 2 bytes.
        RsaError: the signing fault check failed.
    """
    _check(dac, 2, "data authentication code")
    body = bytes((0x03, SHA1)) + dac + bytes((PAD,)) * (issuer_key.modulus_len - 26)
    return _sign(issuer_key, body, static_data)


def build_sdad(icc_key: RsaKeyPair, icc_dynamic_data: bytes, hashed_data: bytes) -> bytes:
    """Signed dynamic application data ``9F4B`` (Book 2, 6.5.1 Table 17; 6.6.1 for CDA).

    ``6A | 05 | 01 | L_DD | ICC dynamic data | BB × (N_IC - L_DD - 25) | hash | BC``; the hash also covers
    ``hashed_data``: the DDOL data for DDA, the unpredictable number ``9F37`` for CDA.

    >>> from emv.cards.keys import load_card_key
    >>> from emv.crypto.rsa import recover
    >>> key = load_card_key("icc", "mc-dda")
    >>> block = recover(build_sdad(key, bytes.fromhex("020102"), bytes(4)), key.n, key.e)
    >>> block[:8].hex().upper(), len(block)
    ('6A050103020102BB', 128)

    Raises:
        DataError: the dynamic data does not fit the ICC key (more than N_IC - 25 bytes).
        RsaError: the signing fault check failed.
    """
    room = icc_key.modulus_len - 25
    if len(icc_dynamic_data) > room:
        raise DataError("ICC dynamic data", f"length {len(icc_dynamic_data)} bytes, more than {room}")
    body = (
        bytes((0x05, SHA1, len(icc_dynamic_data)))
        + icc_dynamic_data
        + bytes((PAD,)) * (room - len(icc_dynamic_data))
    )
    return _sign(icc_key, body, hashed_data)


def build_cda_dynamic_data(icc_dynamic_number: bytes, cid: int, ac: bytes, tx_data_hash: bytes) -> bytes:
    """ICC dynamic data of a CDA signature (Book 2, 6.6.1, Table 19).

    ``L_IDN | ICC dynamic number | cryptogram information data | application cryptogram | transaction
    data hash code``.

    >>> build_cda_dynamic_data(bytes(8), 0x80, bytes(8), bytes(20)).hex()[:22]
    '0800000000000000008000'

    Raises:
        DataError: an ICC dynamic number outside 2..8 bytes, an AC not 8 bytes or a hash not 20.
    """
    if not 2 <= len(icc_dynamic_number) <= 8:
        raise DataError("ICC dynamic number", f"length {len(icc_dynamic_number)} bytes, expected 2..8")
    _check(ac, 8, "application cryptogram")
    _check(tx_data_hash, 20, "transaction data hash code")
    return bytes((len(icc_dynamic_number),)) + icc_dynamic_number + bytes((cid,)) + ac + tx_data_hash


def _check(value: bytes, length: int, name: str) -> None:
    if len(value) != length:
        raise DataError(name, f"length {len(value)} bytes, expected {length}")
