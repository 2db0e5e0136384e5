"""Tests for emv.crypto.dukpt_aes against the ANSI X9.24-3-2017 supplement test vectors (AES-128 BDK).

Sources: initial key and derivation ("transaction") keys from openemv/dukpt test/dukpt_aes128_test.c and
dukpt_aes_test.c, which transcribe the supplement; working keys as reproduced, identically, by several
independent open-source suites (a C# DUKPT test, the CyberChef payments fork, a payments knowledge base).
The test also carries a second, recursive implementation written from the standard's description.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from emv.crypto import dukpt_aes
from emv.crypto.dukpt_aes import KeyType, KeyUsage
from emv.crypto.errors import DataError, KeyLengthError, KsnError

BDK = bytes.fromhex("FEDCBA9876543210F1F1F1F1F1F1F1F1")
IKID = bytes.fromhex("1234567890123456")
IK = bytes.fromhex("1273671EA26AC29AFA4D1084127652A1")

DERIVATION_KEYS = {
    0x00000001: "4F21B565BAD9835E112B6465635EAE44",
    0x00000002: "2F34D68DE10F68D38091A73B9E7C437C",
    0x00000003: "031504E530365CF81264238540518318",
    0x00000004: "0EEFC7ADA628BA68878DA9165A8A1887",
    0x00000005: "C2A7AC328A5DA2D6002D62465BFC028B",
    0x00000006: "D30F7D9351DA58448A2F5E92B4EE3B7D",
    0x00000007: "A8253CEED9AC042C54F75D35C8352278",
    0x00000008: "718EE6CF0B27E53D5F7AF99C4D8146A2",
    0x0001FFFE: "E21E8C8D347F8561A2BE752DAA85A111",
    0x00020000: "F7AE9025468A25D37B7249CFFED224C8",
    0x00020001: "692C8EA4013645135B36497131DF9D2C",
    0xFFFE2000: "48E585B694EB0B18D5C35443E163C0BA",
    0xFFFE4000: "396C2C7CA1EA701C03B86B7D41F0C562",
    0xFFFE8000: "0387625F189B58AE03EF0E8CCA41105E",
    0xFFFF0000: "F6BA59389BD14A9855BE9727E7C52E3C",
}
# The supplement also lists counter 0x1FFFF, which has 17 one bits: no device uses it.
SKIPPED_COUNTER_KEY = (0x0001FFFF, "1FE368988089CDD76DA18A3458E113BA")

WORKING_KEYS = [
    (1, KeyUsage.PIN_ENCRYPTION, KeyType.AES128, "AF8CB133A78F8DC2D1359F18527593FB"),
    (1, KeyUsage.MAC_GENERATION, KeyType.AES128, "A2DC23DE6FDE0824A2BC321E08E4B8B7"),
    (1, KeyUsage.MAC_VERIFICATION, KeyType.AES128, "DBB463945B286C07CD3AD82EE96FD9C9"),
    (1, KeyUsage.MAC_BOTH, KeyType.AES128, "85675439D18D7F1158BD8E3EAA3D502B"),
    (1, KeyUsage.DATA_ENCRYPTION, KeyType.AES128, "A35C412EFD41FDB98B69797C02DCD08F"),
    (1, KeyUsage.DATA_DECRYPTION, KeyType.AES128, "16292C6EA8F64C5420A0584BFBC577BE"),
    (1, KeyUsage.DATA_BOTH, KeyType.AES128, "A308E080DD15A1B741F1721BF67DE11C"),
    (1, KeyUsage.KEY_ENCRYPTION, KeyType.AES128, "36A724B7BEFA5A25F5E7B5782A4554A2"),
    (2, KeyUsage.PIN_ENCRYPTION, KeyType.AES128, "D30BDC73EC9714B000BEC66BDB7B6D09"),
    (8, KeyUsage.PIN_ENCRYPTION, KeyType.AES128, "4D9DF3FBEE3448FC3E676D04320A90F5"),
    (8, KeyUsage.MAC_GENERATION, KeyType.AES128, "6FD572E5D59E618875F193484F9178FB"),
    (8, KeyUsage.DATA_ENCRYPTION, KeyType.AES128, "650F34204ABD4E57764D61AC3D266FB1"),
    (0x20000, KeyUsage.PIN_ENCRYPTION, KeyType.AES128, "AB828BE7B58C7EC5D5ED0D5D320A0C9D"),
    (0x845FED, KeyUsage.PIN_ENCRYPTION, KeyType.AES128, "D1DDA386AA4A556AF0119FDCB5D132C6"),
    (1, KeyUsage.PIN_ENCRYPTION, KeyType.TDES2, "630C706D9546E47D4449313F61C4D4AB"),
    (1, KeyUsage.MAC_GENERATION, KeyType.TDES2, "5D8FD787E8A796D07035FFCA9B5800BB"),
    (1, KeyUsage.DATA_ENCRYPTION, KeyType.TDES2, "BD44121C223F831446A01EE3A4CB58D2"),
    (1, KeyUsage.PIN_ENCRYPTION, KeyType.TDES3, "EA8B3F37EB9B15831167EF2977FD8762D9B5913F35766F6A"),
    (1, KeyUsage.MAC_GENERATION, KeyType.TDES3, "2A1061A6EAC2C14FAC3758EA07B3648A624B24E942785BF1"),
    (1, KeyUsage.DATA_ENCRYPTION, KeyType.TDES3, "F716DFBC6B2D2D5825B694EEEE181A013F2F1C09380BBE0C"),
]


def ksn(counter: int) -> bytes:
    return IKID + counter.to_bytes(4, "big")


def test_initial_keys() -> None:
    assert dukpt_aes.derive_initial_key(BDK, IKID) == IK
    bdk256 = BDK * 2
    ik256 = "CE9CE0C101D1138F97FB6CAD4DF045A7083D4EAE2D35A31789D01CCF0949550F"
    assert dukpt_aes.derive_initial_key(bdk256, IKID).hex().upper() == ik256


@pytest.mark.parametrize(
    ("counter", "expected"), DERIVATION_KEYS.items(), ids=[f"{c:08X}" for c in DERIVATION_KEYS]
)
def test_derivation_keys(counter: int, expected: str) -> None:
    assert dukpt_aes.derive_derivation_key(IK, ksn(counter)).hex().upper() == expected


@pytest.mark.parametrize(("counter", "usage", "key_type", "expected"), WORKING_KEYS)
def test_working_keys(counter: int, usage: KeyUsage, key_type: KeyType, expected: str) -> None:
    assert dukpt_aes.derive_working_key(IK, ksn(counter), usage, key_type).hex().upper() == expected


def test_aes256_counter_1() -> None:
    ik256 = dukpt_aes.derive_initial_key(BDK * 2, IKID)
    expected = "54AC2B32B145EA4A554CB8BC44B17467063A799856B1CCC2A138D36E8DBF78B3"
    assert dukpt_aes.derive_derivation_key(ik256, ksn(1)).hex().upper() == expected
    pin_key = dukpt_aes.derive_working_key(ik256, ksn(1), KeyUsage.PIN_ENCRYPTION, KeyType.AES256)
    assert pin_key.hex().upper() == "8C1AB7BEE973829E30242E0BBBDD4946D540C98FC1B5BDCF94790001A23FD502"


def test_advance_skips_counters_with_17_bits() -> None:
    assert dukpt_aes.advance_ksn(ksn(0)) == ksn(1)
    assert dukpt_aes.advance_ksn(ksn(0x1FFFE)) == ksn(0x20000)
    assert dukpt_aes.advance_ksn(ksn(0xFFFE2000)) == ksn(0xFFFE4000)
    assert dukpt_aes.advance_ksn(ksn(0xFFFE8000)) == ksn(0xFFFF0000)
    with pytest.raises(KsnError):
        dukpt_aes.advance_ksn(ksn(0xFFFF0000))


# Second computation, independent of the module: a recursive reading of X9.24-3:2017 6.1 and 6.3.


def _aes(key: bytes, block: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def _reference_derivation_key(initial_key: bytes, ikid: bytes, counter: int) -> bytes:
    if counter == 0:
        return initial_key
    parent = _reference_derivation_key(initial_key, ikid, counter & (counter - 1))
    data = bytes.fromhex("0101800000020080") + ikid[4:] + counter.to_bytes(4, "big")
    return _aes(parent, data)


def test_reference_matches_the_skipped_counter_vector() -> None:
    counter, expected = SKIPPED_COUNTER_KEY
    assert _reference_derivation_key(IK, IKID, counter).hex().upper() == expected
    with pytest.raises(KsnError):
        dukpt_aes.derive_derivation_key(IK, ksn(counter))


@given(
    counter=st.integers(1, 0xFFFFFFFF).filter(lambda c: c.bit_count() <= 16),
    initial_key=st.binary(min_size=16, max_size=16),
    ikid=st.binary(min_size=8, max_size=8),
)
@settings(max_examples=40, deadline=None)
def test_against_recursive_reference(counter: int, initial_key: bytes, ikid: bytes) -> None:
    expected = _reference_derivation_key(initial_key, ikid, counter)
    assert dukpt_aes.derive_derivation_key(initial_key, ikid + counter.to_bytes(4, "big")) == expected
    pin = _aes(expected, bytes.fromhex("0101100000020080") + ikid[4:] + counter.to_bytes(4, "big"))
    assert (
        dukpt_aes.derive_working_key(initial_key, ikid + counter.to_bytes(4, "big"), KeyUsage.PIN_ENCRYPTION)
        == pin
    )


def test_negative() -> None:
    with pytest.raises(KsnError):
        dukpt_aes.derive_derivation_key(IK, ksn(0))
    with pytest.raises(KsnError) as info:
        dukpt_aes.derive_working_key(IK, ksn(0xFFFFFFFF), KeyUsage.PIN_ENCRYPTION)
    assert "32 one bits" in str(info.value)
    with pytest.raises(DataError):
        dukpt_aes.derive_derivation_key(IK, IKID + bytes(2))
    with pytest.raises(DataError):
        dukpt_aes.derive_initial_key(BDK, IKID[:7])
    with pytest.raises(DataError):
        dukpt_aes.derive_working_key(IK, ksn(1), KeyUsage.PIN_ENCRYPTION, KeyType.AES256)
    with pytest.raises(KeyLengthError):
        dukpt_aes.derive_initial_key(bytes(8), IKID)
    with pytest.raises(KeyLengthError):
        dukpt_aes.derive_derivation_key(bytes(20), ksn(1))
