"""Tests for emv.crypto.dukpt: ANSI X9.24-1:2009 A.4 test data (DOMAIN_FACTS test vector 11).

The tables are the X9.24-1:2009 A.4.2 (initial sequence) and A.4.3 (rollover) values as carried by
openemv/dukpt test/dukpt_tdes_test.c: BDK 0123..3210, IKSN FFFF9876543210E00000, PIN block 041274EDCBA9876F.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emv.crypto import des, dukpt
from emv.crypto.errors import DataError, KeyLengthError, KsnError

BDK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
IKSN = bytes.fromhex("FFFF9876543210E00000")
IPEK = bytes.fromhex("6AC292FAA1315B4D858AB3A3D7D5933A")
PIN_BLOCK = bytes.fromhex("041274EDCBA9876F")

# A.4.2: counters 1..21, transaction key and encrypted PIN block (PIN key variant, 2-key TDEA ECB).
INITIAL_SEQUENCE = [
    ("042666B49184CFA368DE9628D0397BC9", "1B9C1845EB993A7A"),
    ("C46551CEF9FD24B0AA9AD834130D3BC7", "10A01C8D02C69107"),
    ("0DF3D9422ACA56E547676D07AD6BADFA", "18DC07B94797B466"),
    ("279C0F6AEED0BE652B2C733E1383AE91", "0BC79509D5645DF7"),
    ("5F8DC6D2C845C125508DDC048093B83F", "5BC0AF22AD87B327"),
    ("5E415CB0BAF9F03CD0C14B63FB62FF43", "A16DF70AE36158D8"),
    ("0C8F780B7C8B49D0AE84A9EB2A6CE660", "27711C16CB257F8E"),
    ("27F66D5244FF62E1AA6F6120EDEB4280", "50E55547A5027551"),
    ("27E31064FDC565698900E2057F658E7E", "536CF7F678ACFC8D"),
    ("6CF2500A22507C7CC776CEADC1E33014", "EDABBA23221833FE"),
    ("3E8260BA04B2D620C01482B3819A18B7", "2328981C57B4BDBA"),
    ("B716E1E11CF53D80726CAEE75C3A624F", "038D03CC926CF286"),
    ("E072EDF95340535FB6C581C58FBF2533", "6C8AA97088B62C68"),
    ("A80046087F5B8F245AAD95E18429084F", "F17C9E1D72CD4950"),
    ("93DD5B956C4878472E453AAEFD32A5AA", "B170F6E7F7F2F64A"),
    ("59598DCBD9BD94C094165CE453585F57", "D5D9638559EF53D6"),
    ("2B5F01F4F0CC05EA639D523231BF1BA2", "D544F8CDD292C863"),
    ("9CF640F279C2AEE615F725EEEAC2CBAF", "7A21BD10F36DC41D"),
    ("C3DF489FDF1153B4F03DE97C27DC4C2F", "78649BD17D0DFA60"),
    ("658488507721B3F14737FA93F923CBD2", "7E7E16EA0C31AD56"),
    ("E161D1956A61F6D2F37AFD7F9CC3699A", "72105C22EBC791E6"),
]

# A.4.3: rollover KSNs, transaction key, encrypted PIN block.
ROLLOVER_SEQUENCE = [
    ("FFFF9876543210EFF800", "F9CDFEBF4F5B1D9EB3EC12454527E176", "33365F5CC6F23C35"),
    ("FFFF9876543210EFF801", "5BEE92627E97825C911BF619DF72CA3B", "3A86BF003F835C9D"),
    ("FFFF9876543210EFF802", "64CA2F8AB93F61B01620B00BF77C7301", "3DB977D05C36DF3F"),
    ("FFFF9876543210EFF804", "35A168695B3BA83307E871C42021DD37", "BA83243305712099"),
    ("FFFF9876543210EFF808", "12C380FCB72ED3C26FC6079AF63F4787", "B0DA04AC90A36D85"),
    ("FFFF9876543210EFF810", "D8007C833A1E3C49C6889B97A68C54FF", "2CF02BD9C309EEDA"),
    ("FFFF9876543210EFF820", "A9C9FF9B735FDD49591F296B0BF0FD70", "9D1E2F77AEEE81C6"),
    ("FFFF9876543210EFF840", "0E3E221062CB5E03A384602783A004FA", "40870B0F8BA2011C"),
    ("FFFF9876543210EFF880", "CA8225C587124DFBB87F279C0BE29727", "22E340D6ABB40981"),
    ("FFFF9876543210EFF900", "906AAC1751D4971A144D52C76C6E1F97", "1A4C10AFBA03A430"),
    ("FFFF9876543210EFFA00", "2B9E2CE7C2750337E10B54D2989EA6AF", "849763B43E5F9CFF"),
    ("FFFF9876543210EFFC00", "F9430DF975082491C77BE4EF4FDB91EE", "DEFC6F09F8927B71"),
    ("FFFF9876543210F00000", "AA4D58DB653EC74A48C75F2F047DD2B5", "73EC88AD0AC5830E"),
]


def test_vector_11_ipek_and_first_transaction() -> None:
    assert dukpt.derive_ipek(BDK, IKSN) == IPEK
    assert dukpt.derive_ipek(BDK, bytes.fromhex("FFFF9876543210E00008")) == IPEK  # counter bits ignored
    ksn = bytes.fromhex("FFFF9876543210E00001")
    key = dukpt.derive_transaction_key(IPEK, ksn)
    assert key.hex().upper() == "042666B49184CFA368DE9628D0397BC9"
    pin_key = dukpt.derive_pin_key(key)
    assert pin_key.hex().upper() == "042666B49184CF5C68DE9628D0397B36"
    assert des.encrypt_ecb(pin_key, PIN_BLOCK).hex().upper() == "1B9C1845EB993A7A"
    mac_key = dukpt.derive_mac_request_key(key)
    assert mac_key.hex().upper() == "042666B4918430A368DE9628D03984C9"


@pytest.mark.parametrize(("counter", "row"), list(enumerate(INITIAL_SEQUENCE, start=1)))
def test_initial_sequence(counter: int, row: tuple[str, str]) -> None:
    ksn = IKSN[:8] + counter.to_bytes(2, "big")
    key = dukpt.derive_transaction_key(IPEK, ksn)
    assert key.hex().upper() == row[0]
    pin_key = dukpt.derive_pin_key(key)
    assert des.encrypt_ecb(pin_key, PIN_BLOCK).hex().upper() == row[1]
    assert des.decrypt_ecb(pin_key, bytes.fromhex(row[1])) == PIN_BLOCK


def test_advance_walks_the_published_sequences() -> None:
    ksn = IKSN
    for counter in range(1, 22):
        ksn = dukpt.advance_ksn(ksn)
        assert ksn == IKSN[:8] + counter.to_bytes(2, "big")
    ksn = bytes.fromhex(ROLLOVER_SEQUENCE[0][0])
    for row in ROLLOVER_SEQUENCE[1:]:
        ksn = dukpt.advance_ksn(ksn)
        assert ksn.hex().upper() == row[0]


@pytest.mark.parametrize("row", ROLLOVER_SEQUENCE, ids=[r[0][-6:] for r in ROLLOVER_SEQUENCE])
def test_rollover_sequence(row: tuple[str, str, str]) -> None:
    ksn = bytes.fromhex(row[0])
    assert dukpt.derive_ipek(BDK, ksn) == IPEK
    key = dukpt.derive_transaction_key(IPEK, ksn)
    assert key.hex().upper() == row[1]
    assert des.encrypt_ecb(dukpt.derive_pin_key(key), PIN_BLOCK).hex().upper() == row[2]


def test_variants() -> None:
    key = bytes.fromhex("042666B49184CFA368DE9628D0397BC9")
    # Third-party values (CyberChef payments fork, "session key variants" of KSN ..E00001).
    assert dukpt.derive_mac_response_key(key).hex().upper() == "042666B46E84CFA368DE96282F397BC9"
    data_variant = bytes(a ^ b for a, b in zip(key, dukpt.DATA_REQUEST_VARIANT, strict=True))
    assert data_variant.hex().upper() == "042666B4917BCFA368DE9628D0C67BC9"


def test_data_keys_one_way_step() -> None:
    # Ruby dukpt gem tests: DEK of the counter-8 key and of counter 0x13 (variant, then the one-way step).
    assert dukpt.derive_data_request_key(bytes.fromhex("27F66D5244FF62E1AA6F6120EDEB4280")).hex().upper() == (
        "C39B2778B058AC376FB18DC906F75CBA"
    )
    key13 = dukpt.derive_transaction_key(IPEK, bytes.fromhex("FFFF9876543210E00013"))
    assert dukpt.derive_data_request_key(key13).hex().upper() == "44893E3434ABDD6A817CE2841825E1FD"
    response = dukpt.derive_data_response_key(key13)
    variant = bytes(a ^ b for a, b in zip(key13, dukpt.DATA_RESPONSE_VARIANT, strict=True))
    assert response == des.encrypt_ecb(variant, variant[:8]) + des.encrypt_ecb(variant, variant[8:])


def test_track_data_under_pin_variant_key() -> None:
    # The widely reproduced IDTech example: KSN ..E00008, track 1 enciphered TDEA-CBC (zero IV) with the
    # PIN-variant key of that KSN.
    ksn = bytes.fromhex("FFFF9876543210E00008")
    key = dukpt.derive_pin_key(dukpt.derive_transaction_key(dukpt.derive_ipek(BDK, ksn), ksn))
    ciphertext = bytes.fromhex(
        "C25C1D1197D31CAA87285D59A892047426D9182EC11353C051ADD6D0F072A6CB"
        "3436560B3071FC1FD11D9F7E74886742D9BEE0CFD1EA1064C213BB55278B2F12"
    )
    clear = des.decrypt_cbc(key, ciphertext)
    assert clear == b"%B5452300551227189^HOGAN/PAUL      ^08043210000000725000000?\x00\x00\x00\x00"


def _reference_key(ipek: bytes, ksn: bytes) -> bytes:
    """Second computation, recursive: key(c) = NRKGP(key(c without its lowest set bit), register with c)."""
    counter = int.from_bytes(ksn, "big") & 0x1FFFFF
    if counter == 0:
        return ipek
    parent = _reference_key(ipek, (int.from_bytes(ksn, "big") & ~(counter & -counter)).to_bytes(10, "big"))
    register = ksn[2:]
    variant = bytes.fromhex("C0C0C0C000000000C0C0C0C000000000")
    halves = []
    for key in (bytes(a ^ b for a, b in zip(parent, variant, strict=True)), parent):
        message = bytes(a ^ b for a, b in zip(register, key[8:], strict=True))
        halves.append(bytes(a ^ b for a, b in zip(des.encrypt_ecb(key[:8], message), key[8:], strict=True)))
    return halves[0] + halves[1]


@given(
    counter=st.integers(1, 0x1FFFFF).filter(lambda c: c.bit_count() <= 10),
    ipek=st.binary(min_size=16, max_size=16),
)
@settings(max_examples=40, deadline=None)
def test_against_recursive_reference(counter: int, ipek: bytes) -> None:
    ksn = IKSN[:7] + ((IKSN[7] << 16) | counter).to_bytes(3, "big")
    assert dukpt.derive_transaction_key(ipek, ksn) == _reference_key(ipek, ksn)


def test_ksn_errors() -> None:
    with pytest.raises(KsnError) as info:
        dukpt.derive_transaction_key(IPEK, IKSN)
    assert "counter is 0" in str(info.value)
    with pytest.raises(KsnError):
        dukpt.derive_transaction_key(IPEK, bytes.fromhex("FFFF9876543210E007FF"))  # 11 one bits
    with pytest.raises(KsnError):
        dukpt.advance_ksn(bytes.fromhex("FFFF9876543210FFF800"))  # 0x1FF800: the last valid counter
    with pytest.raises(DataError):
        dukpt.derive_transaction_key(IPEK, bytes(8))
    with pytest.raises(DataError):
        dukpt.derive_ipek(BDK, bytes(12))
    with pytest.raises(KeyLengthError):
        dukpt.derive_ipek(bytes(8), IKSN)
    with pytest.raises(KeyLengthError):
        dukpt.derive_transaction_key(bytes(24), bytes.fromhex("FFFF9876543210E00001"))
    with pytest.raises(KeyLengthError):
        dukpt.derive_pin_key(bytes(8))
