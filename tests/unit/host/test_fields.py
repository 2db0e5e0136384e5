"""host.fields, host.settlement and host.keyblock: structured fields both ways, and bad input."""

from __future__ import annotations

import pytest

from emv.crypto import des
from host.errors import Iso8583Error, KeyCheckError
from host.fields import (
    EntryMethod,
    Field60,
    Field63,
    OriginalTransaction,
    PinAlgorithm,
    PinCapability,
    PinFormat,
    PosEntryMode,
    SecurityControl,
    decode_icc_data,
    encode_icc_data,
    format_amount,
    parse_amount,
)
from host.keyblock import KeyBlock, WorkingKey, unwrap_key, wrap_key
from host.settlement import (
    SettlementResult,
    SettlementTotals,
    Totals,
    batch_end_network_code,
    format_batch_count,
    parse_batch_count,
)

TMK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")


# ---------------------------------------------------------------------------------------------------------
# Amounts
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fen", "text"), [(0, "000000000000"), (1, "000000000001"), (10**12 - 1, "9" * 12)])
def test_amount_round_trip(fen: int, text: str) -> None:
    assert format_amount(fen) == text and parse_amount(text) == fen


@pytest.mark.parametrize("bad", [-1, 10**12, 1.5, True, "1"])
def test_amount_must_be_an_int_fen(bad: object) -> None:
    with pytest.raises(Iso8583Error):
        format_amount(bad)  # type: ignore[arg-type]


def test_parse_amount_rejects_non_digits() -> None:
    for bad in ("", "00000000001A", "12.5"):
        with pytest.raises(Iso8583Error):
            parse_amount(bad)


# ---------------------------------------------------------------------------------------------------------
# Fields 22 and 53
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", list(EntryMethod))
@pytest.mark.parametrize("pin", list(PinCapability))
def test_entry_mode_round_trip(method: EntryMethod, pin: PinCapability) -> None:
    mode = PosEntryMode(method, pin)
    assert PosEntryMode.from_field(mode.to_field()) == mode


@pytest.mark.parametrize("bad", ["07", "0710", "0A1", "091", "073"])
def test_entry_mode_rejects(bad: str) -> None:
    with pytest.raises(Iso8583Error) as info:
        PosEntryMode.from_field(bad)
    assert info.value.field == 22


def test_security_control() -> None:
    sc = SecurityControl(PinFormat.WITH_PAN, PinAlgorithm.DOUBLE_TDES)
    assert sc.to_field() == "2600000000000000"
    assert SecurityControl.from_field("2600000000000000") == sc
    assert SecurityControl.from_field("0010000000000000").track_encrypted
    for bad in ("2700000000000000", "2620000000000000", "26000", "260000000000000A"):
        with pytest.raises(Iso8583Error) as info:
            SecurityControl.from_field(bad)
        assert info.value.field == 53


# ---------------------------------------------------------------------------------------------------------
# Fields 60, 61, 63, 55
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("22000024000600", Field60("22", 24, "000", 6, 0, 0)),  # the sample purchase
        ("00000001004", Field60("00", 1, "004")),  # sign-on request
        ("00000024", Field60("00", 24, None)),
        ("220000240006", Field60("22", 24, "000", 6)),
        ("22000024000600123", Field60("22", 24, "000", 6, 0, 0, "123")),
    ],
)
def test_field60_round_trip(text: str, value: Field60) -> None:
    assert Field60.from_field(text) == value
    assert value.to_field() == text


@pytest.mark.parametrize("bad", ["2200002", "220000240", "2200002400", "2200002400060012345", "22000024A00"])
def test_field60_rejects_lengths_that_split_subfields(bad: str) -> None:
    with pytest.raises(Iso8583Error) as info:
        Field60.from_field(bad)
    assert info.value.field == 60


@pytest.mark.parametrize(
    "bad",
    [
        Field60("2", 1),
        Field60("22", 1_000_000),
        Field60("22", 1, "00"),
        Field60("22", 1, None, 6),  # 60.4 after an absent 60.3
        Field60("22", 1, "000", None, 0),
        Field60("22", 1, "000", 10),
        Field60("22", 1, "000", 6, 0, 0, "1234"),  # 18 digits
    ],
)
def test_field60_to_field_rejects(bad: Field60) -> None:
    with pytest.raises(Iso8583Error):
        bad.to_field()


def test_original_transaction() -> None:
    orig = OriginalTransaction(24, 403, "0830")
    assert orig.to_field() == "0000240004030830"
    assert OriginalTransaction.from_field("0000240004030830") == orig
    assert OriginalTransaction.from_field("000024000403").date is None
    long = OriginalTransaction(1, 2, "1231", "1234567890123")
    assert OriginalTransaction.from_field(long.to_field()) == long
    for bad in ("00002400040", "00002400040308", "0000240004030830" + "1" * 14):
        with pytest.raises(Iso8583Error):
            OriginalTransaction.from_field(bad)
    with pytest.raises(Iso8583Error):
        OriginalTransaction(1, 2, None, "99").to_field()
    with pytest.raises(Iso8583Error):
        OriginalTransaction(-1, 2).to_field()


def test_field63() -> None:
    assert Field63("01 ").to_field() == b"01 "
    reply = Field63("CUP", "中国银联".encode("gbk"))
    assert Field63.from_field(reply.to_field()) == reply
    for bad in (b"01", b"\x8101x"):
        with pytest.raises(Iso8583Error):
            Field63.from_field(bad)
    with pytest.raises(Iso8583Error):
        Field63("0001").to_field()


def test_icc_data_round_trip_and_located_error() -> None:
    items = [(0x9F26, bytes(8)), (0x9F27, b"\x80"), (0x91, bytes.fromhex("11223344556677880000"))]
    data = encode_icc_data(items)
    assert [(n.tag, n.value) for n in decode_icc_data(data).top()] == items
    with pytest.raises(Iso8583Error) as info:
        decode_icc_data(data[:-3])
    assert info.value.field == 55 and info.value.offset == 15  # where tag 91 starts
    with pytest.raises(Iso8583Error):
        encode_icc_data([(0, b"")])


# ---------------------------------------------------------------------------------------------------------
# Field 48: settlement totals and the batch count
# ---------------------------------------------------------------------------------------------------------


def test_settlement_totals_layout() -> None:
    totals = SettlementTotals(Totals(123456, 3, 100, 1), Totals(999, 2, 0, 0))
    text = totals.to_field()
    assert text == "000000123456003000000000100001" + "0" + "000000000999002000000000000000" + "0"
    assert SettlementTotals.from_field(text) == totals
    assert not totals.needs_batch_upload and not totals.balanced


@pytest.mark.parametrize(
    ("domestic", "foreign", "upload", "end_code"),
    [
        (SettlementResult.BALANCED, SettlementResult.BALANCED, False, "207"),
        (SettlementResult.NOT_BALANCED, SettlementResult.BALANCED, True, "202"),
        (SettlementResult.BALANCED, SettlementResult.ERROR, True, "202"),
    ],
)
def test_settlement_reply_meanings(
    domestic: SettlementResult, foreign: SettlementResult, upload: bool, end_code: str
) -> None:
    reply = SettlementTotals(Totals(), Totals(), domestic, foreign)
    parsed = SettlementTotals.from_field(reply.to_field())
    assert parsed.needs_batch_upload is upload
    assert batch_end_network_code(parsed) == end_code


@pytest.mark.parametrize("bad", ["0" * 61, "0" * 63, "0" * 30 + "4" + "0" * 31, "0" * 61 + "A"])
def test_settlement_totals_reject(bad: str) -> None:
    with pytest.raises(Iso8583Error) as info:
        SettlementTotals.from_field(bad)
    assert info.value.field == 48


def test_settlement_totals_refuse_floats_and_overflow() -> None:
    for totals in (Totals(debit_fen=1.5), Totals(debit_count=1000), Totals(credit_fen=-1)):  # type: ignore[arg-type]
        with pytest.raises(Iso8583Error):
            SettlementTotals(totals).to_field()


def test_batch_count() -> None:
    assert format_batch_count(12) == "0012" and parse_batch_count("0012") == 12
    with pytest.raises(Iso8583Error):
        format_batch_count(10_000)
    with pytest.raises(Iso8583Error):
        parse_batch_count("12")


# ---------------------------------------------------------------------------------------------------------
# Field 62: the sign-on key block
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "keys", "key_size"), [(24, 2, 8), (36, 3, 8), (40, 2, 16), (56, 2, 24)])
def test_key_block_layouts(length: int, keys: int, key_size: int) -> None:
    block = KeyBlock.from_field(bytes(range(length)))
    present = [k for k in (block.pik, block.mak, block.tdk) if k is not None]
    assert len(present) == keys and all(len(k.ciphertext) == key_size for k in present)
    assert block.to_field() == bytes(range(length))


@pytest.mark.parametrize("length", [60, 84])
def test_key_block_with_tdk(length: int) -> None:
    block = KeyBlock.from_field(bytes(length))
    assert block.tdk is not None and block.to_field() == bytes(length)


@pytest.mark.parametrize("length", [0, 12, 20, 48, 100])
def test_key_block_rejects_other_lengths(length: int) -> None:
    with pytest.raises(Iso8583Error) as info:
        KeyBlock.from_field(bytes(length))
    assert info.value.field == 62


def test_sign_on_keys_wrap_and_unwrap_with_check_values() -> None:
    pik, mak, tdk = (bytes(range(i, i + 16)) for i in (0, 16, 32))
    block = KeyBlock(wrap_key(TMK, pik), wrap_key(TMK, mak), wrap_key(TMK, tdk))
    field = block.to_field()
    assert len(field) == 60
    got = KeyBlock.from_field(field)
    assert got.tdk is not None
    assert (unwrap_key(TMK, got.pik), unwrap_key(TMK, got.mak), unwrap_key(TMK, got.tdk)) == (pik, mak, tdk)
    assert got.mak.check_value == des.encrypt_ecb(mak, bytes(8))[:4]  # first 4 bytes of E(key, 0^8)


def test_single_length_mak_in_a_double_length_slot() -> None:
    mak = bytes.fromhex("1C2D3E4F5A6B7C8D")
    wrapped = wrap_key(TMK, mak)
    slot = WorkingKey(wrapped.ciphertext + bytes(8), wrapped.check_value)
    assert slot.effective_ciphertext == wrapped.ciphertext
    assert unwrap_key(TMK, slot) == mak


def test_check_value_mismatch_raises_key_check_error() -> None:
    wrapped = wrap_key(TMK, bytes(range(16)))
    bad = WorkingKey(wrapped.ciphertext, bytes(4))
    with pytest.raises(KeyCheckError) as info:
        unwrap_key(TMK, bad)
    assert info.value.field == 62
    with pytest.raises(KeyCheckError):
        unwrap_key(bytes(16), wrapped)  # the wrong TMK


def test_key_block_rejects_mixed_lengths() -> None:
    with pytest.raises(Iso8583Error):
        KeyBlock(wrap_key(TMK, bytes(8)), wrap_key(TMK, bytes(16))).to_field()
    with pytest.raises(Iso8583Error):
        WorkingKey(bytes(8), bytes(3))
