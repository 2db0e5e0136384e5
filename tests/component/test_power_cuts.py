"""A power cut at every step of a sale by chip: after the reboot the journal is consistent, nothing
approved is lost or counted twice, a reversal left pending goes out, and the day-end settlement balances
(issue 7: "the process killed at any step")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from terminal.scenario import ScenarioRunner

# where the power is cut -> how many approved sales the journal must hold after the reboot
CUT_POINTS = {
    "txn_amount": 0,  # nothing sent
    "txn_capture": 0,
    "txn_online": 0,  # entering the online step: the request has not left
    "request_sent": 0,  # the host approved, the outcome was never recorded: reversed at the next sign-on
    "txn_result": 1,  # the approval was recorded before the result showed: kept, its receipt offered
    "txn_receipt": 1,
    "idle": 1,  # the sale was over
}


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


@pytest.mark.parametrize(("cut", "approved_after"), CUT_POINTS.items())
def test_power_cut(cut: str, approved_after: int, tmp_path: Path) -> None:
    runner = ScenarioRunner(_doc(cut), data_dir=tmp_path)
    try:
        result = runner.run()
        journal = runner.terminal.journal
        rows = journal.batch_rows(1)
        report = runner.printer_text()
    finally:
        runner.built.devices.host.close()
        runner.terminal.journal.close()
    failures = [f for s in result["steps"] for f in s["failures"]]
    assert not failures, failures
    approved = [r for r in rows if r.state == "approved"]
    assert len(approved) == approved_after
    assert all(r.state in ("approved", "reversed") for r in rows)
    if cut == "request_sent":
        assert [r.state for r in rows] == ["reversed"]
    assert "对账平" in report  # balanced: the host and the terminal counted the same
