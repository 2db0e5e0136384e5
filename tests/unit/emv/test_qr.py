"""emv.qr: EMVCo merchant-presented QR (EMV QRCPS MPM v1.1), DOMAIN_FACTS.md test vector 14 and bad input."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from emv.errors import EmvError
from emv.qr import (
    AdditionalData,
    LanguageTemplate,
    MerchantAccount,
    QrError,
    build_mpm,
    crc16_ccitt_false,
    currency_exponent,
    decode_mpm,
    encode_mpm,
    encode_objects,
    format_amount,
    is_template,
    object_name,
    split_objects,
    with_crc,
)

# DOMAIN_FACTS.md test vector 14 (ericsalim/exemvi test/mpm_test.exs): exact, CRC A13A over UTF-8.
VECTOR = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN"
    "5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603"
    "***0708A60086670902ME91320016A0112233449988770708123456786304A13A"
)


def raw(*objects: tuple[str, str]) -> str:
    """Objects encoded without any check (duplicates allowed), then the right CRC."""
    return with_crc("".join(f"{oid}{len(v):02d}{v}" for oid, v in objects))


BASE = (
    ("00", "01"),
    ("01", "12"),
    ("29", "0012D156000000000510A93FO3230Q"),
    ("52", "5812"),
    ("53", "156"),
    ("54", "23.72"),
    ("58", "CN"),
    ("59", "BEST TRANSPORT"),
    ("60", "BEIJING"),
)


def with_objects(*changes: tuple[str, str | None]) -> str:
    """BASE with each (id, value) replaced, removed (None) or appended, CRC recomputed."""
    objs = dict(BASE)
    for oid, value in changes:
        if value is None:
            objs.pop(oid)
        else:
            objs[oid] = value
    return raw(*objs.items())


def test_vector_14_decodes_field_by_field() -> None:
    mpm = decode_mpm(VECTOR)
    assert [oid for oid, _ in mpm.elements] == [
        "00", "01", "29", "31", "52", "58", "59", "60", "64", "54", "53", "55", "62", "91",
    ]  # fmt: skip
    assert mpm.is_dynamic and mpm.initiation == "12"
    assert [(a.id, a.gui, a.fields) for a in mpm.accounts] == [
        ("29", "D15600000000", (("00", "D15600000000"), ("05", "A93FO3230Q"))),
        ("31", "D15600000001", (("00", "D15600000001"), ("03", "12345678"))),
    ]
    assert (mpm.mcc, mpm.currency_n, mpm.amount_minor, mpm.country) == ("4111", 156, 2372, "CN")
    assert (mpm.tip_indicator, mpm.fee_fixed_minor, mpm.fee_percentage_bp) == ("01", None, None)
    assert (mpm.merchant_name, mpm.merchant_city, mpm.postal_code) == ("BEST TRANSPORT", "BEIJING", None)
    assert mpm.additional == AdditionalData(
        store_label="1234", customer_label="***", terminal_label="A6008667", consumer_data_request="ME"
    )
    assert mpm.language == LanguageTemplate("ZH", "最佳运输", "北京")
    assert mpm.crc == 0xA13A


def test_vector_14_round_trips_byte_identical() -> None:
    assert encode_mpm(decode_mpm(VECTOR)) == VECTOR


def test_lengths_count_characters_and_the_crc_covers_utf8_bytes() -> None:
    assert "64200002ZH0104最佳运输0202北京" in VECTOR  # 20 characters, 32 UTF-8 bytes
    assert crc16_ccitt_false(VECTOR[:-4].encode("utf-8")) == 0xA13A
    assert crc16_ccitt_false(VECTOR[:-4].encode("utf-16-be")) != 0xA13A
    byte_lengths = VECTOR.replace("6420", "6432")[:-8]  # the template's length counted in bytes
    with pytest.raises(QrError):
        decode_mpm(with_crc(byte_lengths))


def test_crc16_ccitt_false_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


@pytest.mark.parametrize(
    ("payload", "position", "oid"),
    [
        (VECTOR[:-4] + "A13B", 244, "63"),  # wrong CRC
        (VECTOR[:-4] + "a13a", 244, "63"),  # lower-case hex
        (VECTOR[:-8], 240, "63"),  # no CRC at all
        (VECTOR[:-8] + "6303A13", 244, "63"),  # CRC of 3 characters
        (VECTOR[:-8] + "6305A13A0", 244, "63"),
    ],
)
def test_crc_is_mandatory(payload: str, position: int, oid: str) -> None:
    with pytest.raises(QrError) as info:
        decode_mpm(payload)
    assert (info.value.position, info.value.id) == (position, oid)


def test_crc_must_be_last() -> None:
    body = VECTOR[:-8]
    moved = body[:6] + "6304A13A" + body[6:]
    with pytest.raises(QrError) as info:
        decode_mpm(moved)
    assert (info.value.reason, info.value.position, info.value.id) == (
        "CRC is not the last data object",
        6,
        "63",
    )


def test_payload_format_indicator_must_be_first() -> None:
    swapped = raw(("01", "12"), ("00", "01"), *BASE[2:])
    with pytest.raises(QrError) as info:
        decode_mpm(swapped)
    assert (info.value.position, info.value.id) == (0, "01")


def test_other_objects_may_come_in_any_order() -> None:
    shuffled = raw(BASE[0], *reversed(BASE[1:]))
    mpm = decode_mpm(shuffled)
    assert mpm.amount_minor == 2372 and mpm.merchant_name == "BEST TRANSPORT"
    assert encode_mpm(mpm) == shuffled


@pytest.mark.parametrize(
    ("payload", "reason", "position", "oid"),
    [
        (raw(*BASE, ("52", "5812")), "duplicate ID", 105, "52"),  # BASE is 105 characters
        (raw(*BASE, ("62", "0503ABC0503DEF")), "duplicate ID", 116, "62.05"),
        (raw(*BASE[:3], ("5A", "5812"), *BASE[4:]), "ID is not two decimal digits", 46, None),
        (VECTOR.replace("5204", "52X4", 1), "length is not two decimal digits 01-99", 80, "52"),
        (VECTOR.replace("5204", "5200", 1), "length is not two decimal digits 01-99", 80, "52"),
        ("00020101021252", "truncated data object", 12, None),
        ("0002010102125299", "value overruns the payload", 14, "52"),
        (raw(*BASE, ("62", "0599ABC")), "value overruns its template", 111, "62.05"),
        (raw(*BASE, ("62", "05")), "truncated data object", 109, "62"),
        (raw(*BASE, ("62", "0A03ABC")), "ID is not two decimal digits", 109, "62"),
        ("", "empty payload", 0, None),
    ],
)
def test_structural_errors_carry_reason_position_and_id(
    payload: str, reason: str, position: int, oid: str | None
) -> None:
    with pytest.raises(QrError) as info:
        decode_mpm(payload)
    assert (info.value.reason, info.value.position, info.value.id) == (reason, position, oid)
    assert isinstance(info.value, EmvError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("changes", "oid"),
    [
        ((("00", "02"),), "00"),
        ((("01", "13"),), "01"),
        ((("52", "58a2"),), "52"),
        ((("52", "581"),), "52"),
        ((("52", "٥٨١٢"),), "52"),  # Arabic-Indic digits are not ASCII digits
        ((("53", "15X"),), "53"),
        ((("58", "cn"),), "58"),
        ((("58", "CHN"),), "58"),
        ((("29", "0510A93FO3230Q"),), "29"),  # template without its GUI
        ((("91", "0708A6008667"),), "91"),  # unreserved template without its GUI
        ((("62", "0902MM"),), "62.09"),
        ((("62", "0902AX"),), "62.09"),
        ((("64", "0002ZH"),), "64"),  # no alternate name
        ((("64", "0003ZHO0104最佳运输"),), "64.00"),
        ((("55", "04"),), "55"),
        ((("55", "02"),), "56"),  # fixed fee indicator without the fee
        ((("56", "1.00"),), "56"),  # fee without the indicator
        ((("55", "03"), ("56", "1.00")), "56"),
        ((("55", "03"), ("57", "100")), "57"),
        ((("55", "03"), ("57", "0.00")), "57"),
        ((("55", "03"), ("57", "3.505")), "57"),
        ((("55", "02"), ("56", "0")), "56"),
    ],
)
def test_field_errors_name_the_id(changes: tuple[tuple[str, str], ...], oid: str) -> None:
    payload = with_objects(*changes)
    with pytest.raises(QrError) as info:
        decode_mpm(payload)
    assert info.value.id == oid
    assert info.value.position is not None and 0 <= info.value.position <= len(payload)


def test_field_error_positions_point_at_the_value() -> None:
    payload = with_objects(("58", "cn"))
    with pytest.raises(QrError) as info:
        decode_mpm(payload)
    assert info.value.position == payload.index("5802cn") + 4
    payload = with_objects(("62", "0503ABC0902MM"))
    with pytest.raises(QrError) as info:
        decode_mpm(payload)
    assert info.value.position == payload.index("0902MM") + 4


@pytest.mark.parametrize("oid", ["52", "53", "58", "59", "60"])
def test_missing_mandatory_objects(oid: str) -> None:
    payload = with_objects((oid, None))
    with pytest.raises(QrError) as info:
        decode_mpm(payload)
    assert info.value.reason == f"missing mandatory ID {oid}" and info.value.position == len(payload)


def test_missing_merchant_account() -> None:
    with pytest.raises(QrError, match="missing merchant account"):
        decode_mpm(with_objects(("29", None)))


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("98.73", "156", 9873),
        ("98", "156", 9800),
        ("98.", "156", 9800),
        ("98.7", "156", 9870),
        ("98.730", "156", 9873),  # trailing zeros past the exponent are harmless
        ("0.01", "156", 1),
        ("1234567890.12", "156", 123456789012),  # 13 characters
        ("100", "392", 100),  # JPY: exponent 0
        ("100.00", "392", 100),
        ("1.234", "048", 1234),  # BHD: exponent 3
    ],
)
def test_amounts(text: str, currency: str, minor: int) -> None:
    assert decode_mpm(with_objects(("54", text), ("53", currency))).amount_minor == minor


@pytest.mark.parametrize(
    "text",
    ["0", "0.00", ".5", "98,73", "3 705", "98.735", "1.2.3", "12345678901.23", "-1", "+1", "1e3", "１"],
)
def test_bad_amounts(text: str) -> None:
    with pytest.raises(QrError) as info:
        decode_mpm(with_objects(("54", text)))
    assert info.value.id == "54"


def test_amount_absent_and_fees() -> None:
    mpm = decode_mpm(with_objects(("54", None), ("01", "11")))
    assert mpm.amount_minor is None and not mpm.is_dynamic
    mpm = decode_mpm(with_objects(("55", "02"), ("56", "1.50")))
    assert (mpm.tip_indicator, mpm.fee_fixed_minor) == ("02", 150)
    mpm = decode_mpm(with_objects(("55", "03"), ("57", "3.5")))
    assert mpm.fee_percentage_bp == 350
    assert decode_mpm(with_objects(("55", "03"), ("57", "00.01"))).fee_percentage_bp == 1
    assert decode_mpm(with_objects(("55", "03"), ("57", "99.99"))).fee_percentage_bp == 9999
    assert decode_mpm(with_objects(("01", None))).initiation is None


def test_lone_surrogate_is_a_typed_error() -> None:
    payload = with_objects(("59", "A")).replace("5901A", "5901\ud800")
    with pytest.raises(QrError) as info:
        decode_mpm(payload)
    assert info.value.reason == "character not encodable as UTF-8"
    with pytest.raises(QrError):
        with_crc("5901\udfff")


def test_rfu_and_unreserved_objects_are_kept_for_the_round_trip() -> None:
    payload = with_objects(("65", "FUTURE"), ("80", "0003ABC0102XY"), ("62", "0503REF5004ABCD"))
    mpm = decode_mpm(payload)
    assert ("65", "FUTURE") in mpm.elements and ("80", "0003ABC0102XY") in mpm.elements
    assert mpm.additional is not None and mpm.additional.other == (("50", "ABCD"),)
    assert encode_mpm(mpm) == payload


def test_error_messages_never_hold_payload_text() -> None:
    for changes in ((("58", "cn"),), (("54", "SECRET"),), (("62", "0902XX"),)):
        with pytest.raises(QrError) as info:
            decode_mpm(with_objects(*changes, ("59", "SECRET MERCHANT")))
        assert "SECRET" not in str(info.value) and "cn" not in str(info.value)
    err = QrError("CRC mismatch", 244, "63")
    assert str(err) == "CRC mismatch at position 244, ID 63"
    back = pickle.loads(pickle.dumps(err))
    assert (back.reason, back.position, back.id) == ("CRC mismatch", 244, "63")
    assert str(QrError("bad", None, "59")) == "bad (ID 59)" and str(QrError("bad", 3)) == "bad at position 3"


# --- encoding ---------------------------------------------------------------------------------------

UNIONPAY = MerchantAccount.template("29", "D15600000000", ("05", "A93FO3230Q"))


def test_build_writes_ascending_ids_and_decodes_back() -> None:
    payload = build_mpm(
        merchant_name="BEST TRANSPORT",
        merchant_city="BEIJING",
        mcc="4111",
        amount_minor=2372,
        accounts=[MerchantAccount.template("31", "D15600000001", ("03", "12345678")), UNIONPAY],
        tip_indicator="01",
        additional=AdditionalData(
            store_label="1234", customer_label="***", terminal_label="A6008667", consumer_data_request="ME"
        ),
        language=LanguageTemplate("ZH", "最佳运输", "北京"),
    )
    ids = [oid for oid, _ in split_objects(payload)]
    assert ids == ["00", "01", "29", "31", "52", "53", "54", "55", "58", "59", "60", "62", "64", "63"]
    mine, vector = decode_mpm(payload), decode_mpm(VECTOR)
    for name in ("accounts", "mcc", "currency_n", "amount_minor", "tip_indicator", "country", "merchant_name",
                 "merchant_city", "additional", "language", "initiation"):  # fmt: skip
        assert getattr(mine, name) == getattr(vector, name), name
    assert sorted(mine.elements) == sorted(e for e in vector.elements if e[0] != "91")


def test_build_static_and_dynamic() -> None:
    static = decode_mpm(build_mpm(merchant_name="A", merchant_city="B", mcc="5812", accounts=[UNIONPAY],
                                  dynamic=False))  # fmt: skip
    assert static.initiation == "11" and static.amount_minor is None
    dynamic = decode_mpm(build_mpm(merchant_name="A", merchant_city="B", mcc="5812", accounts=[UNIONPAY],
                                   amount_minor=1))  # fmt: skip
    assert dynamic.initiation == "12" and dynamic.amount_minor == 1
    assert "54040.01" in build_mpm(merchant_name="A", merchant_city="B", mcc="5812", accounts=[UNIONPAY],
                                    amount_minor=1)  # fmt: skip


def test_build_fees_and_other_currencies() -> None:
    kwargs = {"merchant_name": "A", "merchant_city": "B", "mcc": "5812", "accounts": [UNIONPAY]}
    mpm = decode_mpm(build_mpm(**kwargs, tip_indicator="02", fee_fixed_minor=150))  # type: ignore[arg-type]
    assert mpm.fee_fixed_minor == 150
    mpm = decode_mpm(build_mpm(**kwargs, tip_indicator="03", fee_percentage_bp=5))  # type: ignore[arg-type]
    assert mpm.fee_percentage_bp == 5
    payload = build_mpm(**kwargs, currency_n=392, amount_minor=500, country="JP")  # type: ignore[arg-type]
    assert "5303392" in payload and "5403500" in payload
    assert decode_mpm(payload).amount_minor == 500


@pytest.mark.parametrize(
    ("kwargs", "oid"),
    [
        ({"merchant_name": "N" * 26}, "59"),
        ({"merchant_name": "最佳运输"}, "59"),  # 59 is format ans: Chinese goes in template 64
        ({"merchant_city": "C" * 16}, "60"),
        ({"mcc": "58a2"}, "52"),
        ({"country": "cn"}, "58"),
        ({"amount_minor": 0}, "54"),
        ({"amount_minor": 10**13}, "54"),
        ({"currency_n": 1000}, "53"),
        ({"accounts": []}, "02"),
        ({"accounts": [UNIONPAY, UNIONPAY]}, "29"),
        ({"accounts": [MerchantAccount("52", "X")]}, "52"),
        ({"accounts": [MerchantAccount("29", "0503ABC", (("05", "ABC"),))]}, "29"),  # no GUI
        ({"accounts": [MerchantAccount("29", "0012D156", (("00", "D15600000000"),))]}, "29"),  # mismatch
        ({"accounts": [MerchantAccount("15", "")]}, "15"),
        ({"tip_indicator": "02"}, "55"),
        ({"tip_indicator": "04"}, "55"),
        ({"fee_fixed_minor": 5}, "55"),
        ({"tip_indicator": "03", "fee_percentage_bp": 10000}, "57"),
        ({"postal_code": "1" * 11}, "61"),
        ({"additional": AdditionalData(bill_number="B" * 26)}, "62.01"),
        ({"additional": AdditionalData(consumer_data_request="AA")}, "62.09"),
        ({"additional": AdditionalData(other=(("05", "X"),))}, "62.05"),
        ({"language": LanguageTemplate("ZHO", "最佳运输")}, "64.00"),
        ({"language": LanguageTemplate("ZH", "最" * 26)}, "64.01"),
        ({"language": LanguageTemplate("ZH", "\ud800")}, "64.01"),
        ({"language": LanguageTemplate("ZH", "A", other=(("01", "X"),))}, "64"),
    ],
)
def test_build_rejects_what_the_spec_does_not_allow(kwargs: dict[str, object], oid: str) -> None:
    args: dict[str, object] = {
        "merchant_name": "A",
        "merchant_city": "B",
        "mcc": "5812",
        "accounts": [UNIONPAY],
    }
    args.update(kwargs)
    with pytest.raises(QrError) as info:
        build_mpm(**args)  # type: ignore[arg-type]
    assert info.value.id == oid and info.value.position is None


def test_encode_mpm_refuses_elements_it_cannot_write() -> None:
    mpm = decode_mpm(VECTOR)
    with pytest.raises(QrError):
        encode_mpm(dataclasses.replace(mpm, elements=mpm.elements[1:]))
    with pytest.raises(QrError):
        encode_mpm(dataclasses.replace(mpm, elements=(*mpm.elements, ("63", "A13A"))))


def test_helpers() -> None:
    assert (
        format_amount(2372) == "23.72" and format_amount(1) == "0.01" and format_amount(100000) == "1000.00"
    )
    assert format_amount(7, 3) == "0.007" and format_amount(7, 0) == "7"
    assert currency_exponent(156) == 2 and currency_exponent(392) == 0 and currency_exponent(414) == 3
    assert encode_objects([("00", "01"), ("59", "最佳")]) == "0002015902最佳"
    with pytest.raises(QrError):
        encode_objects([("0", "01")])
    with pytest.raises(QrError):
        encode_objects([("59", "x" * 100)])
    assert is_template("26") and is_template("51") and is_template("80") and is_template("64")
    assert not is_template("25") and not is_template("52") and not is_template("63")
    assert object_name("15") == "Merchant Account Information (UnionPay)"
    assert object_name("29") == "Merchant Account Information (template)"
    assert object_name("02") == "Merchant Account Information (Visa)"
    assert object_name("07") == "Merchant Account Information (reserved for EMVCo)"
    assert object_name("64") == "Merchant Information - Language Template"
    assert object_name("01", "64") == "Merchant Name - Alternate Language"
    assert object_name("05", "29") == "Payment System Specific"
    assert object_name("70") == "RFU for EMVCo" and object_name("91") == "Unreserved Template"
    assert object_name("55", "62") == "Payment System Specific Template"
    assert split_objects("0002ZH0104最佳运输") == (("00", "ZH"), ("01", "最佳运输"))
