"""Tests for emv.crypto.rsa: recovery checks and raw signing with test keys (EMV 4.4 Book 2, A2.1)."""

from __future__ import annotations

import functools

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa as crypto_rsa

from emv.crypto import rsa
from emv.crypto.errors import RsaError


@functools.cache
def key(bits: int = 1024, exponent: int = 3) -> crypto_rsa.RSAPrivateKey:
    return rsa.generate_private_key(bits, exponent)


def block(n_len: int, fill: int = 0xBB) -> bytes:
    """A Book 2 style recovered-data frame: 6A .. BC (the content does not matter to RSA)."""
    return b"\x6a" + bytes([fill]) * (n_len - 2) + b"\xbc"


@pytest.mark.parametrize(("bits", "exponent"), [(1024, 3), (1152, 3), (1408, 65537), (1984, 3)])
def test_sign_then_recover(bits: int, exponent: int) -> None:
    private = key(bits, exponent)
    numbers = private.public_key().public_numbers()
    n_len = bits // 8
    data = block(n_len)
    signature = rsa.sign(data, private)
    assert len(signature) == n_len
    # Independent check: the signature is data^d mod n.
    assert int.from_bytes(signature, "big") == pow(
        int.from_bytes(data, "big"), private.private_numbers().d, numbers.n
    )
    assert rsa.recover(signature, numbers.n, numbers.e) == data
    assert rsa.recover(signature, numbers.n.to_bytes(n_len, "big"), numbers.e) == data


def test_textbook_example() -> None:
    # n = 3233 (61 * 53), e = 17, d = 413: 65^17 mod 3233 = 2790 and 2790^413 mod 3233 = 65.
    assert rsa.recover((65).to_bytes(2, "big"), 3233, 17) == (2790).to_bytes(2, "big")
    assert rsa.recover((2790).to_bytes(2, "big"), 3233, 413) == (65).to_bytes(2, "big")


def test_recover_rejects_wrong_length_and_large_values() -> None:
    numbers = key().public_key().public_numbers()
    with pytest.raises(RsaError) as info:
        rsa.recover(bytes(127), numbers.n, 3)
    assert str(info.value) == "RSA input length 127 bytes, expected the modulus length 128"
    with pytest.raises(RsaError):
        rsa.recover(bytes(129), numbers.n, 3)
    with pytest.raises(RsaError) as info:
        rsa.recover(numbers.n.to_bytes(128, "big"), numbers.n, 3)
    assert "not less than the modulus" in str(info.value)
    with pytest.raises(RsaError):
        rsa.recover(b"\xff" * 128, numbers.n, 3)
    with pytest.raises(RsaError):
        rsa.recover(bytes(2), 3232, 3)  # even modulus
    with pytest.raises(RsaError):
        rsa.recover(bytes(1), 33, 0)


def test_sign_rejects_bad_input() -> None:
    private = key()
    n = private.public_key().public_numbers().n
    with pytest.raises(RsaError):
        rsa.sign(bytes(127), private)
    with pytest.raises(RsaError):
        rsa.sign(n.to_bytes(128, "big"), private)


def test_generate_limits() -> None:
    with pytest.raises(RsaError):
        rsa.generate_private_key(1024, 5)
    with pytest.raises(RsaError):
        rsa.generate_private_key(768)
    with pytest.raises(RsaError):
        rsa.generate_private_key(1028)
