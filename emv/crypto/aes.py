"""AES in ECB and CBC, and AES key check values (FIPS 197; ISO/IEC 10116; ANSI X9.24-1:2017).

AES key check values come in three flavours, so :func:`compute_kcv` takes the method explicitly:

- ``KcvMethod.ECB_ONES``: E_K(01..01), leftmost 3 bytes. This is the GlobalPlatform Card Specification
  definition (also GSMA); it is *not* an ANSI X9.24 method, although payment HSMs and key-ceremony tools
  offer it for AES keys.
- ``KcvMethod.CMAC_ZEROS``: AES-CMAC over 16 zero bytes, leftmost at most 5 bytes. ANSI X9.24-1:2017
  (second method) and PCI PIN requirement 15-1 allow only this method for AES keys.
- ``KcvMethod.ECB_ZEROS``: E_K(00..00), the TDEA method applied to AES; legacy, seen in older HSMs.
"""

from __future__ import annotations

import enum
import logging

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from emv.crypto._validate import check_key, check_length
from emv.crypto.errors import DataError

log = logging.getLogger(__name__)

BLOCK_SIZE = 16
KEY_LENGTHS = (16, 24, 32)
_ZERO_IV = bytes(BLOCK_SIZE)


class KcvMethod(enum.Enum):
    """How an AES key check value is computed (see the module docstring for the source of each)."""

    ECB_ONES = "E_K(01..01), GlobalPlatform"
    CMAC_ZEROS = "CMAC_K(00..00), ANSI X9.24-1:2017"
    ECB_ZEROS = "E_K(00..00), legacy"


def _run(key: bytes, mode: modes.ECB | modes.CBC, data: bytes, *, encrypt: bool) -> bytes:
    check_key(key, KEY_LENGTHS)
    if len(data) % BLOCK_SIZE:
        raise DataError("data", f"length {len(data)} bytes is not a multiple of {BLOCK_SIZE}")
    cipher = Cipher(algorithms.AES(key), mode)
    ctx = cipher.encryptor() if encrypt else cipher.decryptor()
    return ctx.update(data) + ctx.finalize()


def encrypt_ecb(key: bytes, data: bytes) -> bytes:
    """Encrypt whole 16-byte blocks with AES in ECB mode (FIPS 197; ISO/IEC 10116, 6.1).

    >>> key = bytes.fromhex("000102030405060708090A0B0C0D0E0F")  # FIPS 197, Appendix C.1
    >>> encrypt_ecb(key, bytes.fromhex("00112233445566778899AABBCCDDEEFF")).hex()
    '69c4e0d86a7b0430d8cdb78070b4c55a'

    Raises:
        KeyLengthError: the key is not 16, 24 or 32 bytes.
        DataError: the data is not a multiple of 16 bytes.
    """
    return _run(key, modes.ECB(), data, encrypt=True)


def decrypt_ecb(key: bytes, data: bytes) -> bytes:
    """Decrypt whole 16-byte blocks with AES in ECB mode (FIPS 197; ISO/IEC 10116, 6.1).

    >>> key = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
    >>> decrypt_ecb(key, bytes.fromhex("69C4E0D86A7B0430D8CDB78070B4C55A")).hex()
    '00112233445566778899aabbccddeeff'

    Raises:
        KeyLengthError: the key is not 16, 24 or 32 bytes.
        DataError: the data is not a multiple of 16 bytes.
    """
    return _run(key, modes.ECB(), data, encrypt=False)


def encrypt_cbc(key: bytes, data: bytes, iv: bytes = _ZERO_IV) -> bytes:
    """Encrypt whole 16-byte blocks with AES in CBC mode (ISO/IEC 10116, 6.2); the IV defaults to zeros.

    >>> key = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")  # NIST SP 800-38A, F.2.1
    >>> iv = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
    >>> encrypt_cbc(key, bytes.fromhex("6BC1BEE22E409F96E93D7E117393172A"), iv).hex()
    '7649abac8119b246cee98e9b12e9197d'

    Raises:
        KeyLengthError: the key is not 16, 24 or 32 bytes.
        DataError: the data is not a multiple of 16 bytes, or the IV is not 16 bytes.
    """
    check_length(iv, (BLOCK_SIZE,), "IV")
    return _run(key, modes.CBC(iv), data, encrypt=True)


def decrypt_cbc(key: bytes, data: bytes, iv: bytes = _ZERO_IV) -> bytes:
    """Decrypt whole 16-byte blocks with AES in CBC mode (ISO/IEC 10116, 6.2).

    >>> key = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")
    >>> iv = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
    >>> decrypt_cbc(key, bytes.fromhex("7649ABAC8119B246CEE98E9B12E9197D"), iv).hex()
    '6bc1bee22e409f96e93d7e117393172a'

    Raises:
        KeyLengthError: the key is not 16, 24 or 32 bytes.
        DataError: the data is not a multiple of 16 bytes, or the IV is not 16 bytes.
    """
    check_length(iv, (BLOCK_SIZE,), "IV")
    return _run(key, modes.CBC(iv), data, encrypt=False)


def compute_kcv(key: bytes, *, method: KcvMethod, length: int = 3) -> bytes:
    """AES key check value by ``method``, leftmost ``length`` bytes (ANSI X9.24-1:2017; GlobalPlatform).

    ``length`` may be 2..3 for the ECB methods and 2..5 for CMAC, the maxima the sources allow.

    >>> key = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    >>> compute_kcv(key, method=KcvMethod.CMAC_ZEROS, length=5).hex().upper()
    '53E107B36E'
    >>> compute_kcv(key, method=KcvMethod.ECB_ZEROS).hex().upper()
    'FDE4FB'

    Raises:
        KeyLengthError: the key is not 16, 24 or 32 bytes.
        DataError: ``length`` is outside the range of the method.
    """
    longest = 5 if method is KcvMethod.CMAC_ZEROS else 3
    if not 2 <= length <= longest:
        raise DataError("KCV", f"length {length} outside 2..{longest}")
    if method is KcvMethod.CMAC_ZEROS:
        check_key(key, KEY_LENGTHS)
        mac = cmac.CMAC(algorithms.AES(key))
        mac.update(bytes(BLOCK_SIZE))
        return mac.finalize()[:length]
    block = b"\x01" * BLOCK_SIZE if method is KcvMethod.ECB_ONES else bytes(BLOCK_SIZE)
    return encrypt_ecb(key, block)[:length]
