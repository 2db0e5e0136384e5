"""The full ODA chain of every profile recovers and verifies with the posemu test CAPKs (EMV 4.4 Book 2)."""

from __future__ import annotations

import hashlib

import pytest

from emv import apdu
from emv.cards import load_card, load_image
from emv.cards.certs import (
    build_cda_dynamic_data,
    build_icc_certificate,
    build_issuer_certificate,
    build_sdad,
    build_ssad,
    pad_identifier,
)
from emv.cards.keys import load_ca_key, load_card_key
from emv.crypto.errors import DataError, RsaError
from emv.crypto.rsa import recover
from emv.tlv import parse

from .cardkit import capks, recover_chain, recover_sdad, start

ODA_PROFILES = ["visa-cda", "mc-dda", "pboc-sda", "expired", "not-yet-effective", "revoked-issuer",
                "bad-sdad", "pin-blocked", "app-blocked", "declines-offline", "genac-6985"]  # fmt: skip


def test_capk_file_holds_the_three_test_ca_keys() -> None:
    keys = capks()
    assert sorted(keys) == [("A000000003", 0xE1), ("A000000004", 0xE1), ("A000000333", 0xE1)]
    for (rid, index), (n, e) in keys.items():
        got_index, ca = load_ca_key(bytes.fromhex(rid))
        assert (got_index, ca.n, ca.e) == (index, n, e) and e == 3 and n.bit_length() == 1408


@pytest.mark.parametrize("name", ODA_PROFILES)
def test_chain_recovers_and_verifies(name: str) -> None:
    ex = start(name)
    static = ex.read_records()
    assert static == load_image(name).static_data
    chain = recover_chain(ex, static)
    p = ex.card.image.profile
    if p.aip[0] & 0x40:
        assert chain.dac == p.dac
    if p.icc_key is not None:
        key = load_card_key("icc", p.icc_key)
        assert (chain.icc_modulus, chain.icc_exponent) == (key.n, key.e)


def test_revoked_issuer_carries_the_listed_serial() -> None:
    ex = start("revoked-issuer")
    chain = recover_chain(ex, ex.read_records())
    assert chain.issuer_serial == bytes.fromhex("7E0001")
    assert ex.card_data()[0x8F] == b"\xe1" and ex.card.image.profile.aid[:5].hex().upper() == "A000000003"


def test_bad_ssad_fails_its_hash() -> None:
    ex = start("bad-ssad")
    static = ex.read_records()
    good = start("pboc-sda")
    recover_chain(good, good.read_records())
    with pytest.raises((AssertionError, RsaError)):
        recover_chain(ex, static)


def test_key_sizes_exercise_both_remainder_cases() -> None:
    visa, mc = load_image("visa-cda").data, load_image("mc-dda").data
    assert len(visa[0x92]) == 36 and visa[0x9F48] == b""  # issuer 1408 under CA 1408; ICC fits the cert
    assert len(mc[0x92]) == 4 and len(mc[0x9F48]) == 26 and mc[0x9F47] == b"\x01\x00\x01"


def test_sdad_of_internal_authenticate_verifies_over_the_ddol_data() -> None:
    for name, template in (("visa-cda", 0x80), ("mc-dda", 0x77)):
        ex = start(name)
        chain = recover_chain(ex, ex.read_records())
        ddol_data = bytes.fromhex("0BADCAFE")
        response = ex.send(apdu.internal_authenticate(ddol_data))
        assert ex.sw == 0x9000 and response[0] == template
        sdad = parse(response)[0x80 if template == 0x80 else 0x9F4B]
        dynamic = recover_sdad(chain, sdad, ddol_data)
        assert dynamic == bytes((8,)) + bytes(range(1, 9))  # L_IDN | ICC dynamic number


def test_bad_sdad_does_not_verify() -> None:
    ex = start("bad-sdad")
    chain = recover_chain(ex, ex.read_records())  # the certificates are fine
    sdad = parse(ex.send(apdu.internal_authenticate(b"\x01\x02\x03\x04")))[0x9F4B]
    with pytest.raises((AssertionError, RsaError)):
        recover_sdad(chain, sdad, b"\x01\x02\x03\x04")


def test_internal_authenticate_errors() -> None:
    card = load_card("visa-cda")
    assert card.transmit(apdu.internal_authenticate(b"\x00" * 4))[-2:] == b"\x69\x85"  # nothing selected
    ex = start("visa-cda")
    assert ex.send(bytes.fromhex("00880100041122334400")) == b"" and ex.sw == 0x6A86
    ex.send(bytes.fromhex("00880000"))
    assert ex.sw == 0x6700
    pboc = start("pboc-sda")
    pboc.send(apdu.internal_authenticate(b"\x00" * 4))
    assert pboc.sw == 0x6D00  # an SDA-only card has no ICC key


def test_builders_check_their_inputs() -> None:
    ca = load_ca_key(bytes.fromhex("A000000003"))[1]
    issuer, icc = load_card_key("issuer", "mc"), load_card_key("icc", "mc-dda")
    with pytest.raises(DataError):
        build_issuer_certificate(ca, issuer, b"\x47\x61", b"\x12\x30", b"\x00\x00\x01")
    with pytest.raises(DataError):
        build_issuer_certificate(icc, issuer, pad_identifier("541333"), b"\x12\x30", b"\x00\x00\x01")
    with pytest.raises(DataError):
        build_icc_certificate(icc, issuer, "5413330089020011", b"\x12\x30", b"\x00\x00\x01", b"")
    with pytest.raises(DataError):
        build_ssad(issuer, b"\x01", b"")
    with pytest.raises(DataError):
        build_sdad(icc, bytes(104), b"")
    with pytest.raises(DataError):
        build_cda_dynamic_data(b"\x01", 0x80, bytes(8), bytes(20))
    with pytest.raises(DataError):
        pad_identifier("12345678901")


def test_ssad_block_layout() -> None:
    issuer = load_card_key("issuer", "pboc")
    static = b"static data"
    block = recover(build_ssad(issuer, b"\xda\xc1", static), issuer.n, issuer.e)
    body = block[1:-21]
    assert block[:5] == bytes.fromhex("6A0301DAC1") and len(block) == 144
    assert block[-21:-1] == hashlib.sha1(body + static).digest()
