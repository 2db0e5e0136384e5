"""emv.dol: DOL parsing and the Book 3 section 5.4 fitting rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emv.dol import build_dol, dol_length, parse_dol
from emv.errors import DolError, TlvError

QPBOC_PDOL = bytes.fromhex("9F66049F02069F03069F1A0295055F2A029A039C019F3704")


def test_qpboc_pdol_from_domain_facts() -> None:
    dol = parse_dol(QPBOC_PDOL)
    assert dol == [
        (0x9F66, 4), (0x9F02, 6), (0x9F03, 6), (0x9F1A, 2), (0x95, 5),
        (0x5F2A, 2), (0x9A, 3), (0x9C, 1), (0x9F37, 4),
    ]  # fmt: skip
    assert dol_length(dol) == 33
    source = {
        0x9F66: bytes.fromhex("26000080"),
        0x9F02: bytes.fromhex("000000000100"),
        0x9F1A: b"\x01\x56",
        0x5F2A: b"\x01\x56",
        0x9A: bytes.fromhex("261126"),
        0x9C: b"\x00",
        0x9F37: bytes.fromhex("11223344"),
    }
    data = build_dol(dol, source)
    assert data.hex().upper() == ("260000800000000001000000000000000156000000000001562611260011223344")


@pytest.mark.parametrize(
    ("tag", "length", "value", "expected"),
    [
        (0x9F02, 6, "0100", "000000000100"),  # n, short: leading zeros
        (0x9F02, 2, "000000000100", "0100"),  # n, long: rightmost bytes
        (0x5A, 10, "6224242900000113", "6224242900000113FFFF"),  # cn, short: trailing FF
        (0x5A, 4, "6224242900000113", "62242429"),  # cn, long: leftmost bytes
        (0x9F37, 6, "11223344", "112233440000"),  # b, short: trailing zeros
        (0x9F37, 2, "11223344", "1122"),  # b, long: leftmost
        (0x50, 6, "5649534100", "564953410000"),  # an: trailing zeros (hex 00)
        (0x70, 3, "5A0101", "000000"),  # constructed: zeros
        (0xDF7F, 2, "1234", "0000"),  # unknown to the terminal: zeros
    ],
)
def test_fitting_rules(tag: int, length: int, value: str, expected: str) -> None:
    assert build_dol([(tag, length)], {tag: bytes.fromhex(value)}).hex().upper() == expected


def test_missing_tag_is_zero_filled() -> None:
    assert build_dol([(0x9F37, 4), (0x9F02, 6)], {}) == bytes(10)


def test_padding_between_entries_and_long_lengths() -> None:
    assert parse_dol(bytes.fromhex("009F0206009F4A8101")) == [(0x9F02, 6), (0x9F4A, 1)]


@pytest.mark.parametrize(
    ("hexdata", "offset", "reason"),
    [("9F", 0, "truncated tag"), ("9F02", 0, "missing length"), ("9F0283000001", 0, "bad length field")],
)
def test_malformed_dol(hexdata: str, offset: int, reason: str) -> None:
    with pytest.raises(DolError) as err:
        parse_dol(bytes.fromhex(hexdata))
    assert (err.value.offset, err.value.reason) == (offset, reason)
    assert isinstance(err.value, TlvError)


@given(
    st.binary(max_size=64),
    st.dictionaries(st.sampled_from([0x9F02, 0x5A, 0x9F37, 0x50]), st.binary(max_size=12)),
)
def test_any_dol_bytes_give_a_list_or_a_dolerror(data: bytes, source: dict[int, bytes]) -> None:
    try:
        dol = parse_dol(data)
    except DolError:
        return
    if dol_length(dol) <= 4096:
        assert len(build_dol(dol, source)) == dol_length(dol)
