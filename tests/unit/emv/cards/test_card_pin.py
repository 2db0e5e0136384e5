"""VERIFY: plaintext and enciphered offline PIN, tries and blocking (EMV 4.4 Book 3, 6.5.12; Book 2, 7)."""

from __future__ import annotations

import pytest

from emv import apdu
from emv.cards import load_card
from emv.crypto.pinblock import PinBlockFormat, encode_pin_block

from .cardkit import Exchange, recover_chain, start


def get_tries(ex: Exchange) -> int:
    return ex.send(apdu.get_data(0x9F17))[-1]


def test_plaintext_pin_right_and_wrong_until_blocked() -> None:
    ex = start("pboc-sda")
    assert ex.offline_pin("123456") == 0x9000 and get_tries(ex) == 3
    assert ex.offline_pin("1234") == 0x63C2
    assert ex.offline_pin("123456") == 0x9000 and get_tries(ex) == 3  # a right PIN resets the counter
    assert [ex.offline_pin("000000") for _ in range(3)] == [0x63C2, 0x63C1, 0x63C0]
    assert ex.offline_pin("123456") == 0x6983 and get_tries(ex) == 0
    r = ex.generate_ac(0x40)
    assert r[0x9F27] == b"\x80"  # PIN try limit exceeded: online
    cvr = r[0x9F10][3:7]
    assert cvr[1] & 0x06 == 0x06 and cvr[2] & 0x40  # offline PIN performed and failed; PTL exceeded


def test_pin_blocked_profile() -> None:
    ex = start("pin-blocked")
    assert get_tries(ex) == 0
    assert ex.offline_pin("123456") == 0x6983


def test_offline_pin_success_in_cvr() -> None:
    ex = start("visa-cda")
    assert ex.offline_pin("1234") == 0x9000
    assert ex.generate_ac(0x80)[0x9F10][4] & 0x06 == 0x04


@pytest.mark.parametrize(
    ("capdu", "sw"),
    [
        ("0020008107241234FFFFFFFFFF", 0x6A86),
        ("0020018008241234FFFFFFFFFF", 0x6A86),
        ("0020008007241234FFFFFFFF", 0x6700),
        ("0020008008141234FFFFFFFFFF", 0x6A80),  # format 1: not an offline PIN block
        ("00200080082F1234FFFFFFFFFF", 0x6A80),  # PIN length 15
        ("0020008008241234FFFFFFFF0F", 0x6A80),  # fill is not F
    ],
)
def test_verify_refusals_do_not_count(capdu: str, sw: int) -> None:
    ex = start("pboc-sda")
    ex.send(bytes.fromhex(capdu))
    assert ex.sw == sw and get_tries(ex) == 3


def test_verify_outside_a_transaction() -> None:
    card = load_card("pboc-sda")
    assert card.transmit(apdu.verify(bytes.fromhex("26123456FFFFFFFF")))[-2:] == b"\x69\x85"
    ex = start("pboc-sda")
    ex.generate_ac(0x00)
    assert ex.offline_pin("123456") == 0x6985


def enciphered(ex: Exchange, pin: str, challenge: bytes | None = None) -> int:
    chain = recover_chain(ex, ex.read_records())
    assert chain.icc_modulus is not None and chain.icc_exponent is not None
    if challenge is None:
        challenge = ex.send(apdu.get_challenge())
        assert ex.sw == 0x9000 and len(challenge) == 8
    n_len = (chain.icc_modulus.bit_length() + 7) // 8
    block = encode_pin_block(pin, PinBlockFormat.ISO_2)
    plain = b"\x7f" + block + challenge + bytes((0x55,)) * (n_len - 17)
    cipher = pow(int.from_bytes(plain, "big"), chain.icc_exponent, chain.icc_modulus).to_bytes(n_len, "big")
    ex.send(apdu.verify(cipher, enciphered=True))
    return ex.sw


@pytest.mark.parametrize(("name", "pin"), [("visa-cda", "1234"), ("mc-dda", "4321")])
def test_enciphered_pin(name: str, pin: str) -> None:
    ex = start(name)
    assert enciphered(ex, pin) == 0x9000
    assert enciphered(ex, "9999") == 0x63C2
    assert enciphered(ex, pin, challenge=bytes(8)) == 0x6985  # no GET CHALLENGE before: refused
    ex.send(apdu.get_challenge())
    assert enciphered(ex, pin, challenge=bytes(8)) == 0x6A80  # not the card's unpredictable number
    assert get_tries(ex) == 2


def test_enciphered_pin_sets_the_mchip_cvr_bit() -> None:
    ex = start("mc-dda")
    assert enciphered(ex, "4321") == 0x9000
    assert ex.generate_ac(0x80)[0x9F10][2] & 0x07 == 0x07  # performed, enciphered, successful


def test_enciphered_pin_refusals() -> None:
    ex = start("visa-cda")
    ex.send(apdu.get_challenge())
    ex.send(apdu.verify(bytes(64), enciphered=True))
    assert ex.sw == 0x6700
    ex.send(apdu.verify(b"\xff" * 128, enciphered=True))
    assert ex.sw == 0x6A80  # not below the modulus
    ex.send(apdu.verify(bytes(128), enciphered=True))
    assert ex.sw == 0x6985  # the challenge was spent by the previous attempt
    pboc = start("pboc-sda")
    pboc.send(apdu.verify(bytes(128), enciphered=True))
    assert pboc.sw == 0x6A81  # no ICC key to decipher with
    assert get_tries(ex) == 3
