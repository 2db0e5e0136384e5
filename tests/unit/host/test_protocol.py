"""host.protocol and host.framing: the real CUP 0200 exactly, every message type round trips, errors."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from host.errors import FrameError, Iso8583Error
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
)
from host.framing import BODY_OFFSET, frame, read_length, unframe
from host.keyblock import KeyBlock, wrap_key
from host.mac import mac_message
from host.profile import FIELDS, MTIS, SPEC
from host.protocol import (
    Header,
    Message,
    ProcessingRequirement,
    Tpdu,
    decode_body,
    encode_body,
    field_segments,
)
from host.settlement import SettlementResult, SettlementTotals, Totals, format_batch_count
from host.transactions import TRANSACTIONS

SAMPLE = bytes.fromhex((Path(__file__).parents[2] / "data" / "cup_0200_sample.hex").read_text())
PAN = "6224242900000113"
F55 = (
    "9F260895BBE372271DDA7C9F2701809F101307010103A00000010A010000000000ED538FE49F37047F9F349E9F36020157"
    "950500000000009A031908309C01009F02060000000000015F2A02015682027C009F1A0201569F03060000000000009F33"
    "03E0E1C89F3501229F1E0831303030303031398408A0000003330101029F0902008C9F410400000403"
)
MAK = bytes.fromhex("C1D0F8FB4958670DBA40AB1F3752EF0D")
TMK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")


# ---------------------------------------------------------------------------------------------------------
# The real 0200 (DOMAIN_FACTS test vector 1)
# ---------------------------------------------------------------------------------------------------------


def test_sample_envelope() -> None:
    assert SAMPLE[:2].hex().upper() == "01AA" and len(SAMPLE) == 2 + 0x01AA
    msg = unframe(SAMPLE)
    assert msg.tpdu == Tpdu(destination=0x0006, source=0x0000)
    assert msg.tpdu.to_bytes().hex().upper() == "6000060000"
    assert msg.header.to_bytes().hex().upper() == "603100311003"
    assert (msg.header.app_type, msg.header.version, msg.header.sub_version) == ("60", "31", "311003")
    assert msg.header.requirement is ProcessingRequirement.NONE
    assert msg.mti == "0200"
    assert SAMPLE[15:23].hex().upper() == "702406C020C19A31"


def test_sample_fields_exactly() -> None:
    msg = unframe(SAMPLE)
    assert list(msg.fields) == [2, 3, 4, 11, 14, 22, 23, 25, 26, 35, 41, 42, 48, 49, 52, 53, 55, 59, 60, 64]
    expected: dict[int, str | bytes] = {
        2: PAN,
        3: "000000",
        4: "000000000001",
        11: "000403",
        14: "2806",
        22: "071",
        25: "00",
        26: "12",
        35: "6224242900000113D28062013949031013",
        41: "10000019",
        42: "850100082410002",
        49: "156",
        52: bytes.fromhex("D1EEF419D0AE2609"),
        53: "2600000000000000",
        55: bytes.fromhex(F55),
        60: "22000024000600",
        64: b"8F651B26",
    }
    for number, value in expected.items():
        assert msg[number] == value, number
    segments = field_segments(msg)
    assert segments[22] == bytes.fromhex("0710")  # n3 left-aligned with a trailing pad nibble
    assert segments[23] == bytes.fromhex("0000") and msg[23] == "000"
    assert segments[48] == bytes.fromhex("000100") and msg[48] == "0"
    assert isinstance(msg[59], str) and len(msg[59]) == 153 and msg[59].startswith("1220898606")
    assert msg[4] == format_amount(1)


def test_sample_structured_fields() -> None:
    msg = unframe(SAMPLE)
    assert PosEntryMode.from_field(str(msg[22])) == PosEntryMode(
        EntryMethod.CONTACTLESS, PinCapability.PIN_ENTERED
    )
    assert SecurityControl.from_field(str(msg[53])) == SecurityControl(
        PinFormat.WITH_PAN, PinAlgorithm.DOUBLE_TDES
    )
    assert Field60.from_field(str(msg[60])) == Field60("22", 24, "000", 6, 0, 0)
    f55 = msg[55]
    assert isinstance(f55, bytes)
    icc = decode_icc_data(f55)
    assert [f"{t:X}" for t in icc.tags()] == [
        "9F26", "9F27", "9F10", "9F37", "9F36", "95", "9A", "9C", "9F02", "5F2A", "82",
        "9F1A", "9F03", "9F33", "9F35", "9F1E", "84", "9F09", "9F41",
    ]  # fmt: skip
    assert icc.find(0x9F26) == bytes.fromhex("95BBE372271DDA7C")
    assert icc.find(0x84) == bytes.fromhex("A000000333010102")


def test_sample_reencodes_byte_for_byte() -> None:
    msg = unframe(SAMPLE)
    assert frame(msg) == SAMPLE
    assert encode_body(msg) == SAMPLE[BODY_OFFSET:]
    assert decode_body(SAMPLE[BODY_OFFSET:], tpdu=msg.tpdu, header=msg.header) == msg


# ---------------------------------------------------------------------------------------------------------
# Every message type of the CUP transaction table round trips
# ---------------------------------------------------------------------------------------------------------

TERMINAL = {41: "10000019", 42: "850100082410002"}
ICC = encode_icc_data([(0x9F26, bytes(8)), (0x9F27, b"\x80"), (0x9F36, b"\x01\x57"), (0x95, bytes(5))])
CARD: dict[int, str | bytes] = {
    2: PAN,
    14: "2806",
    22: "051",
    23: "001",
    35: "6224242900000113D28062013949031013",
    55: ICC,
}
REPLY = {12: "101530", 13: "0830", 32: "00049990000", 37: "123456789012", 39: "00", 44: "0001000   0002000  "}


def _request(name: str, amount: int | None, extra: Mapping[int, str | bytes] | None = None) -> Message:
    t = TRANSACTIONS[name]
    fields: dict[int, str | bytes] = {11: "000403", **TERMINAL, 49: "156"}
    if t.processing_code is not None:
        fields.update(CARD)
        fields.update({3: t.processing_code, 25: str(t.condition_code), 26: "12"})
        fields[52] = bytes.fromhex("D1EEF419D0AE2609")
        fields[53] = SecurityControl(PinFormat.WITH_PAN, PinAlgorithm.DOUBLE_TDES).to_field()
    if amount is not None:
        fields[4] = format_amount(amount)
    fields[60] = Field60(t.type_code, 24, t.network_code, 6, 0, 0).to_field()
    fields.update(extra or {})
    return Message(t.request_mti, fields, Tpdu(destination=6), Header(sub_version="311003"))


def _reply(request: Message, extra: Mapping[int, str | bytes] | None = None) -> Message:
    mti = f"{int(request.mti) + 10:04d}"
    keep = {n: v for n, v in request.fields.items() if n in (3, 4, 11, 14, 23, 25, 41, 42, 49, 60)}
    return Message(mti, {**keep, **REPLY, **(extra or {})}, Tpdu(source=6), request.header)


ORIGINAL = {37: "123456789012", 38: "654321", 61: OriginalTransaction(24, 403, "0830").to_field()}
KEYS = KeyBlock(wrap_key(TMK, bytes(range(16))), wrap_key(TMK, bytes(range(16, 32)))).to_field()
TOTALS = SettlementTotals(Totals(123456, 3, 100, 1), Totals(0, 0, 0, 0))
SIGN_ON = Message(
    "0800",
    {11: "000001", **TERMINAL, 60: Field60("00", 24, "004").to_field(), 62: b"SEQUENCE NO123456", 63: b"01 "},
)


def _messages() -> list[tuple[str, Message]]:
    purchase = _request("purchase", 12345)
    reversal = Message("0400", {**purchase.with_fields({52: None, 53: None}).fields, 39: "98"})
    upload = Message(
        "0320",
        {2: PAN, 4: format_amount(12345), 11: "000404", 22: "051", 23: "001", 55: ICC, **TERMINAL,
         60: Field60("00", 24, "201").to_field(), 62: b"61" + b"000403"},
    )  # fmt: skip
    upload_end = Message("0320", {11: "000405", **TERMINAL, 48: format_batch_count(1), 60: "00000024207"})
    settle = Message(
        "0500", {11: "000406", **TERMINAL, 48: TOTALS.to_field(), 49: "156", 60: "00000024201", 63: b"01 "}
    )
    settled = SettlementTotals(
        TOTALS.domestic, TOTALS.foreign, SettlementResult.BALANCED, SettlementResult.BALANCED
    )
    pairs: list[tuple[str, Message, Mapping[int, str | bytes]]] = [
        ("balance", _request("balance", None), {54: "1001156C000000123456"}),
        ("pre_auth", _request("pre_auth", 5000), {38: "654321"}),
        ("pre_auth_void", _request("pre_auth_void", 5000, ORIGINAL), {}),
        ("completion", _request("completion", 5000, ORIGINAL), {}),
        ("completion_void", _request("completion_void", 5000, ORIGINAL), {}),
        ("purchase", purchase, {38: "654321", 55: bytes.fromhex("910A1122334455667788000072"), 63: b"CUP"}),
        ("void", _request("void", 12345, ORIGINAL), {}),
        ("refund", _request("refund", 100, {37: "123456789012", 61: "0000240004030830", 63: b"01 "}), {}),
        ("reversal", reversal, {}),
        ("sign_on", SIGN_ON, {62: KEYS}),
        ("sign_off", Message("0820", {11: "000002", **TERMINAL, 60: "00000024002"}), {}),
        ("echo_test", Message("0820", {**TERMINAL, 60: "00000024301"}), {}),
        ("settlement", settle, {48: settled.to_field()}),
        ("batch_upload", upload, {}),
        ("batch_upload_end", upload_end, {}),
    ]
    out: list[tuple[str, Message]] = []
    for name, request, reply_extra in pairs:
        out.append((f"{name} {request.mti}", mac_message(request, MAK)))
        out.append((f"{name} reply", mac_message(_reply(request, reply_extra), MAK)))
    return out


MESSAGES = _messages()


@pytest.mark.parametrize(("name", "msg"), MESSAGES, ids=[n for n, _ in MESSAGES])
def test_every_message_type_round_trips(name: str, msg: Message) -> None:
    wire = frame(msg)
    back = unframe(wire)
    assert back == msg
    assert frame(back) == wire


def test_the_table_covers_every_transaction_and_mti() -> None:
    names = {n.split()[0] for n, _ in MESSAGES}
    financial = {"balance", "pre_auth", "pre_auth_void", "completion", "completion_void", "purchase", "void"}
    assert financial | {"refund", "reversal", "sign_on", "sign_off", "echo_test", "settlement"} <= names
    mtis = {m.mti for _, m in MESSAGES}
    assert {"0100", "0110", "0200", "0210", "0220", "0230", "0320", "0330", "0400", "0410"} <= mtis
    assert {"0500", "0510", "0800", "0810", "0820", "0830"} <= mtis
    for t in TRANSACTIONS.values():
        assert t.request_mti in MTIS and t.response_mti in MTIS


def test_reply_tpdu_swaps_addresses() -> None:
    from host.protocol import reply_tpdu

    assert reply_tpdu(Tpdu(destination=0x0601, source=0x0023)) == Tpdu(destination=0x0023, source=0x0601)
    assert reply_tpdu(reply_tpdu(Tpdu(1, 2))) == Tpdu(1, 2)


# ---------------------------------------------------------------------------------------------------------
# Malformed frames: a typed error with its position
# ---------------------------------------------------------------------------------------------------------


def _patch(offset: int, value: int) -> Callable[[bytes], bytes]:
    return lambda d: d[:offset] + bytes((value,)) + d[offset + 1 :]


def _prefixed(body: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    """Mutate the bytes after the prefix, then give the frame an honest prefix again."""

    def run(d: bytes) -> bytes:
        payload = body(d[2:])
        return len(payload).to_bytes(2, "big") + payload

    return run


MALFORMED: list[tuple[str, Callable[[bytes], bytes], type[Iso8583Error], int | None, int | None]] = [
    # name, mutation, error class, field, offset
    ("prefix counts more bytes", lambda d: b"\x01\xab" + d[2:], FrameError, None, 0),
    ("prefix counts fewer bytes", lambda d: b"\x01\xa9" + d[2:], FrameError, None, 0),
    ("truncated frame", lambda d: d[:100], FrameError, None, 0),
    ("one byte", lambda d: d[:1], FrameError, None, 1),
    ("under the minimum", _prefixed(lambda p: p[:15]), FrameError, None, 0),
    ("oversize", lambda d: b"\x09\x00" + bytes(0x900), FrameError, None, 0),
    ("TPDU not 60", _patch(2, 0x61), FrameError, None, 2),
    ("bad BCD in header", _patch(9, 0x3A), FrameError, None, 9),
    ("bad BCD in MTI", _patch(14, 0x0A), Iso8583Error, None, 13),
    ("unknown MTI", _patch(13, 0x03), Iso8583Error, None, 13),
    ("secondary bitmap", _patch(15, 0xF0), Iso8583Error, 1, 15),
    ("undefined field 5", _patch(15, 0x78), Iso8583Error, 5, 15),
    ("undefined field 40", _patch(19, 0x21), Iso8583Error, 40, 19),
    ("bad BCD in field 2", _patch(24, 0x6A), Iso8583Error, 2, 24),
    ("bad BCD in field 4", _patch(40, 0x0B), Iso8583Error, 4, 40),
    ("bad BCD in a length prefix", _patch(23, 0x1A), Iso8583Error, 2, 23),
    ("length over the field maximum", _patch(23, 0x20), Iso8583Error, 2, 23),
    ("pad nibble not 0", _patch(47, 0x11), Iso8583Error, 22, 46),
    ("separator where a digit belongs", _patch(36, 0x0D), Iso8583Error, 4, 36),
    ("control character in field 41", _patch(72, 0x07), Iso8583Error, 41, 72),
    ("non-ASCII in field 42", _patch(80, 0xC8), Iso8583Error, 42, 80),
    ("field runs past the end", _prefixed(lambda p: p[:-5]), Iso8583Error, 64, 420),
    ("extra bytes", _prefixed(lambda p: p + b"\x00"), Iso8583Error, None, 428),
    ("field 55 longer than the frame", lambda d: d[:115] + b"\x09\x99" + d[117:], Iso8583Error, 55, 117),
    ("field 55 length lands in field 59", _patch(116, 0x99), Iso8583Error, 59, 316),
]


@pytest.mark.parametrize(
    ("name", "mutate", "cls", "field", "offset"), MALFORMED, ids=[case[0] for case in MALFORMED]
)
def test_malformed_frame_gives_located_error(
    name: str,
    mutate: Callable[[bytes], bytes],
    cls: type[Iso8583Error],
    field: int | None,
    offset: int | None,
) -> None:
    with pytest.raises(cls) as info:
        unframe(mutate(SAMPLE))
    assert (info.value.field, info.value.offset) == (field, offset), str(info.value)
    assert info.value.__context__ is None and info.value.__cause__ is None  # no pyiso8583 error kept
    text = f"{info.value} {info.value!r} {info.value.args}"
    assert PAN not in text and "62242429" not in text.replace(" ", "")


def test_error_message_format_and_pickling() -> None:
    with pytest.raises(Iso8583Error) as info:
        unframe(_patch(40, 0x0B)(SAMPLE))
    assert str(info.value) == "bad BCD at offset 40, field 4"
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is Iso8583Error and (copy.reason, copy.field, copy.offset) == ("bad BCD", 4, 40)


def test_max_length_is_configurable() -> None:
    with pytest.raises(FrameError):
        unframe(SAMPLE, max_length=400)
    assert unframe(SAMPLE, max_length=426) == unframe(SAMPLE)
    with pytest.raises(FrameError):
        frame(unframe(SAMPLE), max_length=425)
    assert read_length(b"\x01\xaa") == 426
    with pytest.raises(FrameError):
        read_length(b"\x08\x01")


# ---------------------------------------------------------------------------------------------------------
# Building messages: typed errors for what the profile does not accept
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mti", "fields", "field"),
    [
        ("0200", {4: "00000000000A"}, 4),  # pyiso8583 alone would take A-F as hex
        ("0200", {4: "1"}, 4),  # fixed length
        ("0200", {2: "1" * 20}, 2),  # over the maximum
        ("0200", {35: "6224=2806"}, 35),  # track 2 separator is D on the wire
        ("0200", {41: "1000001\n"}, 41),  # not printable
        ("0200", {39: "ü0"}, 39),
        ("0200", {64: bytes(7)}, 64),
        ("0300", {11: "000001"}, None),  # MTI the profile does not use
    ],
)
def test_encode_rejects_bad_values(mti: str, fields: dict[int, str | bytes], field: int | None) -> None:
    with pytest.raises(Iso8583Error) as info:
        encode_body(Message(mti, fields))
    assert info.value.field == field


def test_message_construction_checks_fields_and_types() -> None:
    with pytest.raises(Iso8583Error) as info:
        Message("0200", {5: "000000000001"})
    assert info.value.field == 5
    with pytest.raises(Iso8583Error):
        Message("0200", {52: "D1EEF419D0AE2609"})  # b field given as text
    with pytest.raises(Iso8583Error):
        Message("0200", {4: 1})  # type: ignore[dict-item]


def test_message_repr_holds_no_values() -> None:
    msg = unframe(SAMPLE)
    assert repr(msg) == f"Message(mti='0200', fields={list(msg.fields)})"
    assert PAN not in repr(msg) and PAN not in str(msg)


def test_message_is_immutable() -> None:
    msg = unframe(SAMPLE)
    with pytest.raises(TypeError):
        msg.fields[4] = "000000000002"  # type: ignore[index]
    assert msg.with_fields({4: "000000000002"})[4] == "000000000002" and msg[4] == "000000000001"


def test_spec_is_frozen_and_complete() -> None:
    with pytest.raises(TypeError):
        SPEC["2"]["max_len"] = 99  # type: ignore[index]
    with pytest.raises(TypeError):
        SPEC["5"] = SPEC["4"]  # type: ignore[index]
    required = {2, 3, 4, 11, 12, 13, 14, 15, 22, 23, 25, 26, 32, 35, 36, 37, 38, 39, 41, 42, 44, 48, 49}
    required |= {52, 53, 55, 60, 61, 62, 63, 64, 59}
    assert required <= set(FIELDS)
    assert all(str(n) in SPEC for n in FIELDS)


def test_header_and_tpdu_validation() -> None:
    with pytest.raises(FrameError):
        Header(processing=10)
    with pytest.raises(FrameError):
        Header(sub_version="31100A")
    with pytest.raises(FrameError):
        Tpdu(destination=0x10000)
    assert Header(processing=3).requirement is ProcessingRequirement.SIGN_ON_AGAIN
    assert Header(processing=9).requirement is None
    assert SIGN_ON.with_fields({63: Field63("01 ").to_field()}) == SIGN_ON
