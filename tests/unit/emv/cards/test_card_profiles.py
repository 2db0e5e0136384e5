"""Shipped profiles, profile checks, and the card object: ATR, removal, reset, trace, stripe, reprs."""

from __future__ import annotations

import copy
import datetime
import logging
from typing import Any

import pytest

from emv import apdu
from emv.cards import CardRemovedError, ProfileError, list_profiles, load_card, load_profile
from emv.cards.keys import load_card_key
from emv.cards.personalise import personalise
from emv.cards.profile import load_profile_data, parse_profile
from emv.errors import EmvError
from emv.track import is_luhn_valid

from .cardkit import start

TODAY = datetime.date(2026, 3, 15)

FACTS = {  # AID, ODA (AIP byte 1), cryptogram version, CVM list rules
    "visa-cda": ("A0000000031010", 0x39, "VISA_CVN18", "42035E031F00"),
    "mc-dda": ("A0000000041010", 0x3C, "MCHIP_CVN20", "5E031F03"),
    "pboc-sda": ("A000000333010101", 0x5C, "PBOC_CVN01", "410342031E03"),
}


def test_the_shipped_profiles() -> None:
    assert list_profiles() == sorted(
        [
            "visa-cda",
            "mc-dda",
            "pboc-sda",
            "expired",
            "not-yet-effective",
            "revoked-issuer",
            "bad-ssad",
            "bad-sdad",
            "pin-blocked",
            "app-blocked",
            "declines-offline",
            "genac-6985",
        ]
    )
    pans = set()
    for name in list_profiles():
        p = load_profile(name)
        assert is_luhn_valid(p.pan) and p.pan not in pans
        pans.add(p.pan)
        if name == "expired":
            assert p.expiry < TODAY
        else:
            assert p.expiry > TODAY
        assert (p.effective > TODAY) == (name == "not-yet-effective")


@pytest.mark.parametrize("name", sorted(FACTS))
def test_key_facts(name: str) -> None:
    aid, aip1, version, cvm_rules = FACTS[name]
    p = load_profile(name)
    assert (p.aid.hex().upper(), p.aip[0], p.cryptogram.key) == (aid, aip1, version)
    assert p.cvm_list.hex().upper() == "0" * 16 + cvm_rules


def test_fault_flags() -> None:
    assert load_profile("pin-blocked").pin_try_counter == 0
    assert load_profile("app-blocked").app_blocked
    assert load_profile("declines-offline").always_decline
    assert load_profile("genac-6985").genac_sw == 0x6985
    assert load_profile("bad-ssad").corrupt_ssad and load_profile("bad-sdad").corrupt_sdad
    assert load_profile("revoked-issuer").issuer_cert_serial == bytes.fromhex("7E0001")


def test_each_load_gives_a_fresh_card() -> None:
    a, b = load_card("pboc-sda"), load_card("pboc-sda")
    ex = start("pboc-sda")
    ex.offline_pin("000000")
    assert a.image is b.image and a.state is not b.state
    assert a.state.pin_try_counter == 3 and ex.card.state.pin_try_counter == 2


def test_atr_reset_removal_and_trace() -> None:
    card = load_card("visa-cda")
    assert card.atr == bytes.fromhex("3B888001000000000000000009")
    tck = 0
    for b in card.atr[1:]:
        tck ^= b
    assert tck == 0  # the check byte makes T0..TCK XOR to zero (ISO/IEC 7816-3)
    card.transmit(apdu.select(bytes.fromhex("A0000000031010")))
    card.remove()
    with pytest.raises(CardRemovedError) as info:
        card.transmit(apdu.get_challenge())
    assert isinstance(info.value, EmvError)
    assert card.reset() == card.atr
    assert card.transmit(apdu.gpo(bytes(4)))[-2:] == b"\x69\x85"  # after reset nothing is selected
    assert card.trace == [(bytes.fromhex("00A40400"), 0x9000), (bytes.fromhex("80A80000"), 0x6985)]


def test_magstripe() -> None:
    stripe = load_card("pboc-sda").magstripe()
    assert stripe.track2_image.startswith(";6224242900000113=3008220") and stripe.track2_image[-2] == "?"
    assert stripe.track1_image.startswith("%B6224242900000113^POSEMU/PBOC SDA^3008220")
    assert stripe.track2.service_code.requires_chip
    assert "6224" not in repr(stripe)


def test_no_secret_in_reprs_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ex = start("visa-cda")
    ex.offline_pin("1234")
    ex.generate_ac(0x80)
    p = load_profile("visa-cda")
    texts = [repr(p), str(p), repr(ex.card), repr(ex.card.image), repr(ex.card.state),
             repr(load_card_key("icc", "visa-cda")), caplog.text]  # fmt: skip
    for text in texts:
        assert p.pan not in text and p.imk_ac.hex().upper() not in text.upper() and "1234" not in text


def broken(name: str, section: str, key: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(load_profile_data(name))
    if value is None:
        del data[section][key]
    else:
        data.setdefault(section, {})[key] = value
    return data


@pytest.mark.parametrize(
    ("section", "key", "value", "field"),
    [
        ("cardholder", "pan", "4761739001010011", "cardholder.pan"),  # Luhn
        ("cardholder", "pan", "47617390010A0010", "cardholder.pan"),
        ("cardholder", "psn", None, "cardholder.psn"),
        ("cardholder", "track2", "4761739001010010=30122010000000000000", "cardholder.track2"),
        ("cardholder", "track1", "4761739001010010", "cardholder.track1"),
        ("cardholder", "pin_try_counter", 9, "cardholder.pin_try_counter"),
        ("application", "aip", "39", "application.aip"),
        ("application", "afl", "08010100 10010401", "records"),  # SFI 2 record 4 missing
        ("application", "afl", "08010102", "application.afl"),  # more ODA records than records
        ("application", "afl", "0801", "application.afl"),
        ("application", "gpo_format", 3, "application.gpo_format"),
        ("application", "priority", "1", "application.priority"),
        ("risk", "cdol1", "9F0206 9F3704", "risk.cdol1"),  # the cryptogram covers more
        ("risk", "cdol2", "9F", "cdol2"),
        ("crypto", "cryptogram_version", "VISA_CVN99", "crypto.cryptogram_version"),
        ("crypto", "imk_ac", "0123", "crypto.imk_ac"),
        ("crypto", "imk_smi", "XYZ", "crypto.imk_smi"),
        ("faults", "genac_sw", "69", "faults.genac_sw"),
    ],
)
def test_bad_profiles_are_refused(section: str, key: str, value: Any, field: str) -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile("visa-cda", broken("visa-cda", section, key, value))
    assert info.value.field == field and info.value.profile == "visa-cda"
    assert "4761739001010011" not in str(info.value)


def test_personalisation_refusals() -> None:
    data = broken("visa-cda", "records", "2.1", ["5A", "9F46"])  # a signed record cannot hold a signature
    with pytest.raises(ProfileError):
        personalise(parse_profile("visa-cda", data))
    data = broken("visa-cda", "records", "2.1", ["5A", "DF01"])  # data the card does not have
    with pytest.raises(ProfileError):
        personalise(parse_profile("visa-cda", data))
    data = broken("visa-cda", "crypto", "icc_key", "nope")
    with pytest.raises(ProfileError):
        personalise(parse_profile("visa-cda", data))
    data = broken("visa-cda", "crypto", "icc_key", None)
    data["application"]["aip"] = "4100"  # SDA alone: the ICC certificate tags named in records go missing
    with pytest.raises(ProfileError):
        personalise(parse_profile("visa-cda", data))
    with pytest.raises(ProfileError):
        load_profile("no-such-card")
