"""The virtual contactless cards: shipped profiles, PPSE, the qPBOC GPO (cryptogram, CTQ, fDDA signature
checked independently), "see phone", removal, and the C-2 card's contact handlers."""

from __future__ import annotations

import hashlib

import pytest

from emv import apdu, tlv
from emv.cards import CardRemovedError, ProfileError, list_profiles
from emv.cards.contactless import (
    PPSE_NAME,
    ContactlessCard,
    list_contactless_profiles,
    load_contactless_card,
    load_contactless_profile,
)
from emv.cards.qpboc import ctq_for, needs_device_cvm
from emv.crypto.rsa import recover
from emv.dol import build_dol, parse_dol
from emv.track import is_luhn_valid
from host.issuer import CardKeys, check_arqc

PPSE_SELECT = bytes.fromhex("00A404000E325041592E5359532E444446303100")
VECTOR_15 = bytes.fromhex(  # DOMAIN_FACTS.md test vector 15: the qPBOC SELECT-AID response
    "6F438408A000000333010101A537500A50424F43204445424954870101"
    "9F38189F66049F02069F03069F1A0295055F2A029A039C019F3704"
    "5F2D027A68BF0C059F4D020B0A9000"
)
UN = bytes.fromhex("A1B2C3D4")
TERMINAL = {
    0x9F02: bytes.fromhex("000000001000"),
    0x9F03: bytes(6),
    0x9F1A: bytes.fromhex("0156"),
    0x95: bytes(5),
    0x5F2A: bytes.fromhex("0156"),
    0x9A: bytes.fromhex("261126"),
    0x9C: b"\x00",
    0x9F37: UN,
}

FACTS = {  # profile: AID, kernel, kernel id in the PPSE, CTQ base, CVM preference, cryptogram version
    "qpboc-debit": ("A000000333010101", "qpboc", None, "2000", "online_pin", "PBOC_CVN01"),
    "qpboc-bad-fdda": ("A000000333010101", "qpboc", None, "2000", "online_pin", "PBOC_CVN01"),
    "qpboc-online": ("A000000333010101", "qpboc", None, "A000", "online_pin", "PBOC_CVN01"),
    "qvsdc": ("A0000000031010", "qpboc", 3, "3000", "signature", "VISA_CVN18"),
    "qvsdc-cdcvm": ("A0000000031010", "qpboc", 3, "3000", "cdcvm", "VISA_CVN18"),
    "c2": ("A0000000041010", "c2", None, "0000", "online_pin", "MCHIP_CVN20"),
}


def _send(card: ContactlessCard, capdu: bytes) -> tuple[bytes, int]:
    r = card.transmit(capdu)
    return r[:-2], int.from_bytes(r[-2:], "big")


def _gpo(name: str, ttq: str, **terminal: bytes) -> tuple[ContactlessCard, dict[int, bytes], int]:
    card = load_contactless_card(name, random_bytes=lambda n: bytes(range(1, n + 1)))
    _send(card, PPSE_SELECT)
    fci, sw = _send(card, apdu.select(card.image.profile.aid))
    assert sw == 0x9000
    values = {**TERMINAL, 0x9F66: bytes.fromhex(ttq)}
    values.update({int(k[1:], 16): v for k, v in terminal.items()})
    pdol = build_dol(parse_dol(tlv.parse(fci)[0x9F38]), values)
    data, sw = _send(card, apdu.gpo(pdol))
    return card, (tlv.parse(data) if sw == 0x9000 else {}), sw


def test_the_shipped_contactless_profiles() -> None:
    assert list_contactless_profiles() == sorted(FACTS)
    assert not set(list_contactless_profiles()) & set(list_profiles())  # the contact table is unchanged
    pans = set()
    for name, (aid, kernel, kernel_id, ctq, cvm, version) in FACTS.items():
        cl = load_contactless_profile(name)
        p = cl.profile
        assert (p.aid.hex().upper(), cl.kernel, cl.kernel_id) == (aid, kernel, kernel_id)
        assert (cl.ctq.hex().upper(), cl.cvm, p.cryptogram.key) == (ctq, cvm, version)
        assert is_luhn_valid(p.pan) and p.pan not in pans
        pans.add(p.pan)
    assert load_contactless_profile("qpboc-debit").profile.pan.startswith("62")
    assert load_contactless_profile("qpboc-bad-fdda").profile.corrupt_sdad
    assert load_contactless_profile("qpboc-online").always_online
    assert repr(load_contactless_profile("c2")) == "ContactlessProfile('c2', c2)"


def test_select_aid_is_test_vector_15() -> None:
    card = load_contactless_card("qpboc-debit")
    _send(card, PPSE_SELECT)
    assert card.transmit(bytes.fromhex("00A4040008A00000033301010100")) == VECTOR_15


@pytest.mark.parametrize("name", sorted(FACTS))
def test_ppse_directory(name: str) -> None:
    card = load_contactless_card(name)
    data, sw = _send(card, PPSE_SELECT)
    assert sw == 0x9000
    fci = tlv.decode(data)
    assert fci.find(0x84) == PPSE_NAME
    [entry] = fci.find_all(0x61)
    aid, _, kernel_id, *_ = FACTS[name]
    assert entry.find(0x4F) == bytes.fromhex(aid) and entry.find(0x87) == b"\x01"
    assert entry.find(0x9F2A) == (None if kernel_id is None else bytes((kernel_id,)))
    assert _send(card, apdu.select(PPSE_NAME, next_occurrence=True))[1] == 0x6A82
    assert _send(card, apdu.select(b"1PAY.SYS.DDF01"))[1] == 0x6A82  # no contact PSE


def test_qpboc_gpo_gives_a_tc_with_an_fdda_signature() -> None:
    card, found, sw = _gpo("qpboc-debit", "36004000")
    assert sw == 0x9000
    assert found[0x9F27] == b"\x40" and found[0x9F36] == b"\x00\x22" and found[0x9F6C] == b"\x20\x00"
    assert found[0x82] == bytes.fromhex("7C00") and found[0x94] == bytes.fromhex("0801010110010200")
    cad = found[0x9F69]
    assert cad == b"\x01" + bytes((1, 2, 3, 4)) + found[0x9F6C]  # fDDA 01 | card UN | CTQ
    key = card.image.icc_key
    assert key is not None
    block = recover(found[0x9F4B], key.n, key.e)
    assert block[:4] == bytes.fromhex("6A050103") and block[4:7] == b"\x02\x00\x22"  # ICC dynamic data
    hashed = block[1:-21] + UN + TERMINAL[0x9F02] + TERMINAL[0x5F2A] + cad
    assert hashlib.sha1(hashed).digest() == block[-21:-1] and block[-1] == 0xBC
    # the issuer recomputes the cryptogram from the same data
    p = load_contactless_profile("qpboc-debit").profile
    keys = CardKeys(p.pan, p.psn, p.imk_ac, p.cryptogram.version)
    assert check_arqc(keys, {**TERMINAL, 0x82: found[0x82], 0x9F36: found[0x9F36], **found})
    assert _send(card, apdu.generate_ac(0x40, bytes(37)))[1] == 0x6985  # no GENERATE AC after a tap
    assert _send(card, apdu.read_record(1, 1))[1] == 0x9000


@pytest.mark.parametrize(
    ("ttq", "cid", "ctq", "signed"),
    [
        ("36004000", 0x40, "2000", True),  # under every limit: TC with fDDA
        ("36804000", 0x80, "2000", False),  # online cryptogram required: ARQC, no signature
        ("36C04000", 0x80, "A000", False),  # CVM required: online PIN required, ARQC
        ("37804000", 0x80, "2000", True),  # ODA for online authorisations: the ARQC is signed
        ("2EC04000", 0x00, "A000", False),  # offline-only reader, online PIN wanted: AAC
    ],
)
def test_qpboc_card_risk(ttq: str, cid: int, ctq: str, signed: bool) -> None:
    _, found, sw = _gpo("qpboc-debit", ttq)
    assert sw == 0x9000
    assert (found[0x9F27][0], found[0x9F6C].hex().upper(), 0x9F4B in found) == (cid, ctq, signed)


def test_card_goes_online_for_a_foreign_currency_and_always_online_fault() -> None:
    assert _gpo("qpboc-debit", "36004000", x5F2A=bytes.fromhex("0840"))[1][0x9F27] == b"\x80"
    found = _gpo("qpboc-online", "36004000")[1]
    assert (found[0x9F27], found[0x9F6C]) == (b"\x80", bytes.fromhex("A000"))


def test_reader_without_qvsdc_gets_6985() -> None:
    assert _gpo("qpboc-debit", "80004000")[2] == 0x6985


def test_cdcvm_device_says_see_phone_until_verified() -> None:
    card, _, sw = _gpo("qvsdc-cdcvm", "36C04000")
    assert sw == 0x6986
    card.verify_on_device()
    _send(card, PPSE_SELECT)
    fci, _ = _send(card, apdu.select(bytes.fromhex("A0000000031010")))
    values = {**TERMINAL, 0x9F66: bytes.fromhex("36C04000")}
    data, sw = _send(card, apdu.gpo(build_dol(parse_dol(tlv.parse(fci)[0x9F38]), values)))
    assert sw == 0x9000 and tlv.parse(data)[0x9F6C] == bytes.fromhex("3080")
    assert _gpo("qvsdc-cdcvm", "36004000")[2] == 0x9000  # no CVM required: no verification needed


@pytest.mark.parametrize(
    ("ttq", "base", "cvm", "verified", "expected"),
    [
        ("36C04000", "0000", "online_pin", False, "8000"),
        ("32C04000", "0000", "online_pin", False, "4000"),  # no online PIN at the reader: signature
        ("36C04000", "0000", "signature", False, "4000"),
        ("34C04000", "0000", "signature", False, "8000"),  # no signature at the reader: online PIN
        ("30C04000", "0000", "signature", False, "0000"),  # neither
        ("36004000", "2000", "online_pin", False, "2000"),  # no CVM required
        ("36C04000", "0000", "cdcvm", True, "0080"),
    ],
)
def test_ctq_table(ttq: str, base: str, cvm: str, verified: bool, expected: str) -> None:
    got = ctq_for(bytes.fromhex(ttq), bytes.fromhex(base), cvm, verified)
    assert got.hex().upper() == expected


def test_see_phone_rule() -> None:
    assert needs_device_cvm(bytes.fromhex("36C04000"), "cdcvm", False)
    assert not needs_device_cvm(bytes.fromhex("36C00000"), "cdcvm", False)  # reader without CDCVM
    assert not needs_device_cvm(bytes.fromhex("36C04000"), "cdcvm", True)
    assert not needs_device_cvm(bytes.fromhex("36C04000"), "online_pin", False)


def test_c2_card_uses_the_contact_application() -> None:
    card = load_contactless_card("c2")
    _send(card, PPSE_SELECT)
    _, sw = _send(card, apdu.select(bytes.fromhex("A0000000041010")))
    assert sw == 0x9000
    data, sw = _send(card, apdu.gpo(b""))
    assert sw == 0x9000 and tlv.parse(data) == {0x82: bytes.fromhex("1980"), 0x94: card.image.profile.afl}


def test_removal_reset_and_reprs() -> None:
    card = load_contactless_card("qvsdc")
    assert repr(card) == "ContactlessCard('qvsdc')" and card.ats == bytes.fromhex("0578807002")
    assert card.atr[:1] == b"\x3b" and card.state.atc == 0x0030
    assert card.transmit(b"\x00") == bytes.fromhex("6700") and card.transmit(bytes(4))[-2:] == b"\x6d\x00"
    assert card.transmit(bytes.fromhex("90A4040000"))[-2:] == b"\x6e\x00"
    card.remove()
    with pytest.raises(CardRemovedError):
        card.transmit(PPSE_SELECT)
    assert card.reset() == card.ats
    assert card.transmit(PPSE_SELECT)[-2:] == b"\x90\x00"
    assert [sw for _, sw in card.trace] == [0x6700, 0x6D00, 0x6E00, 0x9000]
    assert "4761739001020019" not in repr(card.profile) + repr(card.image)


def test_bad_contactless_sections_are_refused() -> None:
    from emv.cards import contactless

    p = load_contactless_profile("qpboc-debit").profile
    good: dict[str, object] = {"kernel": "qpboc", "ctq": "2000", "cvm": "online_pin"}
    cases: list[tuple[dict[str, object], str]] = [
        ({"kernel": "c3"}, "contactless.kernel"),
        ({"kernel_id": 64}, "contactless.kernel_id"),
        ({"cvm": "pin"}, "contactless.cvm"),
        ({"ctq": "20"}, "contactless.ctq"),
        ({"ctq": "zz00"}, "contactless.ctq"),
        ({"always_online": "yes"}, "contactless.always_online"),
    ]
    for bad, where in cases:
        with pytest.raises(ProfileError) as err:
            contactless._section("x", p, {**good, **bad})
        assert err.value.field == where
    with pytest.raises(ProfileError):
        contactless._section("x", p, None)
    c2 = load_contactless_profile("c2").profile  # no PDOL: cannot be a qPBOC card
    with pytest.raises(ProfileError) as err:
        contactless._section("x", c2, good)
    assert err.value.field == "application.pdol"
    with pytest.raises(ProfileError):
        load_contactless_profile("no-such-card")
