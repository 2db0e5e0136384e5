"""RSA key pairs of the posemu test CA, issuers and virtual cards: TEST ONLY (EMV 4.4 Book 2, 5.1 and A2.1).

The keys were generated once and are stored as emulation data (``data/test_ca.toml``, ``data/card_keys.toml``)
so personalisation is deterministic and fast. The private operation is raw RSA, ``pow()`` on the private
exponent through the Chinese remainder theorem, because EMV signs and deciphers blocks it formats itself
(6A .. BC, 7F | PIN block ..) with no PKCS#1 padding, and ``cryptography`` offers no unpadded private-key
operation. It is not constant-time: acceptable for emulation keys, never for a production key. Every result is
checked with the public exponent (a fault check, as :func:`emv.crypto.rsa.sign` does).

ICC keys, which sign on every DDA/CDA transaction, are multi-prime (three primes, PKCS #1 v2.2 section 3.2;
``prime3`` in the key file, made by :mod:`emv.cards.keygen`): the public key (n, e) is an ordinary 1024-bit
EMV key, and the private operation costs three 342-bit exponentiations instead of two 512-bit ones, less
than half the time in pure Python. What a card computes inside is its own business; the terminal sees no
difference.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from emv.cards.errors import ProfileError
from emv.cards.resources import read_package_toml
from emv.crypto.errors import RsaError

__all__ = ["RsaKeyPair", "load_ca_key", "load_card_key"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RsaKeyPair:
    """An RSA key pair; the repr shows the size and exponent only.

    >>> k = RsaKeyPair(n=3233, e=17, d=2753, p=61, q=53)
    >>> k
    RsaKeyPair(1.5 bytes, e=17)
    >>> signed = k.private_op(bytes([0x0A, 0x0B]))
    >>> pow(int.from_bytes(signed, "big"), 17, 3233) == 0x0A0B
    True
    >>> k3 = RsaKeyPair(n=61 * 53 * 71, e=11, d=pow(11, -1, 60 * 52 * 70), p=61, q=53, more=(71,))
    >>> pow(int.from_bytes(k3.private_op(bytes([0x00, 0x1F, 0x0B])), "big"), 11, k3.n) == 0x1F0B
    True
    """

    n: int = field(repr=False)
    e: int
    d: int = field(repr=False)
    p: int = field(repr=False)
    q: int = field(repr=False)
    more: tuple[int, ...] = field(default=(), repr=False)  # primes beyond two: multi-prime RSA

    @property
    def modulus_len(self) -> int:
        """Length of the modulus in bytes (N_CA, N_I or N_IC of Book 2)."""
        return (self.n.bit_length() + 7) // 8

    @property
    def modulus(self) -> bytes:
        """The modulus, big-endian, ``modulus_len`` bytes."""
        return self.n.to_bytes(self.modulus_len, "big")

    @property
    def exponent(self) -> bytes:
        """The public exponent as EMV stores it: ``03`` or ``01 00 01`` (Book 2, 5.1)."""
        return self.e.to_bytes((self.e.bit_length() + 7) // 8, "big")

    @cached_property
    def _crt(self) -> tuple[tuple[int, int, int], ...]:
        """Per prime: (prime, d mod (prime - 1), inverse of the earlier primes' product) (RFC 8017 3.2)."""
        out = []
        product = 1
        for r in (self.q, self.p, *self.more):
            out.append((r, self.d % (r - 1), pow(product, -1, r) if product > 1 else 1))
            product *= r
        return tuple(out)

    def private_op(self, block: bytes) -> bytes:
        """Raw RSA ``block^d mod n`` by CRT, as many bytes as the modulus (Book 2, A2.1).

        Raises:
            RsaError: the block is not as long as the modulus, not below it, or fails the fault check.
        """
        if len(block) != self.modulus_len:
            raise RsaError("RSA input", f"length {len(block)} bytes, expected {self.modulus_len}")
        x = int.from_bytes(block, "big")
        if x >= self.n:
            raise RsaError("RSA input", "is not less than the modulus")
        # Garner's recombination over every prime (RFC 8017 5.1.2, step 2b)
        s, product = 0, 1
        for r, d_r, inv in self._crt:
            m_r = pow(x, d_r, r)
            s += product * ((m_r - s) * inv % r)
            product *= r
        if pow(s, self.e, self.n) != x:
            raise RsaError("RSA result", "failed the public-exponent check")
        return s.to_bytes(self.modulus_len, "big")

    def __str__(self) -> str:
        return repr(self)

    def __repr__(self) -> str:
        return f"RsaKeyPair({self.n.bit_length() / 8:g} bytes, e={self.e})"


def _hex_int(entry: dict[str, Any], name: str, where: str) -> int:
    value = entry.get(name)
    if not isinstance(value, str):
        raise ProfileError("keys", f"{where}.{name}", "is missing")
    try:
        return int("".join(value.split()), 16)
    except ValueError:
        raise ProfileError("keys", f"{where}.{name}", "is not hex") from None


def _key_from(entry: dict[str, Any], where: str) -> RsaKeyPair:
    n, d = _hex_int(entry, "modulus", where), _hex_int(entry, "private_exponent", where)
    p, q = _hex_int(entry, "prime1", where), _hex_int(entry, "prime2", where)
    more = (_hex_int(entry, "prime3", where),) if "prime3" in entry else ()
    e = entry.get("exponent")
    product = p * q
    for r in more:
        product *= r
    if e not in (3, 65537) or product != n or n.bit_length() != entry.get("bits"):
        raise ProfileError("keys", where, "is not a consistent RSA key (exponent, primes or size)")
    return RsaKeyPair(n=n, e=e, d=d, p=p, q=q, more=more)


@functools.cache
def load_ca_key(rid: bytes) -> tuple[int, RsaKeyPair]:
    """The posemu test CA key for a RID and its CA public key index (``8F``).

    Raises:
        ProfileError: no test CA key for that RID, or a malformed key entry.
    """
    for entry in read_package_toml("data", "test_ca").get("ca", []):
        if entry.get("rid", "").upper() == rid.hex().upper():
            return int(entry["index"], 16), _key_from(entry, f"ca.{entry['rid']}")
    raise ProfileError("keys", f"ca.{rid.hex().upper()}", "has no test CA key")


@functools.cache
def load_card_key(kind: str, name: str) -> RsaKeyPair:
    """An issuer (``kind="issuer"``) or ICC (``kind="icc"``) key from ``data/card_keys.toml``.

    Raises:
        ProfileError: no such key, or a malformed key entry.
    """
    entry = read_package_toml("data", "card_keys").get(kind, {}).get(name)
    if not isinstance(entry, dict):
        raise ProfileError("keys", f"{kind}.{name}", "is not in data/card_keys.toml")
    return _key_from(entry, f"{kind}.{name}")
