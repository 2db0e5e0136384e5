"""Hypothesis: emv.qr decodes any text, random or a mutated payload, to an Mpm or a QrError and never
another exception; generated MPMs (non-ASCII names included) round-trip; scanned codes classify or raise
PaymentCodeError, and no repr or error shows a code."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from emv.cpm import PaymentCodeError, classify_code
from emv.qr import (
    AdditionalData,
    LanguageTemplate,
    MerchantAccount,
    Mpm,
    QrError,
    build_mpm,
    decode_mpm,
    encode_mpm,
    with_crc,
)

VECTOR = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN"
    "5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603"
    "***0708A60086670902ME91320016A0112233449988770708123456786304A13A"
)
SIMPLE = (
    "00020101021229300012D156000000000510A93FO3230Q52045812530315654041.005802CN5906SHOP 16007SHANGHAI"
    "62070503REF"
)

_ans = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_unicode = st.characters(blacklist_categories=["Cs"])  # any code point UTF-8 can encode
_payload_chars = st.one_of(st.sampled_from("0123456789"), _ans, _unicode)


def _decodes_or_qr_error(payload: str) -> Mpm | None:
    try:
        mpm = decode_mpm(payload)
    except QrError as exc:
        assert exc.position is None or 0 <= exc.position <= len(payload)
        return None
    assert encode_mpm(mpm) == payload  # whatever decodes re-encodes byte-identical
    return mpm


@given(st.text(_payload_chars, max_size=300))
def test_random_text_gives_an_mpm_or_a_qr_error(text: str) -> None:
    _decodes_or_qr_error(text)


@given(st.text(max_size=300))
def test_any_unicode_text_including_surrogates_gives_an_mpm_or_a_qr_error(text: str) -> None:
    _decodes_or_qr_error(text)


@st.composite
def _mutations(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from([VECTOR, with_crc(SIMPLE)]))
    body = base[:-8]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["replace", "delete", "insert", "swap", "truncate", "duplicate"]))
        if not body:
            body = draw(_payload_chars)
        i = draw(st.integers(0, len(body) - 1))
        if kind == "replace":
            body = body[:i] + draw(_payload_chars) + body[i + 1 :]
        elif kind == "delete":
            body = body[:i] + body[i + 1 :]
        elif kind == "insert":
            body = body[:i] + draw(_payload_chars) + body[i:]
        elif kind == "swap":
            j = draw(st.integers(0, len(body) - 1))
            body = body[:i] + body[j] + body[i + 1 :] if i != j else body
        elif kind == "truncate":
            body = body[:i]
        else:
            j = draw(st.integers(i, min(len(body), i + 20)))
            body = body[:j] + body[i:j] + body[j:]
    if draw(st.booleans()):
        return body + base[-8:]  # the old CRC: nearly always a CRC error
    return with_crc(body)  # a fresh CRC: the mutation reaches the structural and field checks


@settings(max_examples=500)
@given(_mutations())
def test_mutated_payloads_give_an_mpm_or_a_qr_error(payload: str) -> None:
    _decodes_or_qr_error(payload)


@given(st.lists(st.tuples(st.integers(0, 99), st.text(_payload_chars, min_size=1, max_size=30)), max_size=12))
def test_well_framed_random_objects_give_an_mpm_or_a_qr_error(objects: list[tuple[int, str]]) -> None:
    body = "".join(f"{oid:02d}{len(v):02d}{v}" for oid, v in objects)
    _decodes_or_qr_error(with_crc("000201" + body))


# --- round trip of generated MPMs ----------------------------------------------------------------------


def _ans_text(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.text(_ans, min_size=lo, max_size=hi)


def _sub_ids(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(lambda i: f"{i:02d}")


@st.composite
def _accounts(draw: st.DrawFn) -> list[MerchantAccount]:
    ids = draw(st.lists(st.integers(2, 51), min_size=1, max_size=3, unique=True))
    accounts = []
    for i in ids:
        oid = f"{i:02d}"
        if i <= 25:
            accounts.append(MerchantAccount(oid, draw(_ans_text(1, 40))))
        else:
            fields = draw(
                st.lists(st.tuples(_sub_ids(1, 99), _ans_text(1, 15)), max_size=3, unique_by=lambda f: f[0])
            )
            accounts.append(MerchantAccount.template(oid, draw(_ans_text(1, 32)), *fields))
    return accounts


_additional = st.builds(
    AdditionalData,
    bill_number=st.none() | _ans_text(1, 25),
    store_label=st.none() | _ans_text(1, 10),
    reference_label=st.none() | st.just("***"),
    terminal_label=st.none() | _ans_text(1, 8),
    consumer_data_request=st.none() | st.sampled_from(["A", "ME", "EAM"]),
)
_language = st.builds(
    LanguageTemplate,
    language=st.sampled_from(["ZH", "EN", "JA"]),
    merchant_name=st.text(_unicode, min_size=1, max_size=25),
    merchant_city=st.none() | st.text(_unicode, min_size=1, max_size=15),
)


@st.composite
def _mpm_args(draw: st.DrawFn) -> dict[str, object]:
    currency = draw(st.sampled_from([156, 392, 48, 840]))
    tip = draw(st.sampled_from([None, "01", "02", "03"]))
    return {
        "merchant_name": draw(_ans_text(1, 25)),
        "merchant_city": draw(_ans_text(1, 15)),
        "mcc": draw(st.text(st.sampled_from("0123456789"), min_size=4, max_size=4)),
        "accounts": draw(_accounts()),
        "currency_n": currency,
        "amount_minor": draw(st.none() | st.integers(1, 10**10)),
        "dynamic": draw(st.booleans()),
        "country": draw(st.sampled_from(["CN", "HK", "JP", "SG"])),
        "postal_code": draw(st.none() | _ans_text(1, 10)),
        "tip_indicator": tip,
        "fee_fixed_minor": draw(st.integers(1, 10**6)) if tip == "02" else None,
        "fee_percentage_bp": draw(st.integers(1, 9999)) if tip == "03" else None,
        "additional": draw(st.none() | _additional.filter(lambda a: bool(a.objects()))),
        "language": draw(st.none() | _language),
    }


FIELDS = (
    "merchant_name", "merchant_city", "mcc", "currency_n", "amount_minor", "country", "postal_code",
    "tip_indicator", "fee_fixed_minor", "fee_percentage_bp", "additional", "language",
)  # fmt: skip


@settings(max_examples=300)
@given(_mpm_args())
def test_build_then_decode_round_trips(args: dict[str, object]) -> None:
    try:
        payload = build_mpm(**args)  # type: ignore[arg-type]
    except QrError as exc:
        assume(exc.reason.startswith("value of"))  # a template grown past 99 characters: not a case
        raise
    mpm = decode_mpm(payload)
    assert encode_mpm(mpm) == payload
    for name in FIELDS:
        assert getattr(mpm, name) == args[name], name
    assert mpm.is_dynamic == args["dynamic"]
    wanted = sorted(args["accounts"], key=lambda a: a.id)  # type: ignore[call-overload]
    assert list(mpm.accounts) == wanted


# --- scanned codes -----------------------------------------------------------------------------------


@given(st.one_of(st.text(max_size=30), st.text(st.sampled_from("0123456789"), max_size=30)))
def test_any_scanned_text_classifies_or_raises_payment_code_error(code: str) -> None:
    try:
        result = classify_code(code)
    except PaymentCodeError as exc:
        if len(code) >= 6:
            assert code not in str(exc)
        return
    assert result.digits == code
    assert code not in repr(result) and code not in str(result) and code[2:-4] not in repr(result)
