"""Known-answer tests for emv.crypto.mac (ISO/IEC 9797-1 algorithms 1 and 3, AES-CMAC)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emv.crypto import des, mac
from emv.crypto.errors import DataError, KeyLengthError
from emv.crypto.mac import Padding


@pytest.mark.parametrize(
    ("data", "method", "padded"),
    [
        ("", Padding.METHOD_1, "0000000000000000"),
        ("1234", Padding.METHOD_1, "1234000000000000"),
        ("0011223344556677", Padding.METHOD_1, "0011223344556677"),
        ("", Padding.METHOD_2, "8000000000000000"),
        ("1234", Padding.METHOD_2, "1234800000000000"),
        ("0011223344556677", Padding.METHOD_2, "00112233445566778000000000000000"),
        ("00112233445566", Padding.METHOD_2, "0011223344556680"),
    ],
)
def test_padding_methods(data: str, method: Padding, padded: str) -> None:
    assert mac.pad(bytes.fromhex(data), method).hex().upper() == padded


def test_x9_9_cbc_mac() -> None:
    # FIPS 113 / ANSI X9.9 example: key 0123456789ABCDEF, "7654321 Now is the time for " -> F1D30F68.
    key = bytes.fromhex("0123456789ABCDEF")
    assert mac.generate_cbc_mac(key, b"7654321 Now is the time for ", length=4).hex().upper() == "F1D30F68"


def test_x9_19_dukpt_request_mac() -> None:
    # DOMAIN_FACTS test vector 11: X9.19 MAC of ASCII "4012345678909D987" under the MAC-request key of
    # KSN FFFF9876543210E00001 (X9.24-1:2009 A.4) = 9CCC7817.
    key = bytes.fromhex("042666B4918430A368DE9628D03984C9")
    assert mac.generate_retail_mac(key, b"4012345678909D987", length=4).hex().upper() == "9CCC7817"


@given(key=st.binary(min_size=16, max_size=16), data=st.binary(max_size=64), method=st.sampled_from(Padding))
@settings(max_examples=40, deadline=None)
def test_retail_mac_is_tdea_on_last_block(key: bytes, data: bytes, method: Padding) -> None:
    # Second computation: single-DES CBC over all but the last block, then 2-key TDEA on the last block.
    padded = mac.pad(data, method)
    chain = des.encrypt_cbc(key[:8], padded[:-8])[-8:] if len(padded) > 8 else bytes(8)
    last = bytes(a ^ b for a, b in zip(chain, padded[-8:], strict=True))
    assert mac.generate_retail_mac(key, data, method) == des.encrypt_ecb(key, last)


@given(key=st.binary(min_size=16, max_size=16), data=st.binary(max_size=64))
@settings(max_examples=20, deadline=None)
def test_cbc_mac_with_equal_halves_is_retail_mac(key: bytes, data: bytes) -> None:
    single = key[:8]
    assert mac.generate_cbc_mac(single, data) == mac.generate_retail_mac(single * 2, data)


@pytest.mark.parametrize(
    ("message", "tag"),
    [
        # NIST SP 800-38B, D.1 (AES-128): examples 1 to 3.
        ("", "bb1d6929e9593728 7fa37d129b756746"),
        ("6bc1bee22e409f96e93d7e117393172a", "070a16b46b4d4144f79bdd9dd04a287c"),
        (
            "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411",
            "dfa66747de9ae63030ca32611497c827",
        ),
    ],
)
def test_aes_cmac_sp800_38b(message: str, tag: str) -> None:
    key = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")
    assert mac.generate_aes_cmac(key, bytes.fromhex(message)) == bytes.fromhex(tag)
    assert mac.generate_aes_cmac(key, bytes.fromhex(message), 8) == bytes.fromhex(tag)[:8]


def test_mac_negative() -> None:
    with pytest.raises(KeyLengthError):
        mac.generate_retail_mac(bytes(8), b"data")
    with pytest.raises(KeyLengthError):
        mac.generate_retail_mac(bytes(24), b"data")
    with pytest.raises(KeyLengthError):
        mac.generate_aes_cmac(bytes(8), b"data")
    with pytest.raises(DataError):
        mac.generate_cbc_mac(bytes(8), b"data", length=3)
    with pytest.raises(DataError):
        mac.generate_aes_cmac(bytes(16), b"data", length=17)
    with pytest.raises(DataError):
        mac.pad(b"data", 3)  # type: ignore[arg-type]
