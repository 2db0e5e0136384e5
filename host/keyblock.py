"""Field 62 of the sign-on reply (0810): the working keys under the terminal master key (CUP POS profile).

Layout (DOMAIN_FACTS section A; Centerm ``AsyncSignTask.java``): PIK, MAK and optionally TDK, each as its
ciphertext under the TMK followed by a 4-byte check value, the first 4 bytes of E(clear key, 00 x 8)
(ANSI X9.24-1 check value). Single-length keys take 12 bytes a slot, double-length 20. Lengths 24/40/56/60/84
are reported for CUP acquirers; 24, 40 and 60 are the layouts above with two or three keys, and 36 the
single-length layout with a TDK. 56 and 84 are read here as triple-length (24-byte) keys, two or three of
them (28-byte slots): that fits both lengths but no public source confirms it [U]. In a double-length block
a MAK whose right 8 bytes of ciphertext are all zero is single-length.

Keys are wrapped and unwrapped with :mod:`emv.crypto.des` (ECB under the TMK).

>>> tmk = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
>>> pik, mak = bytes.fromhex("1111111111111111") * 2, bytes.fromhex("2222222222222222") * 2
>>> block = KeyBlock(wrap_key(tmk, pik), wrap_key(tmk, mak))
>>> len(block.to_field()), KeyBlock.from_field(block.to_field()) == block
(40, True)
>>> unwrap_key(tmk, block.mak) == mak
True
"""

from __future__ import annotations

from dataclasses import dataclass

from emv.crypto import des
from host.errors import Iso8583Error, KeyCheckError

__all__ = ["CHECK_VALUE_SIZE", "KeyBlock", "WorkingKey", "unwrap_key", "wrap_key"]

CHECK_VALUE_SIZE = 4
_SLOTS = {24: (2, 12), 36: (3, 12), 40: (2, 20), 56: (2, 28), 60: (3, 20), 84: (3, 28)}
"""Field length -> (number of keys, bytes per key slot)."""


@dataclass(frozen=True)
class WorkingKey:
    """One working key as delivered: ciphertext under the TMK (8, 16 or 24 bytes) and its check value."""

    ciphertext: bytes
    check_value: bytes

    def __post_init__(self) -> None:
        if len(self.ciphertext) not in (8, 16, 24) or len(self.check_value) != CHECK_VALUE_SIZE:
            raise Iso8583Error("working key is not 8, 16 or 24 bytes with a 4-byte check value", field=62)

    @property
    def effective_ciphertext(self) -> bytes:
        """The ciphertext without a zero right half: a single-length key in a double-length slot."""
        if len(self.ciphertext) == 16 and not any(self.ciphertext[8:]):
            return self.ciphertext[:8]
        return self.ciphertext


@dataclass(frozen=True)
class KeyBlock:
    """PIK, MAK and an optional TDK, all of one slot size."""

    pik: WorkingKey
    mak: WorkingKey
    tdk: WorkingKey | None = None

    def to_field(self) -> bytes:
        """The bytes of field 62.

        Raises:
            Iso8583Error: keys of different lengths.
        """
        keys = [k for k in (self.pik, self.mak, self.tdk) if k is not None]
        if len({len(k.ciphertext) for k in keys}) != 1:
            raise Iso8583Error("working keys of different lengths in one block", field=62)
        return b"".join(k.ciphertext + k.check_value for k in keys)

    @classmethod
    def from_field(cls, value: bytes) -> KeyBlock:
        """Split field 62 into its keys.

        >>> len(KeyBlock.from_field(bytes(24)).pik.ciphertext), KeyBlock.from_field(bytes(60)).tdk is None
        (8, False)

        Raises:
            Iso8583Error: a length other than 24, 36, 40, 56, 60 or 84 (``field`` 62).
        """
        layout = _SLOTS.get(len(value))
        if layout is None:
            raise Iso8583Error(f"key block of {len(value)} bytes, not 24/36/40/56/60/84", field=62)
        count, slot = layout
        keys = [
            WorkingKey(value[i : i + slot - CHECK_VALUE_SIZE], value[i + slot - CHECK_VALUE_SIZE : i + slot])
            for i in range(0, count * slot, slot)
        ]
        return cls(keys[0], keys[1], keys[2] if count == 3 else None)


def wrap_key(tmk: bytes, clear_key: bytes) -> WorkingKey:
    """Encrypt a working key under the TMK and attach its check value (the host's side of sign-on).

    >>> key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    >>> wrap_key(bytes.fromhex("0123456789ABCDEF"), key).check_value.hex().upper()  # DOMAIN_FACTS vector 3
    '08D7B4FB'

    Raises:
        KeyLengthError: a TMK or key not 8, 16 or 24 bytes (from :mod:`emv.crypto.des`).
    """
    return WorkingKey(des.encrypt_ecb(tmk, clear_key), des.compute_kcv(clear_key, CHECK_VALUE_SIZE))


def unwrap_key(tmk: bytes, key: WorkingKey) -> bytes:
    """Decrypt a working key under the TMK and check it against its check value (the terminal's side).

    A single-length key in a double-length slot (zero right half) comes back as 8 bytes.

    Raises:
        KeyCheckError: the decrypted key does not give the check value (``field`` 62); the key is not kept.
        KeyLengthError: a TMK not 8, 16 or 24 bytes.
    """
    clear = des.decrypt_ecb(tmk, key.effective_ciphertext)
    if des.compute_kcv(clear, CHECK_VALUE_SIZE) != key.check_value:
        raise KeyCheckError("working key does not match its check value", field=62)
    return clear
