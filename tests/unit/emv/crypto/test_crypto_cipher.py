"""Known-answer tests for emv.crypto.des and emv.crypto.aes (DOMAIN_FACTS vector 3; FIPS/NIST examples)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from emv.crypto import aes, des
from emv.crypto.errors import CryptoError, DataError, KeyLengthError

KEY_0123 = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")


def test_kcv_vector_3() -> None:
    # DOMAIN_FACTS test vector 3: E(0^8) under 0123..3210, first 4 bytes; pyemv check digits are the first 2.
    assert des.compute_kcv(KEY_0123, 4).hex().upper() == "08D7B4FB"
    assert des.compute_kcv(KEY_0123, 2).hex().upper() == "08D7"
    assert des.compute_kcv(KEY_0123).hex().upper() == "08D7B4"


@pytest.mark.parametrize(
    ("key", "plain", "cipher"),
    [
        # Classic single-DES example (FIPS 46 worked example, key 133457799BBCDFF1).
        ("133457799BBCDFF1", "0123456789ABCDEF", "85E813540F0AB405"),
        # Single DES, key 0123456789ABCDEF, "Now is t" (FIPS 81 ECB example).
        ("0123456789ABCDEF", "4E6F772069732074", "3FA40E8A984D4815"),
    ],
)
def test_single_des_known_answers(key: str, plain: str, cipher: str) -> None:
    k = bytes.fromhex(key)
    assert des.encrypt_ecb(k, bytes.fromhex(plain)).hex().upper() == cipher
    assert des.decrypt_ecb(k, bytes.fromhex(cipher)).hex().upper() == plain


def test_des_cbc_fips81_example() -> None:
    # FIPS 81, CBC example: key 0123456789ABCDEF, IV 1234567890ABCDEF, "Now is the time for all ".
    key, iv = bytes.fromhex("0123456789ABCDEF"), bytes.fromhex("1234567890ABCDEF")
    out = des.encrypt_cbc(key, b"Now is the time for all ", iv)
    assert out.hex().upper() == "E5C7CDDE872BF27C43E934008C389C0F683788499A7C05F6"
    assert des.decrypt_cbc(key, out, iv) == b"Now is the time for all "


@given(
    k1=st.binary(min_size=8, max_size=8),
    k2=st.binary(min_size=8, max_size=8),
    data=st.binary(min_size=8, max_size=8),
)
@settings(max_examples=30, deadline=None)
def test_key_lengths_are_keying_options(k1: bytes, k2: bytes, data: bytes) -> None:
    # 8 bytes = K|K|K, 16 bytes = K1|K2|K1: the 24-byte forms must give the same result.
    assert des.encrypt_ecb(k1, data) == des.encrypt_ecb(k1 * 3, data)
    assert des.encrypt_ecb(k1 + k2, data) == des.encrypt_ecb(k1 + k2 + k1, data)
    # TDEA with K1|K2|K1 is E_K1(D_K2(E_K1(x))).
    assert des.encrypt_ecb(k1 + k2, data) == des.encrypt_ecb(
        k1, des.decrypt_ecb(k2, des.encrypt_ecb(k1, data))
    )


@given(key=st.binary(min_size=1, max_size=32))
@settings(max_examples=40, deadline=None)
def test_adjust_parity(key: bytes) -> None:
    adjusted = des.adjust_parity(key)
    assert des.has_odd_parity(adjusted)
    assert all(a & 0xFE == b & 0xFE for a, b in zip(adjusted, key, strict=True))
    assert des.adjust_parity(adjusted) == adjusted


def test_aes_fips197_and_sp800_38a() -> None:
    key = bytes.fromhex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")  # FIPS 197, C.3
    plain = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    assert aes.encrypt_ecb(key, plain).hex() == "8ea2b7ca516745bfeafc49904b496089"
    assert aes.decrypt_ecb(key, bytes.fromhex("8EA2B7CA516745BFEAFC49904B496089")) == plain
    key = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")  # SP 800-38A, F.2.1, blocks 1-2
    iv = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
    data = bytes.fromhex("6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E51")
    out = aes.encrypt_cbc(key, data, iv)
    assert out.hex() == "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
    assert aes.decrypt_cbc(key, out, iv) == data


def test_aes_kcv_methods() -> None:
    key = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    # Third-party values (CyberChef payments fork test suite): CMAC over zeros and ECB of zeros.
    assert aes.compute_kcv(key, method=aes.KcvMethod.CMAC_ZEROS).hex().upper() == "53E107"
    assert aes.compute_kcv(key, method=aes.KcvMethod.ECB_ZEROS).hex().upper() == "FDE4FB"
    # No published E_K(01..) value was found: check against an independent computation.
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    assert aes.compute_kcv(key, method=aes.KcvMethod.ECB_ONES) == enc.update(b"\x01" * 16)[:3]
    mac = cmac.CMAC(algorithms.AES(key))
    mac.update(bytes(16))
    assert aes.compute_kcv(key, method=aes.KcvMethod.CMAC_ZEROS, length=5) == mac.finalize()[:5]


@pytest.mark.parametrize("length", [0, 7, 9, 12, 20, 32])
def test_des_rejects_key_lengths(length: int) -> None:
    with pytest.raises(KeyLengthError) as info:
        des.encrypt_ecb(bytes(length), bytes(8))
    assert info.value.field == "key"
    assert isinstance(info.value, CryptoError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("length", [8, 15, 17, 20, 33])
def test_aes_rejects_key_lengths(length: int) -> None:
    with pytest.raises(KeyLengthError):
        aes.encrypt_ecb(bytes(length), bytes(16))
    with pytest.raises(KeyLengthError):
        aes.compute_kcv(bytes(length), method=aes.KcvMethod.CMAC_ZEROS)


def test_partial_blocks_and_bad_iv() -> None:
    with pytest.raises(DataError):
        des.encrypt_ecb(KEY_0123, bytes(7))
    with pytest.raises(DataError):
        aes.decrypt_cbc(KEY_0123, bytes(17))
    with pytest.raises(DataError):
        des.encrypt_cbc(KEY_0123, bytes(8), iv=bytes(16))
    with pytest.raises(DataError):
        aes.encrypt_cbc(KEY_0123, bytes(16), iv=bytes(8))


def test_kcv_length_limits() -> None:
    with pytest.raises(DataError):
        des.compute_kcv(KEY_0123, 9)
    with pytest.raises(DataError):
        aes.compute_kcv(KEY_0123, method=aes.KcvMethod.ECB_ONES, length=4)
    with pytest.raises(DataError):
        aes.compute_kcv(KEY_0123, method=aes.KcvMethod.CMAC_ZEROS, length=6)


def test_key_error_message_holds_no_key_bytes() -> None:
    key = bytes.fromhex("0123456789ABCDEFFEDCBA98765432")
    with pytest.raises(KeyLengthError) as info:
        des.encrypt_ecb(key, bytes(8))
    assert str(info.value) == "key length 15 bytes, expected 8, 16 or 24"
    assert key.hex().upper()[:6] not in str(info.value).upper()
