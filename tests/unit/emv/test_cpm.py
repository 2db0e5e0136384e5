"""emv.cpm: the scanned payment-code table (DOMAIN_FACTS.md E) on every pattern's edges; masking."""

from __future__ import annotations

import pickle
import re

import pytest

from emv.cpm import CODE_FORMATS, PaymentCode, PaymentCodeError, Wallet, classify_code, mask_code
from emv.errors import EmvError

# The published patterns, verbatim: the table must agree with them on every edge below.
PATTERNS = {
    Wallet.WECHAT_PAY: re.compile(r"1[0-5][0-9]{16}"),
    Wallet.ALIPAY: re.compile(r"(2[5-9]|30)[0-9]{14,22}"),
    Wallet.UNIONPAY: re.compile(r"62[0-9]{17}"),
    Wallet.LAKALA: re.compile(r"8[12]0[0-9]{16}|8[12]2[0-9]{16}"),
}


def _code(prefix: str, length: int) -> str:
    return (prefix + "3141592653589793238462643383279")[:length]


def _edge_cases() -> list[tuple[str, Wallet | None]]:
    cases: list[tuple[str, Wallet | None]] = []
    prefixes = [f"{i:02d}" for i in range(100)] + [f"8{i:02d}" for i in range(100)]
    for prefix in prefixes:
        for length in range(14, 27):
            code = _code(prefix, length)
            wallets = [w for w, p in PATTERNS.items() if p.fullmatch(code)]
            assert len(wallets) <= 1
            cases.append((code, wallets[0] if wallets else None))
    return cases


def test_table_agrees_with_the_published_patterns_on_every_prefix_and_length() -> None:
    cases = _edge_cases()
    assert {w for _, w in cases} == {None, *Wallet}
    for code, wallet in cases:
        if wallet is None:
            with pytest.raises(PaymentCodeError):
                classify_code(code)
        else:
            assert classify_code(code).wallet is wallet, code


@pytest.mark.parametrize(
    ("code", "wallet"),
    [
        ("10" + "0" * 16, Wallet.WECHAT_PAY),
        ("15" + "9" * 16, Wallet.WECHAT_PAY),
        ("25" + "0" * 14, Wallet.ALIPAY),  # 16 digits, the shortest
        ("30" + "9" * 22, Wallet.ALIPAY),  # 24 digits, the longest
        ("62" + "0" * 17, Wallet.UNIONPAY),
        ("810" + "0" * 16, Wallet.LAKALA),
        ("812" + "0" * 16, Wallet.LAKALA),
        ("820" + "0" * 16, Wallet.LAKALA),
        ("822" + "9" * 16, Wallet.LAKALA),
    ],
)
def test_each_wallet_at_its_edges(code: str, wallet: Wallet) -> None:
    assert classify_code(code).wallet is wallet
    assert classify_code(code).digits == code


@pytest.mark.parametrize(
    ("code", "kind", "position"),
    [
        ("", "empty", 0),
        ("13456789012345678 ", "non_digit", 17),  # a scanner's trailing space
        ("1345678901234567\r\n", "non_digit", 16),
        ("13456789O12345678", "non_digit", 8),  # letter O
        ("１34567890123456789", "non_digit", 0),  # full-width digit
        ("16" + "0" * 16, "unknown_prefix", 0),
        ("09" + "0" * 16, "unknown_prefix", 0),
        ("24" + "0" * 14, "unknown_prefix", 0),
        ("31" + "0" * 14, "unknown_prefix", 0),
        ("61" + "0" * 17, "unknown_prefix", 0),
        ("63" + "0" * 17, "unknown_prefix", 0),
        ("811" + "0" * 16, "unknown_prefix", 0),
        ("830" + "0" * 16, "unknown_prefix", 0),
        ("9", "unknown_prefix", 0),
        ("8", "wrong_length", None),
        ("81", "wrong_length", None),
        ("13" + "0" * 15, "wrong_length", None),  # 17
        ("13" + "0" * 17, "wrong_length", None),  # 19
        ("28" + "0" * 13, "wrong_length", None),  # 15
        ("28" + "0" * 23, "wrong_length", None),  # 25
        ("62" + "0" * 16, "wrong_length", None),  # 18: a PAN-length code is not a payment code
        ("62" + "0" * 18, "wrong_length", None),
        ("810" + "0" * 15, "wrong_length", None),
        ("822" + "0" * 17, "wrong_length", None),
    ],
)
def test_rejections_say_why(code: str, kind: str, position: int | None) -> None:
    with pytest.raises(PaymentCodeError) as info:
        classify_code(code)
    assert (info.value.kind, info.value.position) == (kind, position)
    assert isinstance(info.value, EmvError) and isinstance(info.value, ValueError)
    digits = code.strip()
    if len(digits) >= 6:
        assert digits not in str(info.value) and digits[:6] not in str(info.value)


def test_wrong_length_message_names_the_wallet_and_its_lengths() -> None:
    with pytest.raises(PaymentCodeError, match="17 digits, but WeChat Pay codes have 18"):
        classify_code("13" + "0" * 15)
    with pytest.raises(PaymentCodeError, match="25 digits, but Alipay codes have 16 to 24"):
        classify_code("28" + "0" * 23)


def test_code_is_masked_in_repr_and_str() -> None:
    code = classify_code("134567890123456789")
    for text in (repr(code), str(code), f"{code}", repr([code])):
        assert "134567890123456789" not in text and "4567890" not in text
    assert code.masked == "13************6789"
    assert repr(code) == "PaymentCode(wallet='wechat_pay', code='13************6789')"
    assert mask_code("123") == "***"


def test_direct_construction_is_checked() -> None:
    assert PaymentCode(Wallet.UNIONPAY, "62" + "1" * 17) == classify_code("62" + "1" * 17)
    with pytest.raises(PaymentCodeError):
        PaymentCode(Wallet.ALIPAY, "62" + "1" * 17)


def test_error_pickles_and_formats() -> None:
    err = PaymentCodeError("non_digit", "non-digit character", 3)
    back = pickle.loads(pickle.dumps(err))
    assert (back.kind, back.reason, back.position) == ("non_digit", "non-digit character", 3)
    assert str(err) == "non-digit character at position 3"


def test_table_rows() -> None:
    assert [f.wallet for f in CODE_FORMATS] == list(Wallet)
    assert [w.label for w in Wallet] == ["WeChat Pay", "Alipay", "UnionPay", "Lakala"]
    assert CODE_FORMATS[1].lengths == "16 to 24" and CODE_FORMATS[0].lengths == "18"


def test_no_output_or_error_shows_the_code() -> None:
    """Every repr, str and error message from good and broken codes, scanned for the code's digits."""
    codes = ["134567890123456789", "2845678901234567890", "6212345678901234567", "8201234567890123456"]
    texts: list[str] = []
    for code in codes:
        variants = {code}
        for i in range(len(code) + 1):
            variants |= {
                code[:i],
                code[:i] + code[i + 1 :],
                code[:i] + "x" + code[i + 1 :],
                code[:i] + "7" + code[i:],
            }
        for variant in sorted(variants):
            try:
                result = classify_code(variant)
            except PaymentCodeError as exc:
                texts += [str(exc), repr(exc), repr(exc.args)]
            else:
                texts += [repr(result), str(result), f"{result}", result.masked]
        for text in texts:
            assert code not in text and code[:8] not in text and code[2:-4] not in text
    assert len(texts) > 200
