"""Generate multi-prime RSA test keys for virtual cards: TEST ONLY (PKCS #1 v2.2 / RFC 8017 section 3.2).

``cryptography`` generates two-prime keys only, so the three-prime ICC keys of the virtual cards are made
here: random primes from :mod:`secrets`, Miller-Rabin with 40 rounds, each prime chosen so that the public
exponent is invertible modulo ``prime - 1``, the modulus exactly ``bits`` long. Run once to write a key into
``data/card_keys.toml``::

    python -m emv.cards.keygen icc.visa-cda 1024 3
"""

from __future__ import annotations

import math
import secrets
import sys

__all__ = ["generate_multiprime", "is_probable_prime", "toml_entry"]

_SMALL_PRIMES = (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97)


def is_probable_prime(n: int, rounds: int = 40) -> bool:
    """Miller-Rabin with random bases (error below 4**-rounds).

    >>> [k for k in range(2, 40) if is_probable_prime(k)]
    [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
    >>> is_probable_prime(2**127 - 1), is_probable_prime(2**127 + 1)
    (True, False)
    """
    if n < 2:
        return False
    for p in (2, *_SMALL_PRIMES):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while not d & 1:
        d, s = d >> 1, s + 1
    for _ in range(rounds):
        a = 2 + secrets.randbelow(n - 3)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, e: int) -> int:
    while True:
        candidate = (
            secrets.randbits(bits) | (3 << (bits - 2)) | 1
        )  # top two bits set: products keep their size
        if math.gcd(candidate - 1, e) == 1 and is_probable_prime(candidate):
            return candidate


def generate_multiprime(bits: int, e: int = 3, count: int = 3) -> tuple[int, int, list[int]]:
    """(n, d, primes) of a ``count``-prime RSA key whose modulus has exactly ``bits`` bits.

    >>> n, d, primes = generate_multiprime(256, 3, 3)
    >>> n.bit_length(), math.prod(primes) == n, pow(pow(12345, 3, n), d, n)
    (256, True, 12345)
    """
    size = bits // count
    while True:
        primes = [_prime(size + (1 if k < bits % count else 0), e) for k in range(count)]
        n = math.prod(primes)
        if n.bit_length() == bits and len(set(primes)) == count:
            lam = math.lcm(*(p - 1 for p in primes))
            return n, pow(e, -1, lam), primes


def _hex_block(value: int, width: int) -> str:
    text = f"{value:0{width}X}"
    return '"""\n' + "\n".join(text[k : k + 96] for k in range(0, len(text), 96)) + '"""'


def toml_entry(name: str, bits: int, e: int) -> str:
    """A ``card_keys.toml`` table for a new three-prime key."""
    n, d, primes = generate_multiprime(bits, e)
    width = bits // 4
    lines = [f"[{name}]", 'label = "TEST ONLY"', f"bits = {bits}", f"exponent = {e}"]
    lines.append(f"modulus = {_hex_block(n, width)}")
    lines.append(f"private_exponent = {_hex_block(d, width)}")
    for k, p in enumerate(primes, 1):
        lines.append(f"prime{k} = {_hex_block(p, (p.bit_length() + 7) // 8 * 2)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(toml_entry(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
