"""Known-answer tests for emv.crypto.ac (DOMAIN_FACTS test vectors 4 and 5, from pyemv)."""

from __future__ import annotations

import dataclasses

import pytest

from emv.crypto import ac, kd
from emv.crypto.errors import DataError, KeyLengthError
from emv.crypto.mac import Padding

IMK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
ICC_MK = kd.derive_icc_mk_a(IMK, "9901234567890123", "45")
SK = kd.derive_common_sk(ICC_MK, bytes.fromhex("1234567890123456"))
DATA_16 = bytes.fromhex("0123456789ABCDEF0123456789ABCDEF")


def test_vector_4_emv_padding_arqc_and_arpcs() -> None:
    arqc = ac.generate_ac(SK, DATA_16, Padding.METHOD_2)
    assert arqc.hex().upper() == "4B46013359B7A58B"
    assert ac.generate_ac(SK, DATA_16) == arqc  # padding method 2 is the default
    assert ac.generate_arpc_1(ICC_MK, arqc, bytes.fromhex("0000")).hex().upper() == "F8C9CECAABD55AD1"
    pad = bytes.fromhex("1234567890ABCDEF")
    assert ac.generate_arpc_2(SK, arqc, bytes(4), pad).hex().upper() == "4962B76C"
    assert ac.generate_arpc_2(SK, arqc, bytes(4)).hex().upper() == "7DFB1188"


def test_vector_4_zero_padding() -> None:
    arqc = ac.generate_ac(SK, DATA_16 + b"\x01", Padding.METHOD_1)
    assert arqc.hex().upper() == "2E141C6BC4A20DA8"
    assert ac.generate_arpc_1(ICC_MK, arqc, bytes.fromhex("0000")).hex().upper() == "16A49AAB314B9262"
    # Same pyemv file: data already whole blocks, so padding method 1 adds nothing.
    arqc = ac.generate_ac(SK, DATA_16, Padding.METHOD_1)
    assert arqc.hex().upper() == "922F3E83125EB46B"
    assert ac.generate_arpc_1(ICC_MK, arqc, bytes.fromhex("0000")).hex().upper() == "8AE6E836084B0E80"


def test_vector_5_ac_module() -> None:
    sk = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB")
    data = bytes.fromhex("000000002000000000000000012400000080000124110309003804823E58000001")
    assert ac.generate_ac(sk, data).hex().upper() == "3B76CF10FECD8789"
    arqc = bytes.fromhex("1234567890ABCDEF")
    assert ac.generate_arpc_1(sk, arqc, bytes.fromhex("0000")).hex().upper() == "F5E6F44147E2F1B0"
    assert ac.generate_arpc_2(sk, arqc, bytes.fromhex("00000000")).hex().upper() == "9308BEBC"


def test_verify_helpers() -> None:
    arqc = ac.generate_ac(SK, DATA_16)
    assert ac.verify_ac(SK, DATA_16, arqc)
    assert not ac.verify_ac(SK, DATA_16 + b"\x00", arqc)
    assert not ac.verify_ac(SK, DATA_16, arqc, Padding.METHOD_1)
    arpc = ac.generate_arpc_1(SK, arqc, b"00")
    assert ac.verify_arpc_1(SK, arqc, b"00", arpc)
    assert not ac.verify_arpc_1(SK, arqc, b"05", arpc)
    arpc2 = ac.generate_arpc_2(SK, arqc, bytes(4), b"\x01")
    assert ac.verify_arpc_2(SK, arqc, bytes(4), arpc2, b"\x01")
    assert not ac.verify_arpc_2(SK, arqc, bytes(4), arpc2)


CVN18_ELEMENTS = {
    0x9F02: bytes.fromhex("000000009999"),
    0x9F03: bytes.fromhex("000000000000"),
    0x9F1A: bytes.fromhex("0840"),
    0x95: bytes.fromhex("8000048000"),
    0x5F2A: bytes.fromhex("0840"),
    0x9A: bytes.fromhex("991231"),
    0x9C: bytes.fromhex("01"),
    0x9F37: bytes.fromhex("52BF4585"),
    0x82: bytes.fromhex("1800"),
    0x9F36: bytes.fromhex("0FFF"),
    0x9F10: bytes.fromhex("06011203A0B800"),
}


def test_visa_cvn18_end_to_end() -> None:
    # pyemv/cvn.py module docstring: VisaCVN18, IMK AA.., PAN 1234567890123456, PSN 00, ATC 0FFF.
    imk = bytes.fromhex("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    key = ac.derive_ac_key(ac.VISA_CVN18, imk, "1234567890123456", "00", bytes.fromhex("0FFF"))
    arqc = ac.generate_cryptogram(ac.VISA_CVN18, key, CVN18_ELEMENTS)
    assert arqc.hex().upper() == "769577B5ABE9FE62"
    assert ac.verify_cryptogram(ac.VISA_CVN18, key, CVN18_ELEMENTS, arqc)
    assert ac.generate_arpc(ac.VISA_CVN18, key, arqc, bytes(4)).hex().upper() == "76503F48"


def test_versions_are_data() -> None:
    assert ac.VISA_CVN18.data_tags == (
        0x9F02,
        0x9F03,
        0x9F1A,
        0x95,
        0x5F2A,
        0x9A,
        0x9C,
        0x9F37,
        0x82,
        0x9F36,
        0x9F10,
    )
    assert ac.VISA_CVN18.iad_range is None
    assert ac.VISA_CVN10.session_key is ac.SessionKeyDerivation.NONE
    assert (ac.VISA_CVN10.padding, ac.VISA_CVN10.arpc_method) == (Padding.METHOD_1, ac.ArpcMethod.METHOD_1)
    assert ac.PBOC_CVN01.mk_derivation is ac.MasterKeyDerivation.OPTION_A
    assert ac.PBOC_CVN01.session_key is ac.SessionKeyDerivation.PBOC
    assert (ac.PBOC_CVN01.padding, ac.PBOC_CVN01.arpc_method) == (Padding.METHOD_2, ac.ArpcMethod.METHOD_1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ac.VISA_CVN18.padding = Padding.METHOD_1  # type: ignore[misc]
    assert isinstance(hash(ac.PBOC_CVN01), int)


# Public worked PBOC example (cnblogs.com/1024Planet/p/6256545.html, also 553668.com/manong/959163.html):
# IMK_AC F0C3..6EAC, PAN 6228000100001, PSN 01, ATC 0240, ARC "01" (ASCII).
PBOC_ELEMENTS = {
    0x9F02: bytes.fromhex("000000000001"),
    0x9F03: bytes.fromhex("000000000000"),
    0x9F1A: bytes.fromhex("0156"),
    0x95: bytes.fromhex("0080046000"),
    0x5F2A: bytes.fromhex("0156"),
    0x9A: bytes.fromhex("140701"),
    0x9C: bytes.fromhex("00"),
    0x9F37: bytes.fromhex("1E78EEBC"),
    0x82: bytes.fromhex("7D00"),
    0x9F36: bytes.fromhex("0240"),
    0x9F10: bytes.fromhex("07000103A04002010A010000001000D1F61152"),
}


def test_pboc_worked_example_from_imk() -> None:
    imk = bytes.fromhex("F0C34A8124CEE0A91A0B034AA97D6EAC")
    key = ac.derive_ac_key(ac.PBOC_CVN01, imk, "6228000100001", "01", bytes.fromhex("0240"))
    data = ac.build_ac_data(ac.PBOC_CVN01, PBOC_ELEMENTS)
    assert data.hex().upper() == "000000000001000000000000015600800460000156140701001E78EEBC7D00024003A04002"
    arqc = ac.generate_cryptogram(ac.PBOC_CVN01, key, PBOC_ELEMENTS)
    assert arqc.hex().upper() == "5D016C91005E7CC2"
    assert ac.generate_arpc(ac.PBOC_CVN01, key, arqc, b"01").hex().upper() == "21415243527CE78F"


def test_pboc_worked_example_from_card_key() -> None:
    # shuzhiduo.com/A/l1dyep1Vde: card AC key 0D2E..9679, GENERATE AC response with ATC 000E, AC F294..B058.
    mk = bytes.fromhex("0D2E3CB0BC1F9E03AED58F663A2F9679")
    sk = kd.derive_pboc_sk(mk, bytes.fromhex("000E"))
    elements = {  # the CDOL1 data of the GENERATE AC command, then AIP, ATC and IAD from the card
        0x9F02: bytes.fromhex("000000001234"),
        0x9F03: bytes.fromhex("000000000034"),
        0x9F1A: bytes.fromhex("0156"),
        0x95: bytes.fromhex("D86004A800"),
        0x5F2A: bytes.fromhex("0156"),
        0x9A: bytes.fromhex("120516"),
        0x9C: bytes.fromhex("01"),
        0x9F37: bytes.fromhex("01010101"),
        0x82: bytes.fromhex("7C00"),
        0x9F36: bytes.fromhex("000E"),
        0x9F10: bytes.fromhex("07020103A4B904010A0100000000001BFC423C"),
    }
    assert ac.generate_cryptogram(ac.PBOC_CVN01, sk, elements).hex().upper() == "F294D7022FA9B058"


def test_cvn10_covers_only_the_cvr() -> None:
    elements = dict(CVN18_ELEMENTS)
    data = ac.build_ac_data(ac.VISA_CVN10, elements)
    assert data.endswith(bytes.fromhex("0FFF03A0B800"))
    assert len(data) == 6 + 6 + 2 + 5 + 2 + 3 + 1 + 4 + 2 + 2 + 4


def test_ac_negative() -> None:
    with pytest.raises(KeyLengthError):
        ac.generate_ac(bytes(8), DATA_16)
    with pytest.raises(KeyLengthError):
        ac.generate_arpc_1(bytes(24), bytes(8), bytes(2))
    with pytest.raises(DataError):
        ac.generate_arpc_1(SK, bytes(7), bytes(2))
    with pytest.raises(DataError):
        ac.generate_arpc_1(SK, bytes(8), bytes(4))
    with pytest.raises(DataError):
        ac.generate_arpc_2(SK, bytes(8), bytes(2))
    with pytest.raises(DataError):
        ac.generate_arpc_2(SK, bytes(8), bytes(4), bytes(9))
    with pytest.raises(DataError):
        ac.generate_arpc(ac.PBOC_CVN01, SK, bytes(8), bytes(2), b"\x01")
    with pytest.raises(DataError):
        ac.derive_ac_key(ac.VISA_CVN18, IMK, "4761739001010010", "00", bytes(3))
    missing = {k: v for k, v in CVN18_ELEMENTS.items() if k != 0x9F37}
    with pytest.raises(DataError) as info:
        ac.build_ac_data(ac.VISA_CVN18, missing)
    assert str(info.value) == "cryptogram data lacks tag 9F37"
    short_iad = dict(CVN18_ELEMENTS)
    short_iad[0x9F10] = bytes.fromhex("060112")
    with pytest.raises(DataError):
        ac.build_ac_data(ac.PBOC_CVN01, short_iad)
