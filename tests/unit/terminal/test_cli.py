"""The posemu command line: tlv and run, exit codes, masking."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from terminal.cli import main

RECORD = "702757116224242900000113D280620139490310135A0862242429000001135F24032806305F340101"
PAN = "6224242900000113"


def test_tlv_text_masks_pan_and_track(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tlv", RECORD]) == 0
    out = capsys.readouterr().out
    assert "Application Primary Account Number (PAN)" in out
    assert "622424******0113" in out
    assert PAN not in out and "D2806201394903" not in out


def test_tlv_reveal_shows_pan(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tlv", "--reveal", RECORD]) == 0
    assert PAN in capsys.readouterr().out


def test_tlv_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tlv", "--json", "9F02 06 000000000100 70 03 9F3600"]) == 0
    tree = json.loads(capsys.readouterr().out)
    assert tree[0] == {
        "tag": "9F02",
        "name": "Amount, Authorised (Numeric)",
        "length": 6,
        "value": "000000000100",
        "hex": "000000000100",
    }
    assert tree[1]["tag"] == "70" and tree[1]["children"][0]["tag"] == "9F36"
    assert main(["tlv", "--json", RECORD]) == 0
    assert PAN not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("9F0206000000", "value overruns its template at offset 0, tag 9F02"),
        ("9F02XY", "not a hex digit at offset 2"),
        ("9F020", "odd number of hex digits at offset 2"),
    ],
)
def test_tlv_malformed_exits_2_with_position(
    arg: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tlv", arg]) == 2
    assert message in capsys.readouterr().err


def test_tlv_reads_stdin_in_a_real_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "terminal.cli", "tlv", "-"],
        input="5A08 " + PAN,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "622424******0113" in proc.stdout and PAN not in proc.stdout


def test_run_plays_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and "MERCHANT COPY" in out and "476173******0010" in out
    assert "4761739001010010" not in out
