"""SELECT (PSE, AID, partial, next), GPO, READ RECORD, GET DATA, GET CHALLENGE: happy paths and status words.

EMV 4.4 Book 1, 11-12; Book 3, 6.5.
"""

from __future__ import annotations

import pytest

from emv import apdu
from emv.cards import load_card
from emv.tlv import as_tree, decode, parse

from .cardkit import Exchange, fixed_random, start

PSE = b"1PAY.SYS.DDF01"


def sw(rapdu: bytes) -> int:
    return int.from_bytes(rapdu[-2:], "big")


def test_pse_directory_lists_the_application() -> None:
    card = load_card("pboc-sda")
    r = card.transmit(apdu.select(PSE))
    assert sw(r) == 0x9000
    fci = parse(r[:-2])
    assert fci[0x84] == PSE and fci[0x88] == b"\x01"
    record = card.transmit(apdu.read_record(1, 1))
    assert sw(record) == 0x9000
    assert as_tree(decode(record[:-2])) == [
        (0x70, [(0x61, [(0x4F, bytes.fromhex("A000000333010101")), (0x50, b"PBOC DEBIT"), (0x87, b"\x01")])])
    ]
    assert sw(card.transmit(apdu.read_record(2, 1))) == 0x6A83
    assert sw(card.transmit(apdu.read_record(1, 2))) == 0x6A82
    assert sw(card.transmit(apdu.select(PSE, next_occurrence=True))) == 0x6A82


@pytest.mark.parametrize("name", ["visa-cda", "mc-dda"])
def test_cards_without_a_pse(name: str) -> None:
    assert sw(load_card(name).transmit(apdu.select(PSE))) == 0x6A82


def test_select_by_aid_full_partial_and_next() -> None:
    card = load_card("visa-cda")
    r = card.transmit(apdu.select(bytes.fromhex("A0000000031010")))
    assert sw(r) == 0x9000
    fci = parse(r[:-2])
    assert fci[0x84] == bytes.fromhex("A0000000031010") and fci[0x50] == b"VISA DEBIT"
    assert fci[0x9F38] == bytes.fromhex("9F1A025F2A02") and fci[0x87] == b"\x01" and fci[0x5F2D] == b"en"
    assert sw(card.transmit(apdu.select(bytes.fromhex("A000000003"), next_occurrence=True))) == 0x6A82
    fresh = load_card("visa-cda")
    assert sw(fresh.transmit(apdu.select(bytes.fromhex("A000000003")))) == 0x9000  # partial name
    assert sw(fresh.transmit(apdu.select(bytes.fromhex("A000000003"), next_occurrence=True))) == 0x6A82
    assert sw(fresh.transmit(apdu.select(bytes.fromhex("A000000004")))) == 0x6A82
    assert sw(fresh.transmit(apdu.select(bytes.fromhex("A0000000")))) == 0x6A82  # shorter than a RID


def test_fci_of_the_pboc_card_carries_its_log_entry() -> None:
    r = load_card("pboc-sda").transmit(apdu.select(bytes.fromhex("A000000333010101")))
    assert parse(r[:-2])[0x9F4D] == bytes.fromhex("0B0A")


def test_select_status_words() -> None:
    card = load_card("visa-cda")
    assert sw(card.transmit(bytes.fromhex("00A4000002" + "3F00"))) == 0x6A86
    assert sw(card.transmit(bytes.fromhex("00A4040C07A0000000031010"))) == 0x6A86
    assert sw(card.transmit(bytes.fromhex("00A4040000"))) == 0x6700
    assert sw(card.transmit(bytes.fromhex("80A4040007A000000003101000"))) == 0x6E00


def test_application_blocked_selects_with_6283_and_the_fci() -> None:
    r = load_card("app-blocked").transmit(apdu.select(bytes.fromhex("A0000000031010")))
    assert sw(r) == 0x6283 and parse(r[:-2])[0x50] == b"VISA DEBIT"


def test_gpo_formats_and_atc() -> None:
    visa = Exchange(load_card("visa-cda"))
    r = visa.gpo()
    assert visa.sw == 0x9000 and r == bytes.fromhex("800A") + bytes.fromhex("39000801010010010301")
    assert visa.pdol_data == bytes.fromhex("01560156")
    mc = Exchange(load_card("mc-dda"))
    r = mc.gpo()
    assert parse(r) == {0x82: bytes.fromhex("3C00"), 0x94: bytes.fromhex("08010100100102011801020058010101")}
    assert r[0] == 0x77 and mc.pdol_data == b""
    assert mc.send(apdu.get_data(0x9F36)) == bytes.fromhex("9F36020041")


@pytest.mark.parametrize(
    ("capdu", "status"),
    [
        ("80A8000002830000", 0x6700),  # the PDOL asks for 4 bytes
        ("80A80000068304015601560000", 0x6700),  # Lc/83 length disagree
        ("80A800000683050156015600", 0x6700),
        ("80A80000048201560156", 0x6A80),  # not template 83
        ("80A8010006830401560156", 0x6A86),
        ("00A8000006830401560156", 0x6E00),
    ],
)
def test_gpo_status_words(capdu: str, status: int) -> None:
    card = load_card("visa-cda")
    card.transmit(apdu.select(bytes.fromhex("A0000000031010")))
    assert sw(card.transmit(bytes.fromhex(capdu))) == status
    assert card.state.atc == 0x001C  # nothing counted


def test_gpo_conditions_not_satisfied() -> None:
    card = load_card("pboc-sda")
    gpo = apdu.gpo(bytes(9))
    assert sw(card.transmit(gpo)) == 0x6985  # nothing selected
    card.transmit(apdu.select(PSE))
    assert sw(card.transmit(gpo)) == 0x6985  # the PSE is no application
    card.transmit(apdu.select(bytes.fromhex("A000000333010101")))
    assert sw(card.transmit(gpo)) == 0x9000
    assert sw(card.transmit(gpo)) == 0x6985  # once per selection
    card.state.atc = 0xFFFF
    card.transmit(apdu.select(bytes.fromhex("A000000333010101")))
    assert sw(card.transmit(gpo)) == 0x6985  # the ATC is exhausted


def test_read_record_status_words() -> None:
    ex = start("visa-cda")
    assert ex.records[(1, 1)][0] == 0x70
    for capdu, status in (
        (apdu.read_record(9, 1), 0x6A83),
        (apdu.read_record(1, 5), 0x6A82),
        (bytes.fromhex("00B2010800"), 0x6A86),  # P2 low bits not 100
        (bytes.fromhex("00B2000C00"), 0x6A86),  # record 0
    ):
        ex.send(capdu)
        assert ex.sw == status
    assert sw(load_card("visa-cda").transmit(apdu.read_record(1, 1))) == 0x6A82  # nothing selected


def test_get_data() -> None:
    ex = start("visa-cda")
    assert ex.send(apdu.get_data(0x9F36)) == bytes.fromhex("9F3602001D")
    assert ex.send(apdu.get_data(0x9F13)) == bytes.fromhex("9F1302001B")
    assert ex.send(apdu.get_data(0x9F17)) == bytes.fromhex("9F170103")
    ex.send(apdu.get_data(0x9F4F))
    assert ex.sw == 0x6A88  # this card keeps no log
    ex.send(apdu.get_data(0x5A))
    assert ex.sw == 0x6A88
    assert sw(load_card("visa-cda").transmit(apdu.get_data(0x9F36))) == 0x6985


def test_get_challenge() -> None:
    card = load_card("mc-dda", random_bytes=fixed_random)
    r = card.transmit(apdu.get_challenge())
    assert r == bytes(range(1, 9)) + b"\x90\x00"
    assert sw(card.transmit(bytes.fromhex("0084010000"))) == 0x6A86


def test_unknown_and_malformed_commands() -> None:
    card = load_card("visa-cda")
    assert sw(card.transmit(bytes.fromhex("00FF000000"))) == 0x6D00
    assert sw(card.transmit(b"\x00\xa4")) == 0x6700
    assert sw(card.transmit(bytes.fromhex("00A40400FF01"))) == 0x6700
    assert card.trace[-1] == (bytes.fromhex("00A40400"), 0x6700)
