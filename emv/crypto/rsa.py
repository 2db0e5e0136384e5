"""RSA for offline data authentication: recovery with a public key and raw signing for test keys
(EMV 4.4 Book 2, 5.1, 6.1 and Annex A2.1).

EMV certificates and signed data are raw RSA over a block the signer formats itself (6A .. hash BC), with
no PKCS#1 padding, so the recovery is ``pow()`` with a length and range check. ``cryptography`` offers no
unpadded private-key operation, so :func:`sign` takes a ``cryptography`` private key, reads its
``RSAPrivateNumbers`` and runs the CRT exponentiation with ``pow()`` itself, then checks the result with the
public exponent (a fault check). It is not constant-time: it exists for the test CA, issuers and virtual
cards, never for a production key.
"""

from __future__ import annotations

import logging

from cryptography.hazmat.primitives.asymmetric import rsa as _rsa

from emv.crypto.errors import RsaError

log = logging.getLogger(__name__)


def _modulus(modulus: int | bytes) -> tuple[int, int]:
    n = int.from_bytes(modulus, "big") if isinstance(modulus, bytes) else modulus
    if n < 3 or n % 2 == 0:
        raise RsaError("modulus", "is not an odd integer above 2")
    return n, (n.bit_length() + 7) // 8


def _check_input(data: bytes, n: int, n_len: int) -> int:
    if len(data) != n_len:
        raise RsaError("RSA input", f"length {len(data)} bytes, expected the modulus length {n_len}")
    x = int.from_bytes(data, "big")
    if x >= n:
        raise RsaError("RSA input", "is not less than the modulus")
    return x


def recover(data: bytes, modulus: int | bytes, exponent: int) -> bytes:
    """Recover X = data^e mod n, as many bytes as the modulus (EMV 4.4 Book 2, A2.1; 5.3 and 6.3 step 2).

    ``modulus`` is an int or its big-endian bytes; the length of a certificate or signature must equal the
    modulus length and its value must be below the modulus, else the data is not from this key.

    >>> recover(bytes([4]), 33, 3).hex()
    '1f'

    Raises:
        RsaError: the modulus is not an odd integer above 2, the exponent is not positive, the data length
            differs from the modulus length, or the data value is not less than the modulus.
    """
    n, n_len = _modulus(modulus)
    if exponent < 1:
        raise RsaError("exponent", "is not a positive integer")
    return pow(_check_input(data, n, n_len), exponent, n).to_bytes(n_len, "big")


def generate_private_key(bits: int, exponent: int = 3) -> _rsa.RSAPrivateKey:
    """A new RSA key for a test CA, issuer or virtual card; EMV exponents are 3 or 65537 (Book 2, 5.1).

    >>> generate_private_key(1024).public_key().public_numbers().e
    3

    Raises:
        RsaError: ``exponent`` is not 3 or 65537, or ``bits`` is not a multiple of 8 from 1024 to 2048
            (``cryptography`` generates no key below 1024 bits; EMV CA keys go up to 1984 bits).
    """
    if exponent not in (3, 65537):
        raise RsaError("exponent", f"{exponent} is not 3 or 65537")
    if bits % 8 or not 1024 <= bits <= 2048:
        raise RsaError("modulus", f"size {bits} bits is not a multiple of 8 in 1024..2048")
    return _rsa.generate_private_key(public_exponent=exponent, key_size=bits)


def sign(data: bytes, key: _rsa.RSAPrivateKey) -> bytes:
    """Raw RSA private-key operation S = data^d mod n, via CRT, for test keys (EMV 4.4 Book 2, A2.1).

    ``data`` is the formatted block (6A .. BC), as long as the modulus and below it.

    >>> key = generate_private_key(1024)
    >>> n = key.public_key().public_numbers().n
    >>> block = bytes.fromhex("6A") + bytes(126) + bytes.fromhex("BC")
    >>> recover(sign(block, key), n, 3) == block
    True

    Raises:
        RsaError: the data length differs from the modulus length, its value is not less than the modulus,
            or the result fails the public-exponent check (a fault in the computation).
    """
    numbers = key.private_numbers()
    public = numbers.public_numbers
    n, n_len = _modulus(public.n)
    x = _check_input(data, n, n_len)
    m_p = pow(x, numbers.dmp1, numbers.p)
    m_q = pow(x, numbers.dmq1, numbers.q)
    s = m_q + numbers.q * (numbers.iqmp * (m_p - m_q) % numbers.p)
    if pow(s, public.e, n) != x:
        raise RsaError("RSA signature", "failed the public-exponent check")
    return s.to_bytes(n_len, "big")
