"""emv.tlv against hand-made hex tables and the real data in DOMAIN_FACTS.md (EMV 4.4 Book 3, Annex B)."""

from __future__ import annotations

import pytest

from bench.corpus import build_corpus
from config.errors import PosError
from emv import tlv
from emv.errors import EmvError, TlvError

# The real CUP 0200 message's field 55 (DOMAIN_FACTS.md test vector 1).
F55 = bytes.fromhex(
    "9F260895BBE372271DDA7C9F2701809F101307010103A00000010A010000000000ED538FE49F37047F9F349E"
    "9F36020157950500000000009A031908309C01009F02060000000000015F2A02015682027C009F1A0201569F03060000"
    "000000009F3303E0E1C89F3501229F1E0831303030303031398408A0000003330101029F0902008C9F410400000403"
)
# The qPBOC SELECT AID response (DOMAIN_FACTS.md test vector 15), status word removed.
QPBOC_SELECT = bytes.fromhex(
    "6F438408A000000333010101A537500A50424F43204445424954870101"
    "9F38189F66049F02069F03069F1A0295055F2A029A039C019F3704"
    "5F2D027A68BF0C059F4D020B0A"
)


def test_real_field55_decodes_tag_by_tag() -> None:
    got = tlv.as_tree(tlv.decode(F55))
    assert [t for t, _ in got] == [
        0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C, 0x9F02, 0x5F2A, 0x82, 0x9F1A,
        0x9F03, 0x9F33, 0x9F35, 0x9F1E, 0x84, 0x9F09, 0x9F41,
    ]  # fmt: skip
    values = dict(got)
    assert values[0x9F26] == bytes.fromhex("95BBE372271DDA7C")
    assert values[0x9F10] == bytes.fromhex("07010103A00000010A010000000000ED538FE4")
    assert values[0x9F37] == bytes.fromhex("7F9F349E")
    assert values[0x9F02] == bytes.fromhex("000000000001")
    assert values[0x84] == bytes.fromhex("A000000333010102")
    assert values[0x9F1E] == b"10000019"
    assert tlv.parse(F55)[0x9F41] == bytes.fromhex("00000403")
    assert tlv.encode(got) == F55


def test_qpboc_select_response() -> None:
    d = tlv.decode(QPBOC_SELECT)
    assert tlv.as_tree(d) == [
        (
            0x6F,
            [
                (0x84, bytes.fromhex("A000000333010101")),
                (
                    0xA5,
                    [
                        (0x50, b"PBOC DEBIT"),
                        (0x87, b"\x01"),
                        (0x9F38, bytes.fromhex("9F66049F02069F03069F1A0295055F2A029A039C019F3704")),
                        (0x5F2D, b"zh"),
                        (0xBF0C, [(0x9F4D, b"\x0b\x0a")]),
                    ],
                ),
            ],
        )
    ]
    assert d.find(0x9F38) is not None
    fci = d.top()[0]
    assert fci.find(0x50) == b"PBOC DEBIT"
    assert [c.tag for c in fci.children()] == [0x84, 0xA5]
    assert tlv.parse(QPBOC_SELECT)[0x9F4D] == b"\x0b\x0a"


def test_repeated_directory_entries_stay_separate_and_in_order() -> None:
    ppse = tlv.encode(
        [(0x6F, [(0x84, b"2PAY.SYS.DDF01"), (0xA5, [(0xBF0C, [
            (0x61, [(0x4F, b"\xa0\x00\x00\x03\x33\x01\x01\x01"), (0x87, b"\x02")]),
            (0x61, [(0x4F, b"\xa0\x00\x00\x03\x33\x01\x01\x02"), (0x87, b"\x01")]),
            (0x61, [(0x4F, b"\xa0\x00\x00\x00\x03\x10\x10"), (0x87, b"\x03")]),
        ])])])]
    )  # fmt: skip
    d = tlv.decode(ppse)
    entries = d.find_all(0x61)
    assert [e.find(0x87) for e in entries] == [b"\x02", b"\x01", b"\x03"]
    assert [len(e.children()) for e in entries] == [2, 2, 2]
    with pytest.raises(TlvError) as err:
        tlv.parse(ppse)
    assert err.value.tag == 0x4F and err.value.reason == "duplicate tag"


def test_issuer_scripts_71_72_in_order() -> None:
    data = bytes.fromhex("91081122334455667788710A9F18040000000186010072039F1800710386010A")
    d = tlv.decode(data)
    assert [n.tag for n in d.top()] == [0x91, 0x71, 0x72, 0x71]
    assert [n.tag for n in d.top()[1].children()] == [0x9F18, 0x86]


@pytest.mark.parametrize(
    ("hexdata", "tree"),
    [
        ("", []),
        ("000000", []),  # padding only
        ("009F02060000000001000000", [(0x9F02, bytes.fromhex("000000000100"))]),  # padding before and after
        ("70069F02009F0300", [(0x70, [(0x9F02, b""), (0x9F03, b"")])]),  # empty values at template end
        ("700500009F0200", [(0x70, [(0x9F02, b"")])]),  # padding inside a template
        ("7000", [(0x70, [])]),  # empty template
        ("DF81010101", [(0xDF8101, b"\x01")]),  # 3-byte tag
        ("FF810105DF81020100", [(0xFF8101, [(0xDF8102, b"\x00")])]),  # FF is a constructed tag, not padding
        ("9F7F810101", [(0x9F7F, b"\x01")]),  # long form 81 for a short value is accepted
        ("5F8180830101FF", [(0x5F81808301, b"\xff")]),  # 5-byte tag
        ("61035001416103500142", [(0x61, [(0x50, b"A")]), (0x61, [(0x50, b"B")])]),
    ],
)
def test_decode_table(hexdata: str, tree: tlv.Tree) -> None:
    assert tlv.as_tree(tlv.decode(bytes.fromhex(hexdata))) == tree


def test_long_forms_81_82_83() -> None:
    for n in (127, 128, 255, 256, 65535, 65536):
        data = tlv.encode([(0x90, bytes(n))])
        assert tlv.decode(data).find(0x90) == bytes(n)
        assert len(data) == 1 + len(tlv.encode_length(n)) + n
    assert tlv.encode_length(65536)[0] == 0x83


@pytest.mark.parametrize(
    ("hexdata", "offset", "tag", "reason"),
    [
        ("9F", 0, None, "truncated tag"),
        ("9F02", 0, 0x9F02, "missing length"),
        ("9F0206000000", 0, 0x9F02, "value overruns its template"),
        ("5A01119F0206", 3, 0x9F02, "value overruns its template"),
        ("70035A0201", 2, 0x5A, "value overruns its template"),  # child overruns its template
        ("70025F2A02015600", 2, 0x5F2A, "missing length"),  # header cut by the template end
        ("70019F5A0100", 2, None, "truncated tag"),  # tag cut by the template end
        ("5A80", 0, 0x5A, "indefinite length is not allowed"),
        ("5A840000000100", 0, 0x5A, "length field longer than 3 bytes"),
        ("5A8201", 0, 0x5A, "truncated length"),
        ("9F02060000000001009F0201", 9, 0x9F02, "value overruns its template"),
    ],
)
def test_malformed_gives_located_errors(hexdata: str, offset: int, tag: int | None, reason: str) -> None:
    with pytest.raises(TlvError) as err:
        tlv.decode(bytes.fromhex(hexdata))
    assert (err.value.offset, err.value.tag, err.value.reason) == (offset, tag, reason)
    with pytest.raises(TlvError) as err2:
        tlv.parse(bytes.fromhex(hexdata))
    assert (err2.value.offset, err2.value.tag, err2.value.reason) == (offset, tag, reason)


def test_error_is_in_the_hierarchy_and_holds_no_value_bytes() -> None:
    pan = "6224242900000113"
    data = bytes.fromhex("5A08" + pan + "9F02")
    with pytest.raises(TlvError) as err:
        tlv.decode(data)
    assert isinstance(err.value, EmvError) and isinstance(err.value, PosError)
    assert isinstance(err.value, ValueError)
    assert pan not in str(err.value) and "62242429" not in str(err.value)
    assert str(err.value) == "missing length at offset 10, tag 9F02"


def test_parse_duplicate_tag_is_located() -> None:
    with pytest.raises(TlvError) as err:
        tlv.parse(bytes.fromhex("9F360200019F360200025A01"))
    assert (err.value.offset, err.value.tag, err.value.reason) == (5, 0x9F36, "duplicate tag")


def test_parse_accepts_buffers_and_returns_bytes() -> None:
    raw = bytearray.fromhex("77069F27018082009000")[:-2]
    got = tlv.parse(memoryview(raw))
    assert got == {0x9F27: b"\x80", 0x82: b""}
    assert all(type(v) is bytes for v in got.values())


@pytest.mark.parametrize(
    ("items", "reason"),
    [
        ([(0x9F, b"")], "tag bytes do not follow BER rules"),  # 9F announces a second byte
        ([(0x5A1F, b"")], "tag bytes do not follow BER rules"),  # 5A does not
        ([(0x9F8001, b"")], None),  # 3-byte tag: fine
        ([(0x9F80, b"")], "tag bytes do not follow BER rules"),  # last byte has b8 set
        ([(0x5A, [(0x5A, b"")])], "nested objects under a primitive tag"),
        ([(0, b"")], "tag must be a positive int"),
    ],
)
def test_encode_checks_tags(items: list[tuple[int, bytes]], reason: str | None) -> None:
    if reason is None:
        assert tlv.decode(tlv.encode(items)).tags() == [items[0][0]]
        return
    with pytest.raises(TlvError) as err:
        tlv.encode(items)
    assert err.value.reason == reason


def test_encode_accepts_mapping_and_encoded_template_content() -> None:
    assert tlv.encode({0x9F27: b"\x80", 0x9F36: b"\x00\x01"}).hex() == "9f2701809f36020001"
    assert tlv.encode([(0x70, bytes.fromhex("5A0101"))]).hex() == "70035a0101"


def test_corpus_decodes_exactly() -> None:
    for sample in build_corpus(copies=3):
        assert tlv.as_tree(tlv.decode(sample.data)) == sample.tree, sample.kind


def test_node_values_and_offsets() -> None:
    d = tlv.decode(bytes.fromhex("0070045A02476100"))
    (tmpl,) = d.top()
    assert tmpl.constructed and tmpl.value == bytes.fromhex("5A024761")
    (pan,) = tmpl.children()
    assert (pan.tag, pan.value, pan.offset, pan.children()) == (0x5A, b"\x47\x61", 5, [])
    assert d.object_count == 2 and repr(d) == "Tlv(2 objects, 8 bytes)"
    assert "4761" not in repr(pan)


def test_deep_nesting_is_a_typed_error() -> None:
    data = b""
    for _ in range(5000):
        data = tlv.encode([(0x70, data)])
    with pytest.raises(TlvError) as err:
        tlv.decode(data)
    assert err.value.reason == "templates nested too deeply"
