"""GENERATE AC: cryptograms verified by emv.crypto and independently by pyemv, CDA, card risk management.

EMV 4.4 Book 2, 6.6 and 8.1; Book 3, 6.5.5. pyemv 1.5.0 is a test-only peer: its primitives (kd, ac) check
every version, its CVN classes check Visa CVN 18 and Mastercard CVN 20 end to end.
"""

from __future__ import annotations

import hashlib

import pytest
from pyemv import ac as pyemv_ac
from pyemv import cvn as pyemv_cvn
from pyemv import kd as pyemv_kd
from pyemv import tools as pyemv_tools

from emv import apdu
from emv.cards import load_card
from emv.cards.cvn import MCHIP_CVN20
from emv.crypto.ac import VISA_CVN18, derive_ac_key, generate_arpc, verify_cryptogram
from emv.dol import Dol
from emv.tlv import encode

from .cardkit import UN, Exchange, fixed_random, recover_chain, recover_sdad, start

pytestmark = pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")

ARQC, TC, AAC, CDA = 0x80, 0x40, 0x00, 0x10


def split(dol: Dol, data: bytes) -> dict[int, bytes]:
    out, i = {}, 0
    for tag, length in dol:
        out[tag], i = data[i : i + length], i + length
    return out


def elements(ex: Exchange, response: dict[int, bytes]) -> dict[int, bytes]:
    p = ex.card.image.profile
    out = split(p.pdol_list, ex.pdol_data)
    out.update(split(p.cdol1_list, ex.cdol1_data))
    out.update({0x82: p.aip, 0x9F36: response[0x9F36], 0x9F10: response[0x9F10]})
    return out


def ac_key(ex: Exchange, atc: bytes) -> bytes:
    p = ex.card.image.profile
    return derive_ac_key(p.cryptogram.version, p.imk_ac, p.pan, p.psn, atc)


@pytest.mark.parametrize("name", ["visa-cda", "mc-dda", "pboc-sda"])
def test_arqc_verifies_with_emv_crypto_and_pyemv(name: str) -> None:
    ex = start(name)
    r = ex.generate_ac(ARQC)
    assert ex.sw == 0x9000 and r[0x9F27] == b"\x80"
    p = ex.card.image.profile
    atc, iad, arqc = r[0x9F36], r[0x9F10], r[0x9F26]
    assert atc == (p.atc + 1).to_bytes(2, "big")
    e = elements(ex, r)
    assert verify_cryptogram(p.cryptogram.version, ac_key(ex, atc), e, arqc)
    # pyemv, independently: ICC MK by option A or B; the EMV common session key from the ATC, or for PBOC
    # the process key E_MK(00..00 ATC) | E_MK(00..00 ~ATC) (pyemv has no PBOC version); padding 80
    derive = pyemv_kd.derive_icc_mk_b if p.cryptogram.key == "VISA_CVN18" else pyemv_kd.derive_icc_mk_a
    mk = derive(p.imk_ac, p.pan, p.psn)
    if p.cryptogram.key == "PBOC_CVN01":
        not_atc = bytes(b ^ 0xFF for b in atc)
        sk = pyemv_tools.encrypt_tdes_ecb(mk, bytes(6) + atc + bytes(6) + not_atc)
    else:
        sk = pyemv_kd.derive_common_sk(mk, atc + bytes(6))
    covered = {"VISA_CVN18": iad, "PBOC_CVN01": iad[3:7], "MCHIP_CVN20": iad[2:8]}[p.cryptogram.key]
    tags = (0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37, 0x82, 0x9F36)
    data = b"".join(e[t] for t in tags) + covered
    assert pyemv_ac.generate_ac(sk, data, pyemv_ac.PaddingType.EMV) == arqc


def test_visa_cvn18_matches_pyemv_cvn_class() -> None:
    ex = start("visa-cda")
    r = ex.generate_ac(ARQC)
    p = ex.card.image.profile
    e = elements(ex, r)
    visa = pyemv_cvn.VisaCVN18(p.imk_ac, p.imk_smi, p.imk_smc, p.pan, p.psn)
    kwargs = {f"tag_{t:02x}": e[t] for t in (0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37, 0x82)}
    assert visa.generate_ac(**kwargs, tag_9f36=r[0x9F36], tag_9f10=r[0x9F10]) == r[0x9F26]
    arpc = visa.generate_arpc(tag_9f26=r[0x9F26], tag_9f36=r[0x9F36], csu=bytes(4))
    ex.terminal.update({0x8A: b"00", 0x91: arpc + bytes(4)})
    r2 = ex.generate_ac(TC, second=True)
    assert ex.sw == 0x9000 and r2[0x9F27] == b"\x40"
    assert ex.card.state.last_online_atc == p.atc + 1


def test_mastercard_like_cvn20_matches_pyemv_cvn_class() -> None:
    ex = start("mc-dda")
    r = ex.generate_ac(ARQC)
    p = ex.card.image.profile
    assert p.cryptogram.version is MCHIP_CVN20
    e = elements(ex, r)
    mc = pyemv_cvn.MasterCardCVN20(p.imk_ac, p.imk_smi, p.imk_smc, p.pan, p.psn)
    kwargs = {f"tag_{t:02x}": e[t] for t in (0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37, 0x82)}
    assert mc.generate_ac(**kwargs, tag_9f36=r[0x9F36], cvr=r[0x9F10][2:8]) == r[0x9F26]
    arpc = mc.generate_arpc(tag_9f26=r[0x9F26], tag_9f36=r[0x9F36], arpc_rc=b"00")
    ex.send(apdu.external_authenticate(arpc + b"00"))
    assert ex.sw == 0x9000
    ex.send(apdu.external_authenticate(arpc + b"00"))
    assert ex.sw == 0x6985  # once per transaction
    ex.terminal[0x8A] = b"00"
    assert ex.generate_ac(TC, second=True)[0x9F27] == b"\x40"


def test_iad_layouts() -> None:
    visa = start("visa-cda").generate_ac(ARQC)[0x9F10]
    pboc = start("pboc-sda").generate_ac(ARQC)[0x9F10]
    mc = start("mc-dda").generate_ac(ARQC)[0x9F10]
    assert visa == bytes.fromhex(
        "06011203A00000"
    )  # Visa: length, DKI, CVN 18, CVR: 1st AC ARQC, 2nd not asked
    assert pboc[:8] == bytes.fromhex("0701010" + "3A0000001") and len(pboc) == 19
    assert mc[:2] == b"\x01\x14" and mc[2] == 0xA0 and len(mc) == 18


def cda_hash(ex: Exchange, response: dict[int, bytes], cdol2_data: bytes = b"") -> bytes:
    tlv = encode([(0x9F27, response[0x9F27]), (0x9F36, response[0x9F36]), (0x9F10, response[0x9F10])])
    return hashlib.sha1(ex.pdol_data + ex.cdol1_data + cdol2_data + tlv).digest()


def test_cda_signature_covers_the_cryptogram_and_transaction_data() -> None:
    ex = start("visa-cda")
    chain = recover_chain(ex, ex.read_records())
    r = ex.generate_ac(ARQC | CDA)
    assert ex.sw == 0x9000 and 0x9F4B in r and 0x9F26 not in r
    dynamic = recover_sdad(chain, r[0x9F4B], UN)  # the CDA hash covers the unpredictable number
    idn_len = dynamic[0]
    cid, ac, tdhc = (
        dynamic[1 + idn_len : 2 + idn_len],
        dynamic[2 + idn_len : 10 + idn_len],
        dynamic[10 + idn_len :],
    )
    assert cid == r[0x9F27] == b"\x80" and len(ac) == 8
    assert tdhc == cda_hash(ex, r)
    p = ex.card.image.profile
    assert verify_cryptogram(p.cryptogram.version, ac_key(ex, r[0x9F36]), elements(ex, r), ac)
    # second GENERATE AC with CDA: the hash adds the CDOL2 data
    arpc = generate_arpc(VISA_CVN18, ac_key(ex, r[0x9F36]), ac, bytes(4))
    ex.terminal.update({0x8A: b"00", 0x91: arpc + bytes(4)})
    cdol2_data = bytes.fromhex("3030") + arpc + bytes(4) + ex.terminal[0x95] + UN
    r2 = ex.generate_ac(TC | CDA, second=True)
    dynamic2 = recover_sdad(chain, r2[0x9F4B], UN)
    assert dynamic2[1 + idn_len] == 0x40 and dynamic2[10 + idn_len :] == cda_hash(ex, r2, cdol2_data)


def test_cda_not_applied_to_an_aac_or_without_aip_support() -> None:
    ex = start("declines-offline")
    r = ex.generate_ac(ARQC | CDA)
    assert r[0x9F27] == b"\x00" and 0x9F4B not in r and 0x9F26 in r
    mc = start("mc-dda")  # DDA only: CDA asked, plain response given
    assert 0x9F26 in mc.generate_ac(ARQC | CDA)


def test_offline_approval_within_limits_and_phase_rules() -> None:
    ex = start("visa-cda")
    r = ex.generate_ac(TC)
    assert r[0x9F27] == b"\x40" and r[0x9F10][4] == 0x90  # CVR: 2nd AC not requested, 1st AC TC
    ex.generate_ac(TC, second=True)
    assert ex.sw == 0x6985  # the transaction is over
    aac = start("visa-cda").generate_ac(AAC)
    assert aac[0x9F27] == b"\x00"


@pytest.mark.parametrize(
    ("change", "cvr_byte3"),
    [
        ({"last_online_atc": 0}, 0x10),  # new card
        ({"atc": 0x0100}, 0x20),  # lower consecutive offline limit exceeded
        ({"pin_try_counter": 0}, 0x40),  # PIN try limit exceeded
        ({"issuer_auth_failed_last": True}, 0x08),
        ({"issuer_auth_not_performed_last": True}, 0x04),
        ({"last_online_not_completed": True}, 0x80),
    ],
)
def test_card_risk_turns_a_tc_request_into_an_arqc(change: dict[str, object], cvr_byte3: int) -> None:
    card = load_card("visa-cda", random_bytes=fixed_random)
    for key, value in change.items():
        setattr(card.state, key, value)
    ex = Exchange(card)
    ex.gpo()
    r = ex.generate_ac(TC)
    assert r[0x9F27] == b"\x80" and r[0x9F10][5] & cvr_byte3


def test_faulty_cards() -> None:
    assert start("declines-offline").generate_ac(ARQC)[0x9F27] == b"\x00"
    blocked = Exchange(load_card("app-blocked"))
    blocked.gpo()
    assert blocked.sw == 0x9000  # 6283 at SELECT; a terminal that goes on finds GPO working
    assert blocked.generate_ac(ARQC)[0x9F27] == b"\x00"
    ex = start("genac-6985")
    ex.generate_ac(ARQC)
    assert ex.sw == 0x6985


def test_generate_ac_status_words() -> None:
    ex = start("pboc-sda")
    ex.send(apdu.generate_ac(0xC0, bytes(40)))
    assert ex.sw == 0x6A86
    ex.send(apdu.generate_ac(0x88, bytes(40)))
    assert ex.sw == 0x6A86  # XDA is not supported
    ex.send(apdu.generate_ac(ARQC, bytes(3)))
    assert ex.sw == 0x6700
    assert ex.generate_ac(ARQC)[0x9F27] == b"\x80"
    ex.send(apdu.generate_ac(ARQC, bytes(18)))
    assert ex.sw == 0x6A86  # the second GENERATE AC asks for a TC or an AAC
    fresh = load_card("pboc-sda")
    assert fresh.transmit(apdu.generate_ac(ARQC, bytes(40)))[-2:] == b"\x69\x85"


def online(
    name: str, arc: bytes, good_arpc: bool = True, via_external: bool = False
) -> tuple[Exchange, bytes]:
    ex = start(name)
    r = ex.generate_ac(ARQC)
    p = ex.card.image.profile
    key = ac_key(ex, r[0x9F36])
    response = arc if p.cryptogram.version.arpc_method == 1 else bytes(4)
    arpc = generate_arpc(p.cryptogram.version, key, r[0x9F26], response)
    if not good_arpc:
        arpc = bytes((0x5A,)) * len(arpc)
    iad = arpc + response
    if via_external:
        ex.send(apdu.external_authenticate(iad))
    ex.terminal.update({0x8A: arc, 0x91: iad})
    return ex, ex.generate_ac(TC, second=True)[0x9F27]


def test_arpc_in_second_generate_ac() -> None:
    for name in ("visa-cda", "pboc-sda"):
        ex, cid = online(name, b"00")
        assert cid == b"\x40" and ex.card.state.last_online_atc == ex.card.state.atc
        ex, cid = online(name, b"00", good_arpc=False)
        assert cid == b"\x00" and ex.card.state.issuer_auth_failed_last
        ex, cid = online(name, b"05")
        assert cid == b"\x00"


def test_external_authenticate() -> None:
    ex, cid = online("mc-dda", b"00", via_external=True)
    assert ex.card.trace[-2] == (bytes.fromhex("00820000"), 0x9000) and cid == b"\x40"
    ex, cid = online("mc-dda", b"00", good_arpc=False, via_external=True)
    assert ex.card.trace[-2] == (bytes.fromhex("00820000"), 0x6300) and cid == b"\x00"
    early = start("mc-dda")
    early.send(apdu.external_authenticate(bytes(10)))
    assert early.sw == 0x6985
    early.generate_ac(ARQC)
    early.send(apdu.external_authenticate(bytes(4)))
    assert early.sw == 0x6700
    early.send(bytes.fromhex("0082000108") + bytes(8))
    assert early.sw == 0x6A86


def test_failed_issuer_authentication_sends_the_next_transaction_online() -> None:
    ex, _ = online("visa-cda", b"00", good_arpc=False)
    nxt = Exchange(ex.card)
    nxt.gpo()
    r = nxt.generate_ac(TC)
    assert r[0x9F27] == b"\x80" and r[0x9F10][5] & 0x08


def test_unable_to_go_online() -> None:
    ex = start("visa-cda")
    ex.generate_ac(ARQC)
    ex.terminal[0x8A] = b"Y3"
    r = ex.generate_ac(TC, second=True)
    assert r[0x9F27] == b"\x40" and r[0x9F10][4] & 0x01  # CVR: unable to go online
    card = load_card("visa-cda")
    card.state.atc = card.state.last_online_atc + 10  # beyond the upper limit 5
    over = Exchange(card)
    over.gpo()
    over.generate_ac(TC)
    over.terminal[0x8A] = b"Y3"
    assert over.generate_ac(TC, second=True)[0x9F27] == b"\x00"


def test_online_approval_without_issuer_authentication_is_remembered() -> None:
    ex = start("visa-cda")
    ex.generate_ac(ARQC)
    ex.terminal[0x8A] = b"00"
    ex.terminal.pop(0x91, None)
    assert ex.generate_ac(TC, second=True)[0x9F27] == b"\x40"
    assert ex.card.state.issuer_auth_not_performed_last


def test_interrupted_online_transaction_is_remembered() -> None:
    ex = start("pboc-sda")
    ex.generate_ac(ARQC)
    ex.card.remove()
    ex.card.reset()
    nxt = Exchange(ex.card)
    nxt.gpo()
    r = nxt.generate_ac(TC)
    assert r[0x9F27] == b"\x80" and r[0x9F10][5] & 0x80


def test_atc_counts_each_gpo_and_the_log_records_final_cryptograms() -> None:
    card = load_card("pboc-sda")
    for n in range(1, 4):
        ex = Exchange(card)
        ex.gpo()
        assert card.state.atc == 0x0101 + n
        ex.generate_ac(AAC)
    ex = Exchange(card)
    ex.select()
    assert ex.send(apdu.get_data(0x9F4F)) == encode([(0x9F4F, card.image.profile.log_format)])
    newest = ex.send(apdu.read_record(1, 11))
    assert ex.sw == 0x9000 and len(newest) == 45 and newest[-2:] == (0x0101 + 3).to_bytes(2, "big")
    assert newest[:3] == bytes.fromhex("260315") and b"POSEMU SHOP" in newest
    ex.send(apdu.read_record(4, 11))
    assert ex.sw == 0x6A83
