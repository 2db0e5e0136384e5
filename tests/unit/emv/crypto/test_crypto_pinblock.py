"""Tests for emv.crypto.pinblock (DOMAIN_FACTS test vector 10; the X9.24-3 supplement's format 4 example)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emv.crypto import pinblock
from emv.crypto.errors import CryptoError, DataError, KeyLengthError, PanError, PinBlockError, PinError
from emv.crypto.pinblock import PinBlockFormat

PAN = "4012345678909"
AES_KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")


def assert_redacted(err: CryptoError, *secrets: str) -> None:
    """The message names the problem, never the PIN or PAN: no secret, no run of 4 or more digits."""
    message = str(err)
    assert not re.search(r"\d{4,}", message), message
    for secret in secrets:
        assert not secret or secret not in message, message


def test_vector_10_iso0() -> None:
    # PINB fmt0 test / X9.24-1 A.4: PIN 1234, PAN 4012345678909.
    block = pinblock.encode_pin_block("1234", PinBlockFormat.ISO_0, PAN)
    assert block.hex().upper() == "041274EDCBA9876F"
    assert pinblock.decode_pin_block(block, PAN) == "1234"


def test_vector_10_iso1() -> None:
    # PINB fmt1 test: PIN 12345, fill EDCBA9876.
    block = pinblock.encode_pin_block("12345", PinBlockFormat.ISO_1, fill="EDCBA9876")
    assert block.hex().upper() == "1512345EDCBA9876"
    assert pinblock.decode_pin_block(block) == "12345"


def test_vector_10_iso4_decipher() -> None:
    # PSEC doctest: K 0011..EEFF, PAN 1234567890123456.
    block = bytes.fromhex("E4BE5B623AF7E006AC319E5B93544564")
    assert pinblock.decipher_iso4(AES_KEY, block, "1234567890123456") == "1234"


def test_iso4_x9_24_3_supplement_example() -> None:
    # Format 4 example published with the X9.24-3-2017 test vectors (as reproduced by several open-source
    # suites): PIN 1234, PAN 4111111111111111, random 2F69ADDE2E9E7ACE, AES DUKPT PIN keys of counters 1, 2.
    key1 = bytes.fromhex("AF8CB133A78F8DC2D1359F18527593FB")
    random_part = bytes.fromhex("2F69ADDE2E9E7ACE")
    block = pinblock.encipher_iso4(key1, "1234", "4111111111111111", random_part=random_part)
    assert block.hex().upper() == "A912150391AB65A67E52883D81CE2D15"
    assert pinblock.decipher_iso4(key1, block, "4111111111111111") == "1234"
    key2 = bytes.fromhex("D30BDC73EC9714B000BEC66BDB7B6D09")
    block2 = bytes.fromhex("52A00503BD34BA1383F6A7EE9FE2547F")
    assert pinblock.decipher_iso4(key2, block2, "4111111111111111") == "1234"


def test_iso2_and_iso3() -> None:
    assert pinblock.encode_pin_block("1234", PinBlockFormat.ISO_2).hex().upper() == "241234FFFFFFFFFF"
    assert pinblock.decode_pin_block(bytes.fromhex("26123456FFFFFFFF")) == "123456"
    # Third-party example (CyberChef payments fork): PIN 1234, PAN 5432101234567890, fill A..A.
    block = pinblock.encode_pin_block("1234", PinBlockFormat.ISO_3, "5432101234567890", fill="AAAAAAAAAA")
    assert block.hex().upper() == "341215AB89EFCD23"
    assert pinblock.decode_pin_block(block, "5432101234567890") == "1234"


def test_random_fills() -> None:
    nibbles = pinblock.encode_pin_block("1234", PinBlockFormat.ISO_3, PAN).hex().upper()
    assert nibbles[0] == "3"
    clear = pinblock.encode_pin_block("1234", PinBlockFormat.ISO_1).hex().upper()
    assert clear.startswith("141234")
    blocks = {pinblock.encipher_iso4(AES_KEY, "1234", PAN) for _ in range(4)}
    assert len(blocks) == 4  # the 8 random bytes differ


pins = st.text(alphabet="0123456789", min_size=4, max_size=12)
pans = st.text(alphabet="0123456789", min_size=8, max_size=19)


@given(pin=pins, pan=pans, fmt=st.sampled_from(PinBlockFormat))
@settings(max_examples=60, deadline=None)
def test_round_trip_clear_formats(pin: str, pan: str, fmt: PinBlockFormat) -> None:
    block = pinblock.encode_pin_block(pin, fmt, pan)
    assert len(block) == 8
    assert pinblock.decode_pin_block(block, pan) == pin


@given(pin=pins, pan=pans, key=st.sampled_from([AES_KEY, bytes(24), bytes(range(32))]))
@settings(max_examples=40, deadline=None)
def test_round_trip_iso4(pin: str, pan: str, key: bytes) -> None:
    block = pinblock.encipher_iso4(key, pin, pan)
    assert len(block) == 16
    assert pinblock.decipher_iso4(key, block, pan) == pin


@pytest.mark.parametrize("pin", ["123", "1234567890123", "12a4", "12 34", "١٢٣٤", ""])
def test_bad_pins(pin: str) -> None:
    with pytest.raises(PinError) as info:
        pinblock.encode_pin_block(pin, PinBlockFormat.ISO_0, PAN)
    assert_redacted(info.value, pin)
    with pytest.raises(PinError) as info:
        pinblock.encipher_iso4(AES_KEY, pin, PAN)
    assert_redacted(info.value, pin)


def test_pin_error_message() -> None:
    with pytest.raises(PinError) as info:
        pinblock.encode_pin_block("123", PinBlockFormat.ISO_2)
    assert str(info.value) == "PIN length 3 outside 4..12"


@pytest.mark.parametrize("pan", ["40123456789O9", "4012-3456-7890", "4012345", "40123456789012345678"])
def test_bad_pans(pan: str) -> None:
    with pytest.raises(PanError) as info:
        pinblock.encode_pin_block("9876", PinBlockFormat.ISO_0, pan)
    assert_redacted(info.value, pan, "9876")
    with pytest.raises(PanError) as info:
        pinblock.decipher_iso4(AES_KEY, bytes(16), pan)
    assert_redacted(info.value, pan)


def test_missing_pan() -> None:
    with pytest.raises(PanError):
        pinblock.encode_pin_block("1234", PinBlockFormat.ISO_3)
    with pytest.raises(PanError):
        pinblock.decode_pin_block(bytes.fromhex("041274EDCBA9876F"))


def test_wrong_pan_is_a_pin_block_error() -> None:
    block = pinblock.encode_pin_block("1234", PinBlockFormat.ISO_0, PAN)
    with pytest.raises(PinBlockError) as info:
        pinblock.decode_pin_block(block, "5432101234567890")
    assert_redacted(info.value, "1234", PAN, "5432101234567890")


@pytest.mark.parametrize(
    ("block", "why"),
    [
        ("541234FFFFFFFFFF", "format nibble 5"),
        ("231234FFFFFFFFFF", "length nibble 3"),
        ("2D1234FFFFFFFFFF", "length nibble 13"),
        ("24123AFFFFFFFFFF", "nibble above 9"),
        ("241234FFFFFFFFFE", "fill"),
    ],
)
def test_malformed_blocks(block: str, why: str) -> None:
    with pytest.raises(PinBlockError) as info:
        pinblock.decode_pin_block(bytes.fromhex(block))
    assert why in str(info.value)


def test_iso4_wrong_key_or_pan() -> None:
    block = pinblock.encipher_iso4(AES_KEY, "1234", PAN, random_part=bytes(8))
    with pytest.raises(PinBlockError) as info:
        pinblock.decipher_iso4(bytes(16), block, PAN)
    assert_redacted(info.value, "1234", PAN)
    with pytest.raises(PinBlockError):
        pinblock.decipher_iso4(AES_KEY, block, "4012345678901")


def test_other_negatives() -> None:
    with pytest.raises(DataError):
        pinblock.decode_pin_block(bytes(7))
    with pytest.raises(DataError):
        pinblock.encode_pin_block("1234", 4)  # type: ignore[arg-type]
    with pytest.raises(DataError):
        pinblock.encode_pin_block("1234", PinBlockFormat.ISO_0, PAN, fill="AAAAAAAAAA")
    with pytest.raises(DataError):
        pinblock.encode_pin_block("1234", PinBlockFormat.ISO_3, PAN, fill="AAAA")
    with pytest.raises(DataError):
        pinblock.encode_pin_block("1234", PinBlockFormat.ISO_3, PAN, fill="AAAAAAAAA1")
    with pytest.raises(DataError):
        pinblock.encipher_iso4(AES_KEY, "1234", PAN, random_part=bytes(7))
    with pytest.raises(DataError):
        pinblock.decipher_iso4(AES_KEY, bytes(8), PAN)
    with pytest.raises(KeyLengthError):
        pinblock.encipher_iso4(bytes(8), "1234", PAN)


def test_iso0_from_a_wipeable_buffer_matches_the_str_builder() -> None:
    from emv.crypto.pinblock import PinBlockFormat, encode_iso0_from_digits, encode_pin_block

    for pin, pan in (
        ("1234", "4012345678909"),
        ("123456789012", "6224242900000113"),
        ("0000", "5413330089020011"),
    ):
        assert bytes(encode_iso0_from_digits(bytearray(pin.encode()), pan)) == encode_pin_block(
            pin, PinBlockFormat.ISO_0, pan
        )
