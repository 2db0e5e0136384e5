"""AES DUKPT: initial key, derivation keys and working keys (ANSI X9.24-3:2017, 6.1-6.4; test data B.1).

The 12-byte KSN is the 8-byte initial key ID (IKID: BDK ID || derivation ID) and a 32-bit transaction counter
with at most 16 one bits (6.1). Every key is AES-ECB of 16-byte derivation data under the parent key
(6.3.1), the data being (6.3.2, tables 2 and 3): version 01 | block counter | key usage (2) | algorithm (2)
| length in bits (2) | 8 bytes, which are the IKID for the initial key and IKID[4:8] || counter for the
other keys. Keys longer than 128 bits take two blocks (counters 01 and 02), truncated to their length.
"""

from __future__ import annotations

import enum
import logging

from emv.crypto import aes
from emv.crypto._validate import check_key, check_length
from emv.crypto.errors import DataError, KsnError

log = logging.getLogger(__name__)

KSN_LENGTH = 12
IKID_LENGTH = 8
MAX_COUNTER_ONES = 16  # X9.24-3:2017, 6.1: counters with more "one" bits are skipped
_COUNTER_LIMIT = 1 << 32


class KeyUsage(enum.IntEnum):
    """Key usage indicator of the derivation data (X9.24-3:2017, 6.3.2, tables 2 and 3)."""

    KEY_ENCRYPTION = 0x0002
    PIN_ENCRYPTION = 0x1000
    MAC_GENERATION = 0x2000
    MAC_VERIFICATION = 0x2001
    MAC_BOTH = 0x2002
    DATA_ENCRYPTION = 0x3000
    DATA_DECRYPTION = 0x3001
    DATA_BOTH = 0x3002
    KEY_DERIVATION = 0x8000
    INITIAL_KEY = 0x8001


class KeyType(enum.Enum):
    """Algorithm indicator and length in bits of the derived key (X9.24-3:2017, 6.2.2 and 6.3.2)."""

    TDES2 = (0x0000, 128)
    TDES3 = (0x0001, 192)
    AES128 = (0x0002, 128)
    AES192 = (0x0003, 192)
    AES256 = (0x0004, 256)


_AES_BY_LENGTH = {16: KeyType.AES128, 24: KeyType.AES192, 32: KeyType.AES256}


def _derive(key: bytes, usage: KeyUsage, key_type: KeyType, tail: bytes) -> bytes:
    """X9.24-3:2017, 6.3.1: AES-ECB of the derivation data for block counters 1, 2.., truncated."""
    algorithm, bits = key_type.value
    head = usage.to_bytes(2, "big") + algorithm.to_bytes(2, "big") + bits.to_bytes(2, "big")
    blocks = -(-bits // 128)
    out = b"".join(aes.encrypt_ecb(key, bytes([1, n]) + head + tail) for n in range(1, blocks + 1))
    return out[: bits // 8]


def _split_ksn(ksn: bytes) -> tuple[bytes, int]:
    check_length(ksn, (KSN_LENGTH,), "KSN")
    counter = int.from_bytes(ksn[IKID_LENGTH:], "big")
    if counter == 0:
        raise KsnError("KSN", "transaction counter is 0, which no transaction uses")
    if counter.bit_count() > MAX_COUNTER_ONES:
        raise KsnError("KSN", f"transaction counter has {counter.bit_count()} one bits, more than 16")
    return ksn[:IKID_LENGTH], counter


def derive_initial_key(bdk: bytes, ikid: bytes) -> bytes:
    """The initial key loaded into the device, of the BDK's type and length (X9.24-3:2017, 6.3.1 and 6.3.3).

    >>> bdk = bytes.fromhex("FEDCBA9876543210F1F1F1F1F1F1F1F1")  # X9.24-3:2017, B.1
    >>> derive_initial_key(bdk, bytes.fromhex("1234567890123456")).hex().upper()
    '1273671EA26AC29AFA4D1084127652A1'

    Raises:
        KeyLengthError: the BDK is not 16, 24 or 32 bytes.
        DataError: the IKID is not 8 bytes.
    """
    check_key(bdk, aes.KEY_LENGTHS, "BDK")
    check_length(ikid, (IKID_LENGTH,), "initial key ID")
    return _derive(bdk, KeyUsage.INITIAL_KEY, _AES_BY_LENGTH[len(bdk)], ikid)


def derive_derivation_key(initial_key: bytes, ksn: bytes) -> bytes:
    """The intermediate derivation key of the KSN's counter, the "transaction key" (X9.24-3:2017, 6.1, 6.4).

    Starting from the initial key and a zero working counter, each counter bit that is set, from the
    highest, is set in the working counter and the next key is derived with usage 8000 (key derivation).

    >>> ik = bytes.fromhex("1273671EA26AC29AFA4D1084127652A1")
    >>> derive_derivation_key(ik, bytes.fromhex("123456789012345600000001")).hex().upper()
    '4F21B565BAD9835E112B6465635EAE44'

    Raises:
        KeyLengthError: the initial key is not 16, 24 or 32 bytes.
        DataError: the KSN is not 12 bytes.
        KsnError: the counter is 0 or has more than 16 one bits.
    """
    check_key(initial_key, aes.KEY_LENGTHS, "initial key")
    ikid, counter = _split_ksn(ksn)
    key_type = _AES_BY_LENGTH[len(initial_key)]
    key, working = initial_key, 0
    for bit in range(31, -1, -1):
        if counter >> bit & 1:
            working |= 1 << bit
            key = _derive(key, KeyUsage.KEY_DERIVATION, key_type, ikid[4:] + working.to_bytes(4, "big"))
    return key


def derive_working_key(
    initial_key: bytes, ksn: bytes, usage: KeyUsage, key_type: KeyType = KeyType.AES128
) -> bytes:
    """A working key for one transaction: a PIN, MAC or data key of ``key_type`` (X9.24-3:2017, 6.3.3).

    An AES working key may not be longer than the initial key (6.1.3); TDEA working keys are allowed from any
    AES initial key, as in the supplement's 2TDEA and 3TDEA suites.

    >>> ik = bytes.fromhex("1273671EA26AC29AFA4D1084127652A1")
    >>> ksn = bytes.fromhex("123456789012345600000001")
    >>> derive_working_key(ik, ksn, KeyUsage.PIN_ENCRYPTION).hex().upper()
    'AF8CB133A78F8DC2D1359F18527593FB'

    Raises:
        KeyLengthError: the initial key is not 16, 24 or 32 bytes.
        DataError: the KSN is not 12 bytes.
        KsnError: the counter is 0 or has more than 16 one bits.
        DataError: an AES ``key_type`` longer than the initial key.
    """
    algorithm, bits = key_type.value
    if algorithm >= KeyType.AES128.value[0] and bits > 8 * len(initial_key):
        raise DataError("working key type", f"{key_type.name} is longer than the initial key (6.1.3)")
    derivation_key = derive_derivation_key(initial_key, ksn)
    return _derive(derivation_key, KeyUsage(usage), key_type, ksn[4:])


def advance_ksn(ksn: bytes) -> bytes:
    """The next KSN a device uses: the next counter with at most 16 one bits (X9.24-3:2017, 6.1).

    >>> advance_ksn(bytes.fromhex("12345678901234560001FFFE")).hex().upper()
    '123456789012345600020000'

    Raises:
        DataError: the KSN is not 12 bytes.
        KsnError: the counter is exhausted (no valid counter follows).
    """
    check_length(ksn, (KSN_LENGTH,), "KSN")
    counter = int.from_bytes(ksn[IKID_LENGTH:], "big") + 1
    while counter.bit_count() > MAX_COUNTER_ONES:
        counter += counter & -counter  # skip every counter sharing these low bits
    if counter >= _COUNTER_LIMIT:
        raise KsnError("KSN", "transaction counter is exhausted; the device needs a new initial key")
    return ksn[:IKID_LENGTH] + counter.to_bytes(4, "big")
