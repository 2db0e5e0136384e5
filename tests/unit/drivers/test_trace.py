"""TracedReader: headers, status words and lengths; bodies only when asked and always redacted."""

from __future__ import annotations

import logging

import pytest

from drivers.trace import TracedReader, describe_command, redact_body
from drivers.virtual.reader import VirtualReader

RECORD = bytes.fromhex(
    "702C57116224242900000113D280620139490310135A0862242429000001135F24032806305F2006414243444546"
)


class _Card:
    atr = bytes.fromhex("3B00")

    def transmit(self, c: bytes) -> bytes:
        return RECORD + b"\x90\x00"


@pytest.mark.parametrize("bodies", [False, True])
def test_no_pan_in_the_trace(bodies: bool, caplog: pytest.LogCaptureFixture) -> None:
    inner = VirtualReader("pcsc://0")
    inner.insert(_Card())
    traced = TracedReader(inner, bodies=bodies)
    traced.power_on(0.1)
    with caplog.at_level(logging.DEBUG, logger="drivers.trace"):
        assert traced.transmit(bytes.fromhex("00B2010C00")) == RECORD + b"\x90\x00"
    assert "00 B2 01 0C Lc=0 Le=00 -> 9000, 46 data bytes" in caplog.text
    assert "6224242900000113" not in caplog.text and "414243444546" not in caplog.text
    assert ("5A08****************" in caplog.text) is bodies


def test_redact_body_and_describe() -> None:
    assert redact_body(b"\x01") is None
    assert describe_command(bytes.fromhex("00A4")) == "malformed command of 2 bytes"
