"""Issuer scripts with secure messaging change the card's state (EMV 4.4 Book 3, 6.5.1-6.5.3; Book 2, 9).

Visa CVN 18 and Mastercard CVN 20 script commands are built by pyemv 1.5.0's CVN classes (a test-only
peer); the PBOC card's by emv.cards.sm.
"""

from __future__ import annotations

import pytest
from pyemv import cvn as pyemv_cvn
from pyemv import kd as pyemv_kd

from emv import apdu
from emv.cards import load_card
from emv.cards.sm import build_script_command, derive_icc_mk, derive_sm_key, encipher_pin, script_ac

from .cardkit import Exchange, start

pytestmark = pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")


def online(ex: Exchange) -> tuple[bytes, bytes]:
    """First GENERATE AC asking for an ARQC; returns (ATC, AC)."""
    r = ex.generate_ac(0x80)
    assert ex.sw == 0x9000
    return r[0x9F36], r[0x9F26]


def command(
    ex: Exchange, cla: int, ins: int, p1: int, p2: int, data: bytes, atc: bytes, ac: bytes, index: int = 0
) -> bytes:
    p = ex.card.image.profile
    chained = script_ac(p.cryptogram, ac, index)
    sk = derive_sm_key(p.cryptogram, derive_icc_mk(p.cryptogram, p.imk_smi, p.pan, p.psn), atc, chained)
    return build_script_command(cla, ins, p1, p2, data, sk_smi=sk, atc=atc, ac=chained)


def visa(ex: Exchange) -> pyemv_cvn.VisaCVN18:
    p = ex.card.image.profile
    return pyemv_cvn.VisaCVN18(p.imk_ac, p.imk_smi, p.imk_smc, p.pan, p.psn)


def test_mac_and_keys_match_pyemv_visa_cvn18() -> None:
    ex = start("visa-cda")
    atc, arqc = online(ex)
    p = ex.card.image.profile
    mk = derive_icc_mk(p.cryptogram, p.imk_smi, p.pan, p.psn)
    assert derive_sm_key(p.cryptogram, mk, atc, arqc) == pyemv_kd.derive_visa_sm_sk(mk, atc)
    ours = command(ex, 0x84, 0x1E, 0, 0, b"", atc, arqc)
    assert ours[5:] == visa(ex).generate_command_mac(ours[:5], arqc, atc)


def test_application_block_then_unblock() -> None:
    ex = start("visa-cda")
    atc, arqc = online(ex)
    ex.send(command(ex, 0x84, 0x1E, 0, 0, b"", atc, arqc))  # template 71: before the second GENERATE AC
    assert ex.sw == 0x9000 and ex.card.state.app_blocked
    ex.terminal[0x8A] = b"00"
    r = ex.generate_ac(0x40, second=True)
    assert r[0x9F27] == b"\x00" and r[0x9F10][6] >> 4 == 1  # declined; CVR counts one script command
    again = Exchange(ex.card)
    again.select()
    assert again.sw == 0x6283
    again.gpo()
    atc, aac = again.send(apdu.get_data(0x9F36))[-2:], again.generate_ac(0x80)[0x9F26]
    again.send(command(again, 0x84, 0x18, 0, 0, b"", atc, aac))
    assert again.sw == 0x9000 and not again.card.state.app_blocked
    assert Exchange(ex.card).select() and ex.card.trace[-1][1] == 0x9000


def test_app_blocked_profile_is_unblocked_by_script() -> None:
    ex = Exchange(load_card("app-blocked"))
    ex.gpo()
    r = ex.generate_ac(0x80)
    assert r[0x9F27] == b"\x00"
    ex.send(command(ex, 0x84, 0x18, 0, 0, b"", r[0x9F36], r[0x9F26]))
    assert ex.sw == 0x9000
    ex.select()
    assert ex.sw == 0x9000


def test_pin_unblock_resets_the_try_counter() -> None:
    ex = start("pin-blocked")
    assert ex.offline_pin("123456") == 0x6983
    atc, arqc = online(ex)
    ex.send(command(ex, 0x84, 0x24, 0, 0, b"", atc, arqc))
    assert ex.sw == 0x9000 and ex.card.state.pin_try_counter == 3
    nxt = Exchange(ex.card)
    nxt.gpo()
    assert nxt.offline_pin("123456") == 0x9000


def test_pin_change_visa_by_pyemv() -> None:
    ex = start("visa-cda")
    atc, arqc = online(ex)
    ex.send(visa(ex).generate_pin_change_command("8642", arqc, atc))
    assert ex.sw == 0x9000
    nxt = Exchange(ex.card)
    nxt.gpo()
    assert nxt.offline_pin("1234") == 0x63C2 and nxt.offline_pin("8642") == 0x9000


def test_pin_change_mastercard_by_pyemv_with_chained_ac() -> None:
    ex = start("mc-dda")
    atc, arqc = online(ex)
    p = ex.card.image.profile
    mc = pyemv_cvn.MasterCardCVN20(p.imk_ac, p.imk_smi, p.imk_smc, p.pan, p.psn)
    ex.send(command(ex, 0x84, 0x24, 0, 0, b"", atc, arqc))  # first script command: 9F26 as is
    assert ex.sw == 0x9000
    second = (int.from_bytes(arqc, "big") + 1).to_bytes(8, "big")  # pyemv: 9F26 + 1 for the next one
    ex.send(mc.generate_pin_change_command("97531", second, atc))
    assert ex.sw == 0x9000 and ex.card.state.pin == "97531"


def test_pin_change_pboc() -> None:
    ex = start("pboc-sda")
    atc, arqc = online(ex)
    p = ex.card.image.profile
    sk_smc = derive_sm_key(p.cryptogram, derive_icc_mk(p.cryptogram, p.imk_smc, p.pan, p.psn), atc, arqc)
    mk_ac = derive_icc_mk(p.cryptogram, p.imk_ac, p.pan, p.psn)
    ex.send(command(ex, 0x84, 0x24, 0, 2, encipher_pin(p.cryptogram, sk_smc, mk_ac, "2468"), atc, arqc))
    assert ex.sw == 0x9000 and ex.card.state.pin == "2468"
    ex.send(command(ex, 0x84, 0x24, 0, 2, bytes(16), atc, arqc, index=1))
    assert ex.sw == 0x6A80 and ex.card.state.pin == "2468"
    ex.send(command(ex, 0x84, 0x24, 0, 1, bytes(16), atc, arqc))
    assert ex.sw == 0x6A86  # change with the current PIN is not supported


def test_put_data_updates_limits_and_records() -> None:
    ex = start("pboc-sda")
    atc, arqc = online(ex)
    ex.send(command(ex, 0x04, 0xDA, 0x9F, 0x14, b"\x07", atc, arqc))
    assert ex.sw == 0x9000
    ex.send(command(ex, 0x84, 0xDA, 0x9F, 0x23, b"\x09", atc, arqc))
    assert ex.sw == 0x9000
    assert ex.send(apdu.get_data(0x9F14)) == bytes.fromhex("9F140107")
    assert ex.send(apdu.get_data(0x9F23)) == bytes.fromhex("9F230109")
    assert bytes.fromhex("9F140107") in ex.send(apdu.read_record(1, 2))
    ex.send(command(ex, 0x84, 0xDA, 0x9F, 0x99, b"\x01", atc, arqc))
    assert ex.sw == 0x6A88
    ex.send(command(ex, 0x84, 0xDA, 0x9F, 0x14, b"\x01\x02", atc, arqc))
    assert ex.sw == 0x6700


def test_bad_mac_and_bad_timing_are_refused_and_reported() -> None:
    ex = start("pboc-sda")
    ex.send(bytes.fromhex("841E000008") + bytes(8))
    assert ex.sw == 0x6985  # no cryptogram yet in this transaction
    atc, arqc = online(ex)
    good = command(ex, 0x84, 0x1E, 0, 0, b"", atc, arqc)
    ex.send(good[:-1] + bytes((good[-1] ^ 1,)))
    assert ex.sw == 0x6988 and not ex.card.state.app_blocked
    ex.send(bytes.fromhex("841E000004") + bytes(4))
    assert ex.sw == 0x6700  # shorter than the MAC
    ex.send(bytes.fromhex("001E000008") + bytes(8))
    assert ex.sw == 0x6E00
    ex.terminal[0x8A] = b"00"
    cvr = ex.generate_ac(0x40, second=True)[0x9F10][3:7]
    assert cvr[3] & 0x08 and cvr[3] >> 4 == 1  # issuer script processing failed; one SM command counted
