"""emv.track: ISO/IEC 7813 tracks 1 and 2, track 2 equivalent data, LRC, service codes, the swipe rule."""

from __future__ import annotations

import logging
import pickle
from datetime import date

import pytest

from emv.errors import EmvError
from emv.track import (
    Pan,
    ServiceCode,
    Track1,
    Track2,
    TrackError,
    encode_track1,
    encode_track2,
    encode_track2_equivalent,
    is_luhn_valid,
    luhn_check_digit,
    parse_track1,
    parse_track2,
    swipe_decision,
    track_lrc,
)

PAN = "6224242900000113"
# ISO 8583 field 35 of the real CUP 0200 sample (DOMAIN_FACTS.md test vector 1).
F35 = "6224242900000113D28062013949031013"
T2_FULL = ";6224242900000113=28062013949031013?="  # LRC '=' computed by hand below
T1_FULL = "%B6224242900000113^ZHANG/SAN^28062010000?B"


def _xor_lrc(framed: str, base: int) -> str:
    acc = 0
    for c in framed:
        acc ^= ord(c) - base
    return chr(base + acc)


def test_lrc_is_xor_of_data_bits_from_start_to_end_sentinel() -> None:
    assert _xor_lrc(T2_FULL[:-1], 0x30) == T2_FULL[-1] == track_lrc(T2_FULL[:-1], 2)
    assert _xor_lrc(T1_FULL[:-1], 0x20) == T1_FULL[-1] == track_lrc(T1_FULL[:-1], 1)


def test_track_lrc_rejects_characters_outside_the_set() -> None:
    with pytest.raises(TrackError) as info:
        track_lrc(";12a?", 2)
    assert info.value.position == 3


@pytest.mark.parametrize(
    "text",
    [F35, F35 + "F", F35.lower(), T2_FULL, T2_FULL[:-1], T2_FULL[1:-2], "6224242900000113=28062013949031013"],
)
def test_track2_forms_all_give_the_same_value(text: str) -> None:
    t = parse_track2(text)
    assert t.pan == Pan(PAN)
    assert (t.expiry_yymm, t.service_code.digits, t.discretionary) == ("2806", "201", "3949031013")
    assert (t.expiry_year, t.expiry_month) == (2028, 6)
    assert t.requires_chip


def test_track2_from_tag57_bytes_with_f_padding() -> None:
    t = parse_track2(bytes.fromhex("6224242900000113D2806201394F"))
    assert t.discretionary == "394"
    assert encode_track2_equivalent(t) == "6224242900000113D2806201394F"
    assert encode_track2_equivalent(parse_track2(F35)) == F35


def test_track1_with_and_without_sentinels() -> None:
    for text in (T1_FULL, T1_FULL[:-1], T1_FULL[1:-2]):
        t = parse_track1(text)
        assert t.pan.digits == PAN and t.name == "ZHANG/SAN"
        assert (t.expiry_yymm, t.service_code.digits, t.discretionary) == ("2806", "201", "0000")


def test_encoders_round_trip_every_framing() -> None:
    t1 = Track1(Pan(PAN), "ZHANG/SAN", "2806", ServiceCode("201"), "0000")
    t2 = Track2(Pan(PAN), "2806", ServiceCode("201"), "3949031013")
    assert encode_track1(t1) == T1_FULL
    assert encode_track2(t2) == T2_FULL
    assert encode_track2(t2, "sentinels") == T2_FULL[:-1]
    assert encode_track2(t2, "bare") == "6224242900000113=28062013949031013"
    for framing in ("full", "sentinels", "bare"):
        assert parse_track1(encode_track1(t1, framing)) == t1
        assert parse_track2(encode_track2(t2, framing)) == t2


def test_longest_tracks_fit_the_iso_maxima() -> None:
    t2 = Track2(Pan("6" * 19), "2806", ServiceCode("201"), "1" * 10)  # 19 + 1 + 7 + 10 = 37
    assert len(encode_track2(t2)) == 40
    with pytest.raises(TrackError):
        Track2(Pan("6" * 19), "2806", ServiceCode("201"), "1" * 11)
    t1 = Track1(Pan("6" * 19), "A" * 26, "2806", ServiceCode("201"), "9" * 21)  # 1+19+1+26+1+7+21 = 76
    assert len(encode_track1(t1)) == 79
    with pytest.raises(TrackError):
        Track1(Pan("6" * 19), "A" * 26, "2806", ServiceCode("201"), "9" * 22)


@pytest.mark.parametrize(
    ("text", "position", "field"),
    [
        (";6224242900000113=28062013949031013?0", 36, "lrc"),  # wrong LRC
        (";6224242900000113=28062013949031013?==", 37, None),  # data after the LRC
        (";6224242900000113=28062013949031013", 35, None),  # no end sentinel
        (";62242429000001A3=2806201?", 15, None),  # 'A' is not a track 2 character
        (";6224242900000113=2806201:?", 25, "discretionary"),  # control character as data
        (";6224242900000113=2813201?", 20, "expiry"),  # month 13
        (";6224242900000113=2800201?", 20, "expiry"),  # month 00
        (";6224242900000113=28062?", 22, "service code"),  # service code cut short
        (";62242429001=2806201?", 1, "pan"),  # 11-digit PAN
        (";62242429000001130000=2806201?", 1, "pan"),  # 20-digit PAN
        (";6224242900000113?", 17, None),  # no separator
        (";6224;42900000113=2806201?", 5, None),  # second start sentinel
        ("6224242900000113=2806201?", 24, None),  # end sentinel without a start sentinel
        ("6224242900000113D2806201F3", 24, "discretionary"),  # F inside equivalent data
        ("6224242900000113D2806201FF", 24, "discretionary"),  # two F pads
        ("6224242900000113X2806201", 24, None),  # no D: the separator is missing
        ("", 0, None),
    ],
)
def test_track2_errors_carry_position_and_field(text: str, position: int, field: str | None) -> None:
    with pytest.raises(TrackError) as info:
        parse_track2(text)
    assert (info.value.position, info.value.field) == (position, field)
    assert isinstance(info.value, EmvError) and isinstance(info.value, ValueError)
    assert PAN[:-4] not in str(info.value)


@pytest.mark.parametrize(
    ("text", "position", "field"),
    [
        ("%A6224242900000113^ZHANG/SAN^28062010000?", 1, "format code"),
        ("%B6224242900000113^Z^28062010000?", 19, "name"),  # name too short
        ("%B6224242900000113^" + "N" * 27 + "^28062010000?", 19, "name"),
        ("%B6224242900000113^zhang^28062010000?", 19, None),  # lower case is not in the 6-bit set
        ("%B6224242900000113^ZHANG/SAN28062010000?", 39, None),  # one separator only
        ("%B6224242900000113^ZHANG/SAN^2806201^00?", 36, "discretionary"),
        ("%B6224242900000113^ZHANG/SAN^28062010000?C", 41, "lrc"),
        ("%B62242429000001X3^ZHANG/SAN^28062010000?", 16, "pan"),
        ("%B6224242900000113^ZHANG/SAN^2806201" + "0" * 45 + "?", 79, None),  # over 79 characters
    ],
)
def test_track1_errors_carry_position_and_field(text: str, position: int, field: str | None) -> None:
    with pytest.raises(TrackError) as info:
        parse_track1(text)
    assert (info.value.position, info.value.field) == (position, field)


def test_error_message_and_pickle() -> None:
    err = TrackError("LRC mismatch", 36, "lrc")
    assert str(err) == "LRC mismatch at position 36 (lrc)"
    back = pickle.loads(pickle.dumps(err))
    assert (back.reason, back.position, back.field) == ("LRC mismatch", 36, "lrc")
    assert str(TrackError("bad")) == "bad"


def test_redacting_reprs_never_show_track_data() -> None:
    t1 = parse_track1(T1_FULL)
    t2 = parse_track2(F35)
    for text in (repr(t1), str(t1), repr(t2), f"{t2}", repr(t2.pan), str(t2.pan), f"{t2.pan!s}"):
        assert PAN not in text and "ZHANG" not in text and "2806" not in text and "3949" not in text
    assert repr(t2.pan) == str(t2.pan) == "Pan()"
    assert t2.pan.masked == "622424******0113"
    assert repr(t2) == "Track2(pan=Pan(), service_code=ServiceCode(digits='201'))"


@pytest.mark.parametrize(
    ("code", "chip", "interchange", "authorization", "services", "pin"),
    [
        ("101", False, "international interchange", "normal", "no restrictions", False),
        ("201", True, "international interchange, integrated circuit", "normal", "no restrictions", False),
        ("221", True, "international interchange, integrated circuit", "online authorisation by the issuer",
         "no restrictions", False),
        ("520", False, "national interchange", "online authorisation by the issuer",
         "no restrictions, PIN required", True),
        ("606", True, "national interchange, integrated circuit", "normal",
         "no restrictions, prompt for PIN if a PIN pad is present", False),
        ("745", False, "private (no interchange except by bilateral agreement)",
         "online authorisation by the issuer except under bilateral agreement",
         "goods and services only, PIN required", True),
        ("913", False, "test", "reserved", "ATM only, PIN required", True),
        ("389", False, "reserved", "reserved", "reserved", False),
    ],
)  # fmt: skip
def test_service_code_meanings(
    code: str, chip: bool, interchange: str, authorization: str, services: str, pin: bool
) -> None:
    sc = ServiceCode(code)
    assert (sc.requires_chip, sc.interchange, sc.authorization, sc.services, sc.pin_required) == (
        chip,
        interchange,
        authorization,
        services,
        pin,
    )
    assert sc.online_required == (code[1] in "24")


@pytest.mark.parametrize("bad", ["20", "2011", "2a1", "", "２０１"])
def test_service_code_must_be_three_ascii_digits(bad: str) -> None:
    with pytest.raises(TrackError):
        ServiceCode(bad)


@pytest.mark.parametrize(
    ("service_code", "chip_read_failed", "decision"),
    [
        ("101", False, "accept"),
        ("101", True, "accept"),
        ("501", False, "accept"),
        ("201", False, "insert_chip"),
        ("201", True, "fallback"),
        ("601", False, "insert_chip"),
        ("620", True, "fallback"),
    ],
)
def test_swipe_decision_forces_chip_and_falls_back_only_after_a_failed_chip_read(
    service_code: str, chip_read_failed: bool, decision: str, caplog: pytest.LogCaptureFixture
) -> None:
    t2 = Track2(Pan(PAN), "2806", ServiceCode(service_code), "")
    t1 = Track1(Pan(PAN), "ZHANG/SAN", "2806", ServiceCode(service_code), "")
    with caplog.at_level(logging.DEBUG):
        assert swipe_decision(t2, chip_read_failed) == decision
        assert swipe_decision(t1, chip_read_failed=chip_read_failed) == decision
    assert PAN not in caplog.text


def test_expiry_is_valid_through_the_end_of_its_month() -> None:
    t = parse_track2(F35)
    assert not t.is_expired(date(2028, 6, 30))
    assert t.is_expired(date(2028, 7, 1))
    assert not t.is_expired(date(2025, 1, 1))


def test_luhn() -> None:
    assert is_luhn_valid(PAN) and is_luhn_valid("4761739001010010") and is_luhn_valid("79927398713")
    assert not is_luhn_valid("79927398710") and not is_luhn_valid("") and not is_luhn_valid("7992739871x")
    assert luhn_check_digit("7992739871") == "3"
    assert Pan(PAN).luhn_ok and not Pan("6224242900000114").luhn_ok
    with pytest.raises(TrackError) as info:
        luhn_check_digit("12x4")
    assert info.value.position == 2


@pytest.mark.parametrize("bad", ["", "12345678901", "1" * 20, "62242429000001１3", "6224 2429 0000 0113"])
def test_pan_validates_its_digits(bad: str) -> None:
    with pytest.raises(TrackError) as info:
        Pan(bad)
    assert info.value.field == "pan"


def test_no_output_or_error_shows_the_pan(caplog: pytest.LogCaptureFixture) -> None:
    """Every repr, str, error message and log line from good and broken tracks, scanned for the PAN."""
    images = [T1_FULL, T2_FULL, F35, F35 + "F", T2_FULL[1:-2], T1_FULL[1:-2]]
    variants = set(images)
    for image in images:
        for i in range(len(image) + 1):
            variants |= {image[:i], image[:i] + image[i + 1 :]}
            variants |= {image[:i] + c + image[i + 1 :] for c in "~A:=^?%;D0"}
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        for text in sorted(variants):
            for parse in (parse_track1, parse_track2):
                try:
                    track = parse(text)
                except TrackError as exc:
                    texts += [str(exc), repr(exc), repr(exc.args)]
                else:
                    texts += [repr(track), str(track), f"{track}", repr(track.pan), track.pan.masked]
                    texts.append(swipe_decision(track, chip_read_failed=True))
        for bad in ("1" * 11, "1" * 20, PAN[:-1] + "x"):
            with pytest.raises(TrackError) as info:
                Pan(bad)
            texts.append(str(info.value))
    texts.append(caplog.text)
    assert len(texts) > 1000
    for text in texts:
        assert PAN not in text and PAN[:10] not in text and PAN[6:] not in text
