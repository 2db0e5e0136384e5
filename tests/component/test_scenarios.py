"""Every shipped scenario (terminal/scenarios/*.toml) runs the whole terminal headless on virtual devices
and the in-process host simulator, and every expectation holds. Nothing shown, printed, logged or
journalled holds a full PAN."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from config.load import load_toml
from emv.cards import list_profiles, load_profile
from terminal.scenario import ScenarioRunner

SCENARIOS = sorted((Path(__file__).parents[2] / "terminal" / "scenarios").glob("*.toml"))
PANS = {load_profile(name).pan for name in list_profiles()}


def test_every_flow_has_a_scenario() -> None:
    names = {p.stem for p in SCENARIOS}
    flows = (
        "sale_chip", "void", "refund", "balance", "preauth_completion", "qr_show", "qr_scan",
        "swipe_fallback", "settle_balanced", "settle_unbalanced", "reprint_signoff", "activation",
        "host_timeout", "reversal_kept", "bad_mac", "decline", "card_removed", "paper_out",
        "power_cut_online", "power_cut_receipt", "low_battery", "login_lockout", "timeout_amount",
        "pin_cancel", "partial_approval",
    )  # fmt: skip
    assert set(flows) <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    runner = ScenarioRunner(load_toml(path), data_dir=tmp_path)
    try:
        result = runner.run()
        printed = runner.printer_text()
    finally:
        runner.built.devices.host.close()
        runner.terminal.journal.close()
    failures = [f"step {s['step']} ({s['action']}): {f}" for s in result["steps"] for f in s["failures"]]
    assert result["passed"], "\n".join(failures)
    shown = "\n".join("\n".join(s.text("en") + s.text("zh_CN")) + str(s.data) for s in runner.display.screens)
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for pan in PANS:
        assert pan not in caplog.text, "a PAN in the logs"
        assert pan not in shown, "a PAN on a screen"
        assert pan not in printed, "a PAN on a receipt"
        assert pan.encode() not in stored, "a PAN in the journal files"
