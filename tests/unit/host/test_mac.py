"""host.mac: the CUP ECB MAC and X9.19/X9.9 against independent step-by-step computations, and mismatches."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from emv.crypto.errors import KeyLengthError
from host.errors import MacError
from host.framing import BODY_OFFSET, frame, unframe
from host.mac import (
    CUP_ECB,
    X9_19,
    MacAlgorithm,
    MacProfile,
    build_mab,
    compute_mac,
    cup_ecb_mac,
    mac_message,
    verify_mac,
)
from host.protocol import Message

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # cryptography < 43
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

SAMPLE = bytes.fromhex((Path(__file__).parents[2] / "data" / "cup_0200_sample.hex").read_text())
PAN = "6224242900000113"
MAK_SINGLE = bytes.fromhex("2A3B4C5D6E7F8091")  # a clear MAK chosen for the test
MAK_DOUBLE = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")


def _ecb(key: bytes, block: bytes, encrypt: bool = True) -> bytes:
    """Raw DES/TDES ECB with cryptography's primitive; an 8-byte key is DES as K|K|K, 16 bytes K1|K2|K1."""
    full = key * 3 if len(key) == 8 else key + key[:8] if len(key) == 16 else key
    cipher = Cipher(TripleDES(full), modes.ECB())
    ctx = cipher.encryptor() if encrypt else cipher.decryptor()
    return ctx.update(block) + ctx.finalize()


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def _cup_ecb_by_hand(mak: bytes, mab: bytes) -> bytes:
    """DOMAIN_FACTS A, step by step."""
    padded = mab + b"\x00" * ((8 - len(mab) % 8) % 8)  # 1. pad with 00 to a multiple of 8
    acc = b"\x00" * 8
    for i in range(0, len(padded), 8):  # 2. XOR all 8-byte blocks
        acc = _xor(acc, padded[i : i + 8])
    hex16 = acc.hex().upper().encode()  # 3. expand to 16 hex characters
    step = _xor(_ecb(mak, hex16[:8]), hex16[8:])  # 4. E_MAK(first 8 chars) XOR last 8 chars
    out = _ecb(mak, step)  # 5. E_MAK again
    return out.hex().upper().encode()[:8]  # 6. expand; the first 8 ASCII characters are field 64


def _retail_by_hand(key: bytes, mab: bytes) -> bytes:
    padded = mab + b"\x00" * ((8 - len(mab) % 8) % 8)
    chain = b"\x00" * 8
    for i in range(0, len(padded), 8):
        chain = _ecb(key[:8], _xor(chain, padded[i : i + 8]))
    return _ecb(key[:8], _ecb(key[8:], chain, encrypt=False))


def test_the_helper_is_plain_des() -> None:
    assert _ecb(bytes.fromhex("0123456789ABCDEF"), b"Now is t").hex().upper() == "3FA40E8A984D4815"  # FIPS 81


def test_cup_ecb_known_answer_on_the_real_0200() -> None:
    msg = unframe(SAMPLE)
    mab = SAMPLE[BODY_OFFSET:-8]  # from the MTI to the end of field 63, straight off the wire
    assert build_mab(msg) == mab
    expected = _cup_ecb_by_hand(MAK_SINGLE, mab)
    assert expected == b"9A0F72A6"  # pinned: the step-by-step computation above, run once
    assert cup_ecb_mac(MAK_SINGLE, mab) == expected
    signed = mac_message(msg, MAK_SINGLE)
    assert signed[64] == expected
    assert frame(signed)[:-8] == SAMPLE[:-8]  # only field 64 changed
    verify_mac(signed, MAK_SINGLE)


def test_cup_ecb_with_a_double_length_mak() -> None:
    msg = unframe(SAMPLE)
    expected = _cup_ecb_by_hand(MAK_DOUBLE, SAMPLE[BODY_OFFSET:-8])
    assert expected == b"9EB7398F"
    assert mac_message(msg, MAK_DOUBLE)[64] == expected


def test_mab_of_a_message_without_field_64_sets_its_bit() -> None:
    msg = unframe(SAMPLE).with_fields({64: None})
    assert build_mab(msg) == SAMPLE[BODY_OFFSET:-8]  # the bitmap still names field 64


def test_x919_and_x99_against_independent_computations() -> None:
    msg = unframe(SAMPLE)
    mab = SAMPLE[BODY_OFFSET:-8]
    assert mac_message(msg, MAK_DOUBLE, X9_19)[64] == _retail_by_hand(MAK_DOUBLE, mab)
    chain = b"\x00" * 8
    padded = mab + b"\x00" * ((8 - len(mab) % 8) % 8)
    for i in range(0, len(padded), 8):
        chain = _ecb(MAK_SINGLE, _xor(chain, padded[i : i + 8]))
    assert compute_mac(mab, MAK_SINGLE, MacAlgorithm.X9_9) == chain
    signed = mac_message(msg, MAK_DOUBLE, X9_19)
    verify_mac(signed, MAK_DOUBLE, X9_19)
    with pytest.raises(MacError):
        verify_mac(signed, MAK_DOUBLE, CUP_ECB)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: m.with_fields({4: "000000000002"}),  # the amount changed in flight
        lambda m: m.with_fields({64: b"00000000"}),
        lambda m: m.with_fields({11: "000404"}),
        lambda m: Message("0210", m.fields, m.tpdu, m.header),
    ],
)
def test_mismatch_raises_mac_error(tamper: object) -> None:
    signed = mac_message(unframe(SAMPLE), MAK_SINGLE)
    assert callable(tamper)
    with pytest.raises(MacError) as info:
        verify_mac(tamper(signed), MAK_SINGLE)
    assert info.value.field == 64
    assert PAN not in str(info.value)


def test_wrong_key_and_missing_mac() -> None:
    signed = mac_message(unframe(SAMPLE), MAK_SINGLE)
    with pytest.raises(MacError):
        verify_mac(signed, MAK_DOUBLE)
    with pytest.raises(MacError, match="no MAC"):
        verify_mac(signed.with_fields({64: None}), MAK_SINGLE)
    with pytest.raises(KeyLengthError):
        verify_mac(signed, bytes(12))
    with pytest.raises(KeyLengthError):
        mac_message(signed, MAK_SINGLE, X9_19)  # X9.19 needs a double-length key


def test_the_real_0200_mac_does_not_verify_under_a_made_up_key() -> None:
    with pytest.raises(MacError):
        verify_mac(unframe(SAMPLE), MAK_SINGLE)


def test_field_selection_profile() -> None:
    profile = MacProfile(fields=(2, 3, 4, 11, 14, 22, 23, 25, 26, 35, 36, 41, 42, 49, 52, 53, 55, 59, 60, 62))
    msg = unframe(SAMPLE)
    mab = build_mab(msg, profile)
    assert mab.startswith(bytes.fromhex("0200") + bytes.fromhex("16") + bytes.fromhex(PAN))
    signed = mac_message(msg, MAK_SINGLE, profile)
    verify_mac(signed.with_fields({48: "1"}), MAK_SINGLE, profile)  # field 48 is not in the selection
    with pytest.raises(MacError):
        verify_mac(signed.with_fields({4: "000000000002"}), MAK_SINGLE, profile)
