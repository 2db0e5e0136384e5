"""DES and Triple DES (TDEA) in ECB and CBC, key parity and key check values.

Keys: 8 bytes is single DES (run as TDEA with K|K|K, ISO/IEC 18033-3 keying option 3), 16 bytes is 2-key
TDEA (K1|K2|K1, keying option 2), 24 bytes is 3-key TDEA (keying option 1). ``cryptography`` moved
``TripleDES`` to ``cryptography.hazmat.decrepit`` in 43.0 and deprecates 8- and 16-byte keys, so every key is
expanded to 24 bytes here. Key check values follow ANSI X9.24-1:2017 (first check-value method): the leftmost
bytes of E_K(00..00).
"""

from __future__ import annotations

import logging

from cryptography.hazmat.primitives.ciphers import Cipher, modes

from emv.crypto._validate import check_key, check_length
from emv.crypto.errors import DataError

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # cryptography < 43 has no decrepit module
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

log = logging.getLogger(__name__)

BLOCK_SIZE = 8
KEY_LENGTHS = (8, 16, 24)
_ZERO_IV = bytes(BLOCK_SIZE)


def _expand(key: bytes) -> bytes:
    check_key(key, KEY_LENGTHS)
    if len(key) == 8:
        return key * 3
    if len(key) == 16:
        return key + key[:8]
    return key


def _run(key: bytes, mode: modes.ECB | modes.CBC, data: bytes | bytearray, *, encrypt: bool) -> bytes:
    if len(data) % BLOCK_SIZE:
        raise DataError("data", f"length {len(data)} bytes is not a multiple of {BLOCK_SIZE}")
    cipher = Cipher(TripleDES(_expand(key)), mode)
    ctx = cipher.encryptor() if encrypt else cipher.decryptor()
    return ctx.update(data) + ctx.finalize()


def encrypt_ecb(key: bytes, data: bytes | bytearray) -> bytes:
    """Encrypt whole 8-byte blocks with DES or TDEA in ECB mode (ISO/IEC 18033-3; ISO/IEC 10116, 6.1).

    >>> key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    >>> encrypt_ecb(key, bytes(8)).hex().upper()
    '08D7B4FB629D0885'

    Raises:
        KeyLengthError: the key is not 8, 16 or 24 bytes.
        DataError: the data is not a multiple of 8 bytes.
    """
    return _run(key, modes.ECB(), data, encrypt=True)


def decrypt_ecb(key: bytes, data: bytes) -> bytes:
    """Decrypt whole 8-byte blocks with DES or TDEA in ECB mode (ISO/IEC 10116, 6.1).

    >>> key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    >>> decrypt_ecb(key, bytes.fromhex("08D7B4FB629D0885")).hex()
    '0000000000000000'

    Raises:
        KeyLengthError: the key is not 8, 16 or 24 bytes.
        DataError: the data is not a multiple of 8 bytes.
    """
    return _run(key, modes.ECB(), data, encrypt=False)


def encrypt_cbc(key: bytes, data: bytes, iv: bytes = _ZERO_IV) -> bytes:
    """Encrypt whole 8-byte blocks with DES or TDEA in CBC mode, zero IV by default (ISO/IEC 10116, 6.2).

    >>> key = bytes.fromhex("0123456789ABCDEF")
    >>> encrypt_cbc(key, bytes(16)).hex().upper()
    'D5D44FF720683D0D5661E9804FE87B77'

    Raises:
        KeyLengthError: the key is not 8, 16 or 24 bytes.
        DataError: the data is not a multiple of 8 bytes, or the IV is not 8 bytes.
    """
    check_length(iv, (BLOCK_SIZE,), "IV")
    return _run(key, modes.CBC(iv), data, encrypt=True)


def decrypt_cbc(key: bytes, data: bytes, iv: bytes = _ZERO_IV) -> bytes:
    """Decrypt whole 8-byte blocks with DES or TDEA in CBC mode (ISO/IEC 10116, 6.2).

    >>> key = bytes.fromhex("0123456789ABCDEF")
    >>> decrypt_cbc(key, bytes.fromhex("D5D44FF720683D0D5661E9804FE87B77")).hex()
    '00000000000000000000000000000000'

    Raises:
        KeyLengthError: the key is not 8, 16 or 24 bytes.
        DataError: the data is not a multiple of 8 bytes, or the IV is not 8 bytes.
    """
    check_length(iv, (BLOCK_SIZE,), "IV")
    return _run(key, modes.CBC(iv), data, encrypt=False)


def adjust_parity(key: bytes) -> bytes:
    """Set the low bit of each byte so that every byte has odd parity (FIPS 46-3; EMV Book 2, A1.3 and A1.4).

    >>> adjust_parity(bytes.fromhex("0000FFFE7F80")).hex().upper()
    '0101FEFE7F80'

    Raises:
        Nothing: any byte string is accepted.
    """
    return bytes(b & 0xFE | (~(b >> 1).bit_count() & 1) for b in key)


def has_odd_parity(key: bytes) -> bool:
    """Tell whether every byte of ``key`` has odd parity (FIPS 46-3).

    >>> has_odd_parity(bytes.fromhex("0123456789ABCDEF")), has_odd_parity(bytes.fromhex("00"))
    (True, False)

    Raises:
        Nothing: any byte string is accepted.
    """
    return all(b.bit_count() & 1 for b in key)


def compute_kcv(key: bytes, length: int = 3) -> bytes:
    """Key check value: the leftmost ``length`` bytes of E_K(00..00) (ANSI X9.24-1:2017, first method).

    Three bytes is the X9.24 maximum for this method; the CUP sign-on uses four (DOMAIN_FACTS A), pyemv two.

    >>> compute_kcv(bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"), 4).hex().upper()
    '08D7B4FB'

    Raises:
        KeyLengthError: the key is not 8, 16 or 24 bytes.
        DataError: ``length`` is outside 2..8.
    """
    if not 2 <= length <= BLOCK_SIZE:
        raise DataError("KCV", f"length {length} outside 2..8")
    return encrypt_ecb(key, bytes(BLOCK_SIZE))[:length]
