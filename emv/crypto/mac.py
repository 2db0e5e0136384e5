"""Message authentication codes: ISO/IEC 9797-1 MAC algorithms 1 and 3 with padding methods 1 and 2, and
AES-CMAC (ISO/IEC 9797-1:2011 algorithm 5; NIST SP 800-38B).

- Algorithm 1 is the CBC-MAC; with a single-DES key it is ANSI X9.9, with a TDEA key the whole chain is TDEA.
- Algorithm 3 is the retail MAC of ANSI X9.19: single DES with K over every block, then the last block is
  decrypted with K' and encrypted with K again. EMV uses it for application cryptograms and ARPC method 2
  (EMV 4.4 Book 2, A1.2.1); DUKPT uses it for request MACs (ANSI X9.24-1:2009, A.4).
"""

from __future__ import annotations

import enum
import logging

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import algorithms

from emv.crypto import des
from emv.crypto._validate import check_key
from emv.crypto.errors import DataError

log = logging.getLogger(__name__)


class Padding(enum.IntEnum):
    """ISO/IEC 9797-1, 6.3 padding methods (EMV Book 2, A1.2.1 uses method 2; Visa CVN 10 uses method 1)."""

    METHOD_1 = 1  # append 00 bytes up to a whole block (a whole block when the data is empty)
    METHOD_2 = 2  # append 80, then 00 bytes up to a whole block


def pad(data: bytes, method: Padding, block_size: int = des.BLOCK_SIZE) -> bytes:
    """Pad ``data`` by ISO/IEC 9797-1 padding method 1 or 2 (ISO/IEC 9797-1:2011, 6.3.2 and 6.3.3).

    Method 1 adds nothing to data that is already whole blocks, except that empty data becomes one zero block.

    >>> pad(bytes.fromhex("1234"), Padding.METHOD_1).hex().upper()
    '1234000000000000'
    >>> pad(bytes.fromhex("0011223344556677"), Padding.METHOD_2).hex().upper()
    '00112233445566778000000000000000'
    >>> pad(b"", Padding.METHOD_1).hex()
    '0000000000000000'

    Raises:
        DataError: ``method`` is not a padding method.
    """
    if method == Padding.METHOD_2:
        data += b"\x80"
    elif method != Padding.METHOD_1:
        raise DataError("padding", f"method {method!r} is not 1 or 2")
    if data and not len(data) % block_size:
        return data
    return data + bytes(block_size - len(data) % block_size)


def _check_mac_length(length: int, block_size: int) -> None:
    if not 4 <= length <= block_size:
        raise DataError("MAC", f"length {length} outside 4..{block_size}")


def generate_cbc_mac(key: bytes, data: bytes, padding: Padding = Padding.METHOD_1, length: int = 8) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 1 (CBC-MAC, zero IV, no output transformation): DES, ANSI X9.9, or TDEA.

    >>> key = bytes.fromhex("0123456789ABCDEF")
    >>> generate_cbc_mac(key, b"Now is the time for all ").hex().upper()  # FIPS 113 / X9.9 example
    '70A30640CC76DD8B'

    Raises:
        KeyLengthError: the key is not 8, 16 or 24 bytes.
        DataError: a bad padding method, or ``length`` outside 4..8.
    """
    _check_mac_length(length, des.BLOCK_SIZE)
    return des.encrypt_cbc(key, pad(data, padding))[-des.BLOCK_SIZE :][:length]


def generate_retail_mac(
    key: bytes, data: bytes, padding: Padding = Padding.METHOD_1, length: int = 8
) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3, the ANSI X9.19 retail MAC, with a 16-byte key K|K'.

    Single-DES CBC under K over all blocks, then output transformation 3: D_K' then E_K on the last block.

    >>> key = bytes.fromhex("042666B4918430A368DE9628D03984C9")  # X9.24-1:2009 A.4, MAC request key, KSN #1
    >>> generate_retail_mac(key, b"4012345678909D987", length=4).hex().upper()
    '9CCC7817'

    Raises:
        KeyLengthError: the key is not 16 bytes.
        DataError: a bad padding method, or ``length`` outside 4..8.
    """
    check_key(key, (16,), "retail MAC key")
    _check_mac_length(length, des.BLOCK_SIZE)
    k, k_prime = key[:8], key[8:]
    last = des.encrypt_cbc(k, pad(data, padding))[-des.BLOCK_SIZE :]
    return des.encrypt_ecb(k, des.decrypt_ecb(k_prime, last))[:length]


def generate_aes_cmac(key: bytes, data: bytes, length: int = 16) -> bytes:
    """AES-CMAC (NIST SP 800-38B; ISO/IEC 9797-1:2011 algorithm 5), leftmost ``length`` bytes.

    >>> key = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")  # SP 800-38B, D.1 example 2
    >>> generate_aes_cmac(key, bytes.fromhex("6BC1BEE22E409F96E93D7E117393172A")).hex()
    '070a16b46b4d4144f79bdd9dd04a287c'

    Raises:
        KeyLengthError: the key is not 16, 24 or 32 bytes.
        DataError: ``length`` outside 4..16.
    """
    check_key(key, (16, 24, 32), "CMAC key")
    _check_mac_length(length, 16)
    mac = cmac.CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()[:length]
