"""Tests of the EMV tag dictionary and value rendering (emv/tags.py, emv/redact.py)."""

from __future__ import annotations

import pytest

from emv.redact import mask_pan, mask_track2
from emv.tags import TAGS, Format, Source, TagInfo, format_value, info, is_sensitive, name_of
from emv.tlv import decode, is_constructed

# The public CUP 0200 sample in DOMAIN_FACTS.md (test vector 1): field 2 and field 35.
PAN = "6224242900000113"
TRACK2 = "6224242900000113D28062013949031013"
PAN_MIDDLE = PAN[6:-4]  # "290000": must never show unless revealed
F55 = (
    "9F260895BBE372271DDA7C9F2701809F101307010103A00000010A010000000000ED538FE49F37047F9F349E9F3602015795"
    "0500000000009A031908309C01009F02060000000000015F2A02015682027C009F1A0201569F03060000000000009F3303E0"
    "E1C89F3501229F1E0831303030303031398408A0000003330101029F0902008C9F410400000403"
)
# qPBOC SELECT AID response (DOMAIN_FACTS.md, test vector 15), without SW1 SW2.
SELECT_AID_FCI = (
    "6F438408A000000333010101A537500A50424F43204445424954870101"
    "9F38189F66049F02069F03069F1A0295055F2A029A039C019F3704"
    "5F2D027A68BF0C059F4D020B0A"
)

SENSITIVE = {0x56, 0x57, 0x5A, 0x5F20, 0x99, 0x9F0B, 0x9F1F, 0x9F20, 0x9F61, 0x9F6B, 0xDF812A, 0xDF812B}
TEMPLATES = {0x61, 0x6F, 0x70, 0x71, 0x72, 0x73, 0x77, 0xA5, 0xBF0C}
TEMPLATES |= {0xFF8101, 0xFF8102, 0xFF8103, 0xFF8104, 0xFF8105, 0xFF8106}


# ---------------------------------------------------------------------------------------------------------
# The table itself
# ---------------------------------------------------------------------------------------------------------


def test_sensitive_set_is_exactly_pan_track_name_id_and_pin_data() -> None:
    assert {tag for tag, entry in TAGS.items() if entry.sensitive} == SENSITIVE


@pytest.mark.parametrize("tag", sorted(SENSITIVE))
def test_is_sensitive(tag: int) -> None:
    assert is_sensitive(tag)


@pytest.mark.parametrize("tag", [0x5F50, 0x5F24, 0x5F30, 0x9F02, 0x9F24, 0x9F25, 0x9F62, 0x9F26, 0xC1, 0x1F])
def test_not_sensitive(tag: int) -> None:
    assert not is_sensitive(tag)


@pytest.mark.parametrize(
    ("tag", "name"),
    [
        (0x4F, "Application Identifier (AID) - card"),
        (0x50, "Application Label"),
        (0x57, "Track 2 Equivalent Data"),
        (0x5A, "Application Primary Account Number (PAN)"),
        (0x82, "Application Interchange Profile (AIP)"),
        (0x84, "Dedicated File (DF) Name"),
        (0x95, "Terminal Verification Results (TVR)"),
        (0x9F02, "Amount, Authorised (Numeric)"),
        (0x9F10, "Issuer Application Data (IAD)"),
        (0x9F26, "Application Cryptogram"),
        (0x9F27, "Cryptogram Information Data"),
        (0x9F36, "Application Transaction Counter (ATC)"),
        (0x9F37, "Unpredictable Number"),
        (0x9F66, "Terminal Transaction Qualifiers (TTQ)"),
        (0x9F6C, "Card Transaction Qualifiers (CTQ)"),
        (0x9F74, "Electronic Cash Issuer Authorisation Code"),
        (0x9F79, "Electronic Cash Balance"),
        (0xBF0C, "File Control Information (FCI) Issuer Discretionary Data"),
        (0xDF31, "Issuer Script Results"),
        (0xFF8101, "Torn Record"),
    ],
)
def test_names(tag: int, name: str) -> None:
    assert name_of(tag) == name
    entry = info(tag)
    assert entry is not None and entry.name == name


@pytest.mark.parametrize("tag", [0x00, 0xC1, 0x9F99, 0xDF7F, 0xFF8199])
def test_unknown_tag(tag: int) -> None:
    assert info(tag) is None
    assert name_of(tag) == "unknown tag"
    assert not is_sensitive(tag)


@pytest.mark.parametrize("tag", sorted(TAGS))
def test_entry_is_consistent(tag: int) -> None:
    entry = TAGS[tag]
    assert isinstance(entry, TagInfo)
    assert entry.tag == tag
    assert entry.name and entry.name != "unknown tag"
    assert isinstance(entry.fmt, Format) and isinstance(entry.source, Source)
    assert 0 <= entry.min_len <= entry.max_len
    assert entry.template is is_constructed(tag)
    if entry.template:
        assert entry.fmt is Format.B


def test_templates_are_exactly_the_constructed_tags() -> None:
    assert {tag for tag, entry in TAGS.items() if entry.template} == TEMPLATES
    assert {tag for tag in TAGS if is_constructed(tag)} == TEMPLATES


@pytest.mark.parametrize("tag", [0x80, 0x83])  # called templates in the specification, encoded primitive
def test_format_1_and_command_templates_are_primitive(tag: int) -> None:
    entry = info(tag)
    assert entry is not None and not entry.template


@pytest.mark.parametrize(
    "tag",
    [0x42, 0x4F, 0x50, 0x57, 0x5A, 0x5F20, 0x5F24, 0x5F25, 0x5F28, 0x5F2A, 0x5F2D, 0x5F30, 0x5F34, 0x5F36]
    + [0x5F50, 0x5F53, 0x5F54, 0x5F55, 0x5F56, 0x5F57, 0x61, 0x6F, 0x70, 0x71, 0x72, 0x73, 0x77, 0x80]
    + [0x81, 0x82, 0x83, 0x84, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x91, 0x92]
    + [0x93, 0x94, 0x95, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0xA5, 0xBF0C, 0x9F1F, 0x9F20, 0x9F4B]
    + [0x9F4C, 0x9F4D, 0x9F4E, 0x56, 0x9F63, 0x9F66, 0x9F69, 0x9F6B, 0x9F6C, 0x9F6D, 0x9F6E, 0x9F74]
    + [0x9F79, 0x9F7C, 0xDF31, 0xDF32, 0xDF33, 0xDF34, 0xDF60, 0xDF61, 0xDF62, 0xFF8101, 0xFF8106, 0xDF8101]
    + [t for t in range(0x9F01, 0x9F50) if t not in (0x9F28, 0x9F2B, 0x9F2C, 0x9F30, 0x9F31, 0x9F3E, 0x9F3F)]
    + list(range(0x9F51, 0x9F55))
    + list(range(0x9F56, 0x9F5B))
    + [0x9F5C, 0x9F5D],
)
def test_required_tags_are_present(tag: int) -> None:
    assert tag in TAGS


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        TAGS[0x9F02] = TAGS[0x9F03]  # type: ignore[index]


@pytest.mark.parametrize("hex_data", [F55, SELECT_AID_FCI])
def test_real_messages_use_only_known_tags(hex_data: str) -> None:
    assert all(tag in TAGS for tag in decode(bytes.fromhex(hex_data)).tags())


# ---------------------------------------------------------------------------------------------------------
# Rendering values
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "hex_value", "expected"),
    [
        (0x9F02, "000000000001", "000000000001"),  # n: the BCD digits
        (0x9A, "190830", "190830"),  # n
        (0x5F2A, "0156", "0156"),  # n
        (0x9F20, "2013949031013F", "2013949031013"),  # cn: trailing F padding dropped (revealed below)
        (0x9F62, "00", "00"),  # cn, not sensitive
        (0x8A, "3030", "00"),  # an
        (0x5F2D, "7A68656E", "zhen"),  # an
        (0x9F1E, "3130303030303139", "10000019"),  # an
        (0x50, "50424F43204445424954", "PBOC DEBIT"),  # ans
        (0x9F4E, "41420109", "AB\\x01\\x09"),  # ans: non-printables escaped
        (0x9F4E, "5C7F80", "\\x5C\\x7F\\x80"),  # backslash, DEL and high bytes escaped
        (0x82, "7c00", "7C00"),  # b: upper-case hex
        (0x9F26, "95BBE372271DDA7C", "95BBE372271DDA7C"),  # b
        (0xC1, "0102ab", "0102AB"),  # unknown primitive tag: hex
        (0x9F02, "", ""),  # empty value
    ],
)
def test_format_by_format(tag: int, hex_value: str, expected: str) -> None:
    assert format_value(tag, bytes.fromhex(hex_value), reveal=tag == 0x9F20) == expected


def test_pan_is_masked() -> None:
    shown = format_value(0x5A, bytes.fromhex(PAN))
    assert shown == "622424******0113"
    assert PAN_MIDDLE not in shown


def test_odd_length_pan_padding_is_dropped_before_masking() -> None:
    assert format_value(0x5A, bytes.fromhex("6224242900000113000F")) == "622424*********3000"
    assert format_value(0x5A, bytes.fromhex("6224242900000113000F"), reveal=True) == "6224242900000113000"


@pytest.mark.parametrize("tag", [0x57, 0x9F6B])
def test_track2_is_masked(tag: int) -> None:
    shown = format_value(tag, bytes.fromhex(TRACK2))
    assert shown == "622424******0113D" + "*" * 17
    assert PAN_MIDDLE not in shown
    assert "2806" not in shown  # expiry and discretionary data are gone too


def test_padded_track2_is_masked() -> None:
    shown = format_value(0x57, bytes.fromhex(TRACK2[:-1] + "F"))  # an odd number of digits, F-padded
    assert shown == "622424******0113D" + "*" * 16


def test_track2_without_separator_is_masked_as_a_whole() -> None:
    assert format_value(0x9F6B, bytes.fromhex("000000100000")) == "*" * 12


def test_reveal_shows_the_value() -> None:
    assert format_value(0x5A, bytes.fromhex(PAN), reveal=True) == PAN
    assert format_value(0x57, bytes.fromhex(TRACK2), reveal=True) == TRACK2
    assert format_value(0x5F20, b"ZHANG/SAN", reveal=True) == "ZHANG/SAN"


def test_track1_is_masked() -> None:
    track1 = b"B6224242900000113^ZHANG/SAN^2806201000000000"
    shown = format_value(0x56, track1)
    assert shown.startswith("B622424******0113^")
    assert set(shown[len("B622424******0113^") :]) == {"*"}
    assert PAN_MIDDLE not in shown and "ZHANG" not in shown


@pytest.mark.parametrize(
    ("tag", "value"),
    [
        (0x5F20, b"ZHANG/SAN"),
        (0x9F0B, b"A VERY LONG CARDHOLDER NAME OVER 26 CHARS"),
        (0x99, bytes.fromhex("241234FFFFFFFFFF")),
        (0x9F1F, b"1010000000000000"),
        (0x9F20, bytes.fromhex("2013949031013F")),
        (0x9F61, b"110101199001011234"),
        (0xDF812A, b"0000000000000"),
        (0xDF812B, bytes.fromhex("01020304")),
    ],
)
def test_other_sensitive_values_are_hidden(tag: int, value: bytes) -> None:
    assert format_value(tag, value) == f"<{len(value)} bytes hidden>"


def test_template_children_are_rendered_and_masked() -> None:
    record = "70" + "1E" + "5A08" + PAN + "5F2403280630" + "5711" + TRACK2
    assert format_value(0x70, bytes.fromhex(record)[2:]) == (
        "[5A=622424******0113 5F24=280630 57=622424******0113D*****************]"
    )
    assert PAN_MIDDLE not in format_value(0x70, bytes.fromhex(record)[2:])
    assert PAN in format_value(0x70, bytes.fromhex(record)[2:], reveal=True)


def test_nested_template_is_rendered() -> None:
    shown = format_value(0x6F, bytes.fromhex(SELECT_AID_FCI)[2:])
    assert shown.startswith("[84=A000000333010101 A5=[50=PBOC DEBIT 87=01 9F38=9F6604")
    assert shown.endswith("5F2D=zh BF0C=[9F4D=0B0A]]]")


def test_unknown_template_is_decoded_so_its_pan_stays_masked() -> None:
    inner = bytes.fromhex("5A08" + PAN)
    assert format_value(0xE1, inner) == "[5A=622424******0113]"


@pytest.mark.parametrize("reveal", [False, True])
def test_malformed_template_is_hidden_unless_revealed(reveal: bool) -> None:
    value = bytes.fromhex("5A08622424")  # value overruns the template
    expected = "5A08622424" if reveal else "<5 bytes hidden>"
    assert format_value(0x70, value, reveal=reveal) == expected


@pytest.mark.parametrize("tag", sorted(TAGS))
@pytest.mark.parametrize("value", [b"", b"\x00", b"\xff\xff\xff", bytes(range(40))])
def test_format_value_never_raises(tag: int, value: bytes) -> None:
    assert isinstance(format_value(tag, value), str)
    assert isinstance(format_value(tag, value, reveal=True), str)


# ---------------------------------------------------------------------------------------------------------
# emv/redact.py helpers
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pan", "expected"),
    [
        ("4761739001010010", "476173******0010"),
        (PAN, "622424******0113"),
        ("6224242900000113000", "622424*********3000"),
        ("1234567890123", "123456***0123"),
        ("123456789012", "************"),
        ("", ""),
    ],
)
def test_mask_pan(pan: str, expected: str) -> None:
    assert mask_pan(pan) == expected


def test_mask_track2_with_magstripe_separator() -> None:
    assert mask_track2("6224242900000113=2806201", separator="=") == "622424******0113=*******"
