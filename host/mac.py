"""Field 64, the message authentication code of the CUP POS profile, and its alternatives.

Profiles:

- ``cup-ecb``, the UnionPay POS-centre "ECB" MAC (DOMAIN_FACTS section A): the MAC block (MAB) is the
  message bytes from the MTI to the end of field 63; pad it with ``00`` to a multiple of 8, XOR all 8-byte
  blocks, expand the result to 16 upper-case hex characters, encrypt the first 8 characters with the MAK,
  XOR with the last 8, encrypt again, expand to hex: the first 8 ASCII characters are field 64. The MAK is
  single DES (8 bytes) or TDES (16 or 24).
- ``x9.19``, the ANSI X9.19 retail MAC, ISO/IEC 9797-1 MAC algorithm 3 with padding method 1 over the same
  MAB, 16-byte MAK, field 64 binary; and ``x9.9``, ISO/IEC 9797-1 algorithm 1 (CBC-MAC) with any DES/TDES
  key, seen at some acquirers. Both come from :mod:`emv.crypto.mac`.

A profile may select fields instead (a production terminal configures a ``mab-filter`` per transaction):
the MAB is then the MTI and the selected fields present, in field order, each with its length prefix as
encoded. That layout is this module's reading of the configuration, not a published definition [U].
"""

from __future__ import annotations

import enum
import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, modes

from emv.crypto import des
from emv.crypto import mac as iso9797
from host.errors import MacError
from host.protocol import Message, encode_body, field_segments

__all__ = [
    "CUP_ECB",
    "X9_19",
    "CupEcbMac",
    "MacAlgorithm",
    "MacProfile",
    "build_mab",
    "compute_mac",
    "cup_ecb_mac",
    "mac_message",
    "verify_mac",
]

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # cryptography < 43 has no decrepit module
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

_MAC_FIELD = 64
_MAC_SIZE = 8


class MacAlgorithm(enum.StrEnum):
    """How the MAB becomes field 64."""

    CUP_ECB = "cup-ecb"
    X9_19 = "x9.19"
    X9_9 = "x9.9"


@dataclass(frozen=True)
class MacProfile:
    """The algorithm, and the fields of the MAB: None for the message from the MTI to field 63."""

    algorithm: MacAlgorithm = MacAlgorithm.CUP_ECB
    fields: tuple[int, ...] | None = None


CUP_ECB = MacProfile()
"""The UnionPay POS-centre MAC over MTI..field 63 (the default)."""
X9_19 = MacProfile(MacAlgorithm.X9_19)
"""The ANSI X9.19 retail MAC over MTI..field 63."""


def cup_ecb_mac(mak: bytes, mab: bytes) -> bytes:
    """The UnionPay "ECB" MAC of ``mab``: the 8 ASCII hex characters that go into field 64.

    >>> mak = bytes.fromhex("0123456789ABCDEF")
    >>> cup_ecb_mac(mak, bytes.fromhex("0200702406C020C19A31"))
    b'D0216A1B'

    Raises:
        KeyLengthError: a MAK not 8, 16 or 24 bytes.
    """
    expanded = _xor_blocks(mab).hex().upper().encode("ascii")
    first = des.encrypt_ecb(mak, expanded[:8])
    second = des.encrypt_ecb(mak, _xor8(first, expanded[8:]))
    return second.hex().upper().encode("ascii")[:_MAC_SIZE]


def _xor_blocks(mab: bytes) -> bytes:
    """The XOR of the 8-byte blocks of ``mab`` padded with ``00``: halves XOR'd as big ints, no byte loop."""
    data = mab + bytes(-len(mab) % 8) if mab else bytes(8)
    while len(data) > 8:
        if len(data) % 16:
            data += bytes(8)
        half = len(data) // 2
        data = (int.from_bytes(data[:half], "big") ^ int.from_bytes(data[half:], "big")).to_bytes(half, "big")
    return data


def _xor8(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(8, "big")


class CupEcbMac:
    """One MAK ready for many CUP ECB MACs: the cipher context is made once, for a host's hot path.

    >>> mak, mab = bytes.fromhex("0123456789ABCDEF"), bytes.fromhex("0200702406C020C19A31")
    >>> CupEcbMac(mak).mac(mab), cup_ecb_mac(mak, mab)
    (b'D0216A1B', b'D0216A1B')

    Raises:
        KeyLengthError: a MAK not 8, 16 or 24 bytes.
    """

    __slots__ = ("_encrypt",)

    def __init__(self, mak: bytes) -> None:
        des.encrypt_ecb(mak, bytes(8))  # checks the key length
        full = mak * 3 if len(mak) == 8 else mak + mak[:8] if len(mak) == 16 else mak
        self._encrypt = Cipher(TripleDES(full), modes.ECB()).encryptor().update

    def mac(self, mab: bytes) -> bytes:
        """Field 64 of ``mab``, as :func:`cup_ecb_mac` computes it."""
        expanded = _xor_blocks(mab).hex().upper().encode("ascii")
        first = self._encrypt(expanded[:8])
        return self._encrypt(_xor8(first, expanded[8:])).hex().upper().encode("ascii")[:_MAC_SIZE]


def compute_mac(mab: bytes, mak: bytes, algorithm: MacAlgorithm = MacAlgorithm.CUP_ECB) -> bytes:
    """Field 64 for a MAB under ``algorithm``: 8 ASCII characters (cup-ecb) or 8 binary bytes.

    >>> compute_mac(b"", bytes.fromhex("0123456789ABCDEF"), MacAlgorithm.X9_9).hex().upper()
    'D5D44FF720683D0D'

    Raises:
        KeyLengthError: a MAK of a length the algorithm does not take (X9.19 needs 16 bytes).
    """
    if algorithm is MacAlgorithm.CUP_ECB:
        return cup_ecb_mac(mak, mab)
    if algorithm is MacAlgorithm.X9_19:
        return iso9797.generate_retail_mac(mak, mab, iso9797.Padding.METHOD_1)
    return iso9797.generate_cbc_mac(mak, mab, iso9797.Padding.METHOD_1)


def build_mab(msg: Message, profile: MacProfile = CUP_ECB) -> bytes:
    """The MAC block of ``msg``: as if field 64 were present (its bit set in the bitmap), without it.

    >>> build_mab(Message("0820", {11: "000007"})).hex().upper()
    '08200020000000000001000007'

    Raises:
        Iso8583Error: the message does not encode (see :func:`host.protocol.encode_body`).
    """
    with_mac = msg.with_fields({_MAC_FIELD: bytes(_MAC_SIZE)})
    if profile.fields is None:
        return encode_body(with_mac)[:-_MAC_SIZE]
    segments = field_segments(with_mac)
    return bytes.fromhex(msg.mti) + b"".join(
        segments[n] for n in sorted(set(profile.fields)) if n in segments
    )


def mac_message(msg: Message, mak: bytes, profile: MacProfile = CUP_ECB) -> Message:
    """A copy of ``msg`` with field 64 set to its MAC under ``mak``.

    >>> signed = mac_message(Message("0820", {11: "000007"}), bytes.fromhex("0123456789ABCDEF"))
    >>> signed[64], verify_mac(signed, bytes.fromhex("0123456789ABCDEF"))
    (b'320C5FAE', None)

    Raises:
        Iso8583Error: the message does not encode.
        KeyLengthError: a MAK the algorithm does not take.
    """
    return msg.with_fields({_MAC_FIELD: compute_mac(build_mab(msg, profile), mak, profile.algorithm)})


def verify_mac(msg: Message, mak: bytes, profile: MacProfile = CUP_ECB) -> None:
    """Check field 64 of a received message (compared in constant time).

    Raises:
        MacError: field 64 is absent or differs from the MAC computed under ``mak`` (``field`` 64).
        Iso8583Error: the message does not encode.
        KeyLengthError: a MAK the algorithm does not take.
    """
    received = msg.get(_MAC_FIELD)
    if not isinstance(received, bytes):
        raise MacError("message carries no MAC", field=_MAC_FIELD)
    expected = compute_mac(build_mab(msg, profile), mak, profile.algorithm)
    if not hmac.compare_digest(received, expected):
        raise MacError("MAC does not match", field=_MAC_FIELD)
