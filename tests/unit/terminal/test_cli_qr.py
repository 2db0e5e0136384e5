"""posemu qr decode|encode: names ID by ID, JSON, exit 2 with reason and position, PNG through segno."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from emv.qr import decode_mpm
from terminal.cli import main

VECTOR = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN"
    "5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603"
    "***0708A60086670902ME91320016A0112233449988770708123456786304A13A"
)
ENCODE = ["qr", "encode", "--merchant", "BEST TRANSPORT", "--city", "BEIJING", "--mcc", "5812"]


def test_decode_prints_every_object_with_its_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qr", "decode", VECTOR]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["00", "Payload", "Format", "Indicator", "01"]
    assert [line[:2] for line in lines if not line.startswith(" ")] == [
        "00", "01", "29", "31", "52", "58", "59", "60", "64", "54", "53", "55", "62", "91", "63",
    ]  # fmt: skip
    text = "\n".join(lines)
    assert "Merchant Name - Alternate Language" in text and "最佳运输" in text
    assert "23.72 (2372 minor units, exponent 2)" in text
    assert "    09  Additional Consumer Data Request" in text
    assert lines[-1].split() == ["63", "CRC", "A13A", "(checked)"]


def test_decode_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qr", "decode", "--json", VECTOR]) == 0
    out = json.loads(capsys.readouterr().out)
    fields = out["fields"]
    assert (fields["amount_minor"], fields["currency_n"], fields["crc"], fields["dynamic"]) == (
        2372,
        156,
        "A13A",
        True,
    )
    assert fields["accounts"][0] == {
        "id": "29",
        "gui": "D15600000000",
        "value": "0012D156000000000510A93FO3230Q",
    }
    language = next(o for o in out["objects"] if o["id"] == "64")
    assert language["objects"][1] == {
        "id": "01",
        "name": "Merchant Name - Alternate Language",
        "value": "最佳运输",
    }
    assert out["objects"][-1] == {"id": "63", "name": "CRC", "value": "A13A"}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (VECTOR[:-4] + "A13B", "CRC mismatch at position 244, ID 63"),
        (VECTOR[:-8], "missing CRC at position 240, ID 63"),
        (VECTOR.replace("5204", "52X4", 1), "length is not two decimal digits 01-99 at position 80, ID 52"),
        ("hello", "ID is not two decimal digits at position 0"),
        ("000201010", "truncated data object at position 6"),
    ],
)
def test_decode_bad_payload_exits_2_with_reason_and_position(
    payload: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["qr", "decode", payload]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and f"posemu qr: {message}" in captured.err


def test_decode_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(VECTOR + "\n"))
    assert main(["qr", "decode", "-"]) == 0
    assert "(checked)" in capsys.readouterr().out


def _posemu(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "terminal.cli", *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=60,
        env=env,
    )


def test_decode_stdin_utf8_in_a_real_process() -> None:
    proc = _posemu("qr", "decode", "-", stdin=(VECTOR + "\r\n").encode("utf-8"))
    assert proc.returncode == 0, proc.stderr
    assert "最佳运输" in proc.stdout.decode("utf-8")
    proc = _posemu("qr", "decode", "-", stdin=b"000201\xff\xfe")
    assert proc.returncode == 2
    assert b"input is not UTF-8 (byte position) at position 6" in proc.stderr


def test_encode_prints_a_payload_that_decodes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ENCODE, "--amount", "2372"]) == 0
    payload = capsys.readouterr().out.strip()
    mpm = decode_mpm(payload)
    assert (mpm.amount_minor, mpm.mcc, mpm.merchant_name, mpm.is_dynamic) == (
        2372,
        "5812",
        "BEST TRANSPORT",
        True,
    )
    assert "540523.72" in payload and payload.startswith("000201010212")
    assert [a.id for a in mpm.accounts] == ["29"]  # the demo UnionPay template


def test_encode_static_with_accounts_and_languages(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        *ENCODE,
        "--static",
        "--account",
        "31",
        "00=D15600000001",
        "03=12345678",
        "--account",
        "15",
        "UPI-1",
    ]
    args += ["--alt-name", "最佳运输", "--alt-city", "北京", "--reference", "***", "--postcode", "100000"]
    assert main(args) == 0
    mpm = decode_mpm(capsys.readouterr().out.strip())
    assert mpm.initiation == "11" and mpm.amount_minor is None
    assert [(a.id, a.gui) for a in mpm.accounts] == [("15", None), ("31", "D15600000001")]
    assert mpm.language is not None and (mpm.language.merchant_name, mpm.language.merchant_city) == (
        "最佳运输",
        "北京",
    )
    assert mpm.additional is not None and mpm.additional.reference_label == "***"
    assert mpm.postal_code == "100000"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--account", "29", "05=X"],
            "template account without its globally unique identifier 00=... (ID 29)",
        ),
        (["--account", "29", "00"], "template account values are SUB=VALUE with a two-digit SUB (ID 29)"),
        (["--account", "15", "A", "B"], "a primitive account (02-25) takes exactly one value (ID 15)"),
        (["--account", "52", "X"], "merchant account ID outside 02-51 (ID 52)"),
        (["--merchant", "最佳运输"], "not printable ASCII (format ans) (ID 59)"),
        (["--amount", "0"], "amount must be positive (ID 54)"),
        (["--mcc", "58"], "not 4 decimal digits (ID 52)"),
    ],
)
def test_encode_bad_values_exit_2(extra: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ENCODE, *extra]) == 2
    assert f"posemu qr: {message}" in capsys.readouterr().err


def test_encode_png_with_segno(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("segno")
    out = tmp_path / "qr.png"
    assert main([*ENCODE, "--amount", "100", "--alt-name", "最佳运输", "--png", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert decode_mpm(capsys.readouterr().out.strip()).amount_minor == 100


def test_encode_png_without_segno_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "segno", None)  # import segno now raises ModuleNotFoundError
    out = tmp_path / "qr.png"
    assert main([*ENCODE, "--png", str(out)]) == 1
    assert "missing package segno" in capsys.readouterr().err
    assert not out.exists()


def test_help_lists_qr(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "qr" in capsys.readouterr().out
