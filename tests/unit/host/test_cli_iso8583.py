"""``posemu iso8583 decode``: the real 0200, masking, JSON, the MAC check, and malformed input (exit 2)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from host.fields import Field60, Field63, encode_icc_data
from host.framing import frame, unframe
from host.keyblock import KeyBlock, wrap_key
from host.mac import X9_19, mac_message
from host.protocol import Message
from host.settlement import SettlementResult, SettlementTotals, Totals
from terminal.cli import main

SAMPLE_HEX = (Path(__file__).parents[2] / "data" / "cup_0200_sample.hex").read_text()
SAMPLE = bytes.fromhex(SAMPLE_HEX)
PAN = "6224242900000113"
TRACK_TAIL = "D28062013949031013"
PIN_BLOCK = "D1EEF419D0AE2609"
MAK = bytes.fromhex("2A3B4C5D6E7F8091")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["iso8583", "decode", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_decode_sample_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, SAMPLE_HEX)
    assert code == 0
    for text in (
        "length   426 (0x01AA)",
        "6000060000",
        "603100311003",
        "mti      0200",
        "702406C020C19A31",
        "622424******0113",
        "622424******0113D*****************",
        "Application Cryptogram",
        "95BBE372271DDA7C",
        "22 purchase",
        "contactless",
        "8F651B26",
        "<8 bytes hidden>",
    ):
        assert text in out, text
    assert PAN not in out and TRACK_TAIL not in out and PIN_BLOCK not in out


def test_reveal_shows_card_data(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--reveal", SAMPLE_HEX)
    assert code == 0
    assert PAN in out and PAN + TRACK_TAIL in out and PIN_BLOCK in out


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--json", SAMPLE_HEX)
    assert code == 0 and PAN not in out
    desc = json.loads(out)
    assert desc["length"] == 426 and desc["mti"] == "0200" and desc["bitmap"] == "702406C020C19A31"
    assert desc["tpdu"] == {"hex": "6000060000", "destination": "0006", "source": "0000"}
    assert desc["header"]["sub_version"] == "311003" and desc["header"]["processing_meaning"] == "none"
    fields = {f["field"]: f for f in desc["fields"]}
    assert fields[2]["value"] == "622424******0113"
    assert fields[4]["detail"] == {"fen": 1, "yuan": "0.01"}
    assert fields[22]["detail"] == {"method": "contactless", "pin": "pin_entered"}
    assert fields[55]["detail"][0] == {
        "tag": "9F26",
        "name": "Application Cryptogram",
        "value": "95BBE372271DDA7C",
    }
    assert fields[60]["detail"]["60.1"] == "22 purchase"
    assert fields[64]["value"] == "8F651B26"


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(SAMPLE_HEX))
    code, out, _ = _run(capsys, "-")
    assert code == 0 and "mti      0200" in out


def test_mac_ok_and_fail(capsys: pytest.CaptureFixture[str]) -> None:
    signed = frame(mac_message(unframe(SAMPLE), MAK)).hex()
    code, out, _ = _run(capsys, "--mac-key", MAK.hex(), signed)
    assert code == 0 and "mac      OK" in out
    code, out, _ = _run(capsys, "--mac-key", "00" * 8, signed)
    assert code == 1 and "mac      FAIL" in out
    code, out, _ = _run(capsys, "--json", "--mac-key", MAK.hex(), SAMPLE_HEX)  # the real MAK is unknown
    assert code == 1 and json.loads(out)["mac"]["ok"] is False
    key = bytes(range(16))
    x919 = frame(mac_message(unframe(SAMPLE), key, X9_19)).hex()
    code, out, _ = _run(capsys, "--mac-key", key.hex(), "--mac-alg", "x9.19", x919)
    assert code == 0 and "mac      OK  [x9.19]" in out
    code, out, _ = _run(capsys, "--mac-key", "0011", signed)  # a key of the wrong length is a FAIL too
    assert code == 1 and "length 2 bytes" in out


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (SAMPLE[:40] + b"\x0b" + SAMPLE[41:], "bad BCD at offset 40, field 4"),
        (SAMPLE[:24] + b"\x6a" + SAMPLE[25:], "bad BCD at offset 24, field 2"),
        (b"\x01\xab" + SAMPLE[2:], "length prefix says 427 bytes, 426 follow at offset 0"),
        (SAMPLE[:2] + b"\x61" + SAMPLE[3:], "TPDU does not start with 60 at offset 2"),
        (SAMPLE[:15] + b"\x78" + SAMPLE[16:], "undefined field at offset 15, field 5"),
        (SAMPLE[:13] + b"\x03" + SAMPLE[14:], "unknown MTI at offset 13"),
    ],
)
def test_malformed_exits_2_with_position(
    data: bytes, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, data.hex())
    assert code == 2
    assert message in err
    assert PAN not in out + err


def test_not_hex_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "01AA60XY")
    assert code == 2 and "not a hex digit at offset 3" in err


def test_sensitive_tags_and_track3_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    icc = encode_icc_data(
        [(0x5A, bytes.fromhex(PAN)), (0x57, bytes.fromhex(PAN + TRACK_TAIL)), (0x9F36, b"\x01")]
    )
    msg = Message(
        "0200",
        {2: PAN, 3: "000000", 11: "000001", 36: PAN + "D" + "1" * 40, 55: icc, 60: "22000001000600"},
    )
    wire = frame(msg).hex()
    for argv in ((wire,), ("--json", wire)):
        code, out, _ = _run(capsys, *argv)
        assert code == 0 and PAN not in out and "1" * 40 not in out
    code, out, _ = _run(capsys, "--reveal", wire)
    assert PAN in out


def test_structured_replies(capsys: pytest.CaptureFixture[str]) -> None:
    tmk = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    keys = KeyBlock(wrap_key(tmk, bytes(range(16))), wrap_key(tmk, bytes(range(16, 32)))).to_field()
    sign_on = Message("0810", {11: "000001", 39: "00", 41: "10000019", 60: "00000025004", 62: keys})
    totals = SettlementTotals(
        Totals(100, 1), Totals(), SettlementResult.NOT_BALANCED, SettlementResult.BALANCED
    )
    settle = Message("0510", {11: "000002", 39: "00", 48: totals.to_field(), 60: "00000025201"})
    reply = Message(
        "0210", {11: "000003", 39: "51", 60: Field60("22", 25).to_field(), 63: Field63("CUP").to_field()}
    )
    code, out, _ = _run(capsys, frame(sign_on).hex())
    assert code == 0 and "pik" in out and "check_value" in out and "004 sign-on" in out
    code, out, _ = _run(capsys, "--json", frame(settle).hex())
    detail = {f["field"]: f for f in json.loads(out)["fields"]}[48]["detail"]
    assert detail["domestic"]["result"] == "not_balanced" and detail["domestic"]["debit_fen"] == 100
    code, out, _ = _run(capsys, frame(reply).hex())
    assert "insufficient funds" in out and "CUP (UnionPay)" in out


def test_no_output_without_reveal_holds_the_pan(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for argv in ((SAMPLE_HEX,), ("--json", SAMPLE_HEX), ("--mac-key", MAK.hex(), SAMPLE_HEX)):
        outputs.append(_run(capsys, *argv))
    for i in range(0, len(SAMPLE), 7):  # every 7th byte flipped: errors and odd decodes alike
        outputs.append(_run(capsys, (SAMPLE[:i] + bytes((SAMPLE[i] ^ 0x5A,)) + SAMPLE[i + 1 :]).hex()))
    for code, out, err in outputs:
        assert code in (0, 1, 2)
        assert PAN not in out and PAN not in err
