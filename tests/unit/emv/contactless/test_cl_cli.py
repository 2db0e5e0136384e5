"""``posemu emv run --contactless --card PROFILE [--amount N] [--json]``: output, JSON, errors, no PAN."""

from __future__ import annotations

import json

import pytest

from emv.cards.contactless import list_contactless_profiles, load_contactless_profile
from terminal.cli import main
from terminal.commands.emv import run_tap


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["emv", "run", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--contactless", "--list")
    assert code == 0 and out.split() == list_contactless_profiles()


@pytest.mark.parametrize("profile", list_contactless_profiles())
def test_every_profile_prints_without_its_pan(capsys: pytest.CaptureFixture[str], profile: str) -> None:
    code, out, _ = _run(capsys, "--contactless", "--card", profile, "--amount", "150000")
    assert code == 0 and "outcome" in out and "removable   after card command" in out
    assert load_contactless_profile(profile).profile.pan not in out


def test_text_output_of_an_online_tap(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--contactless", "--card", "qpboc-debit", "--amount", "150000")
    lines = out.splitlines()
    assert code == 0
    assert "outcome     approved_online (approved online)" in lines
    assert "kernel      qPBOC" in lines and "issuer      00 (ARQC verified)" in lines
    assert "tvr         8000040000" in lines and "cvm         online PIN" in lines
    assert "removable   after card command 6 of 6, before the online request" in lines
    assert lines[-1].endswith("<- card may be removed")


def test_json_of_a_see_phone_tap(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--contactless", "--card", "qvsdc-cdcvm", "--amount", "150000", "--json")
    data = json.loads(out)
    assert code == 0 and data["contactless"]
    assert [t["outcome"] for t in data["taps"]] == ["terminated", "go_online"]
    assert data["taps"][0]["ui_message"] == "See phone for instructions"
    assert (data["outcome"], data["cvm"], data["cvm_results"]) == ("approved_online", "CDCVM", "010002")


def test_over_the_limit_and_host_down(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--contactless", "--card", "qpboc-debit", "--amount", "600000")
    assert code == 0 and "try_another_interface" in out and "no card command was sent" in out
    summary = run_tap("c2", 50000, "00", host_up=False)
    assert (summary["first_outcome"], summary["outcome"]) == ("go_online", "declined_offline")
    declined = run_tap("qpboc-debit", 50000, "51", host_up=True)
    assert (declined["outcome"], declined["issuer"]["response_code"]) == ("declined_online", "51")


def test_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "--contactless", "--card", "visa-cda")
    assert code != 0 and "--contactless --list" in err
    code, _, err = _run(capsys, "--contactless")
    assert code != 0 and "give --card" in err
    code, _, err = _run(capsys, "--contactless", "--card", "qvsdc", "--amount", "-5")
    assert code != 0 and "non-negative" in err
