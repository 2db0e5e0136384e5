"""drivers.pcsc without pcscd: T=0 response rules and reader choice."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from drivers import pcsc
from drivers.errors import BadDeviceUrl, DeviceNotFound


def _script(pairs: dict[str, str]) -> tuple[list[str], object]:
    sent: list[str] = []

    def exchange(c: bytes) -> bytes:
        sent.append(c.hex().upper())
        return bytes.fromhex(pairs[c.hex().upper()])

    return sent, exchange


@pytest.mark.parametrize(
    ("command", "script", "result", "sent_count"),
    [
        ("00A4040000", {"00A4040000": "9000"}, "9000", 1),
        ("00B2010C00", {"00B2010C00": "6C10", "00B2010C10": "70025A009000"}, "70025A009000", 2),
        (
            "80CA9F3600",
            {"80CA9F3600": "6102", "00C0000002": "00016103", "00C0000003": "0203049000"},
            "00010203049000",
            3,
        ),
        ("80CA9F3600", {"80CA9F3600": "AA6102", "00C0000002": "BB9000"}, "AABB9000", 2),
        ("00A404000101", {"00A404000101": "6C05", "00A40400010105": "6A82"}, "6A82", 2),
        ("00B2010C00", {"00B2010C00": "6A83"}, "6A83", 1),
    ],
)
def test_t0_rules(command: str, script: dict[str, str], result: str, sent_count: int) -> None:
    sent, exchange = _script(script)
    assert pcsc.transmit_t0(exchange, bytes.fromhex(command)).hex().upper() == result  # type: ignore[arg-type]
    assert len(sent) == sent_count


def test_a_card_answering_61xx_forever_is_bounded() -> None:
    calls = []

    def exchange(c: bytes) -> bytes:
        calls.append(c)
        return b"\x61\x01"

    assert pcsc.transmit_t0(exchange, bytes.fromhex("80CA9F3600")) == b"\x61\x01"
    assert len(calls) == pcsc.MAX_RESPONSE_ROUNDS + 1


class _FakeReader:
    def __init__(self, url: str, name: str) -> None:
        self.url, self.reader_name = url, name


@pytest.mark.parametrize(
    ("url", "chosen"),
    [
        ("pcsc://", "ACS ACR39U 00 00"),
        ("pcsc://1", "Identiv uTrust 00 00"),
        ("pcsc://?name=utrust", "Identiv uTrust 00 00"),
    ],
)
def test_reader_choice(monkeypatch: pytest.MonkeyPatch, url: str, chosen: str) -> None:
    monkeypatch.setattr(pcsc, "list_readers", lambda url="": ["ACS ACR39U 00 00", "Identiv uTrust 00 00"])
    monkeypatch.setattr(pcsc, "PcscReader", _FakeReader)
    reader = pcsc.open_reader(urlsplit(url))
    assert reader.reader_name == chosen and reader.url == url  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("pcsc://5", DeviceNotFound),
        ("pcsc://?name=omnikey", DeviceNotFound),
        ("pcsc://x", BadDeviceUrl),
        ("pcsc://?nom=a", BadDeviceUrl),
    ],
)
def test_reader_choice_errors(monkeypatch: pytest.MonkeyPatch, url: str, error: type[Exception]) -> None:
    monkeypatch.setattr(pcsc, "list_readers", lambda url="": ["ACS ACR39U 00 00"])
    with pytest.raises(error):
        pcsc.open_reader(urlsplit(url))
