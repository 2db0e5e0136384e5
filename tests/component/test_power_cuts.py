"""A power cut at every step of a sale by chip: after the reboot the journal is consistent, nothing
approved is lost or counted twice, a reversal left pending goes out, and the day-end settlement balances
(issue 7: "the process killed at any step")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from terminal.scenario import ScenarioRunner

CUT_POINTS = [
    "txn_amount", "txn_capture", "txn_online", "request_sent", "txn_result", "txn_receipt", "idle",
]  # fmt: skip


def _doc(cut: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [
        {"power_on": True},
        {"activate": True},
        {"login": "01/0000", "expect_screen": "idle"},
        {"power_cut": cut},
        {"keys": "OK 1000 OK"},
        {"insert": "pboc-sda"},
        {"keys": "123456 OK"},
        {"remove": True},
        {"power_on": True},
        {"login": "01/0000", "expect_screen": "idle", "expect_journal": {"pending_reversals": 0}},
        {"keys": "MENU F1 OK", "expect_seen": ["settle_report"], "expect_journal": {"batch": 2}},
    ]
    return {"name": f"power cut at {cut}", "start": "2026-11-26T10:00:00", "step": steps}


@pytest.mark.parametrize("cut", CUT_POINTS)
def test_power_cut(cut: str, tmp_path: Path) -> None:
    runner = ScenarioRunner(_doc(cut), data_dir=tmp_path)
    try:
        result = runner.run()
        journal = runner.terminal.journal
        rows = journal.batch_rows(1)
        report = runner.printer_text()
    finally:
        runner.built.devices.host.close()
        runner.terminal.journal.close()
    # power_on is a no-op when the cut never happened (the terminal stays up): only the settlement matters
    failures = [f for s in result["steps"] for f in s["failures"] if "power_on" not in s["action"]]
    assert not failures, failures
    approved = [r for r in rows if r.state == "approved"]
    assert len(approved) <= 1
    assert all(r.state in ("approved", "reversed", "failed", "declined") for r in rows)
    assert "对账平" in report  # balanced: the host and the terminal counted the same
