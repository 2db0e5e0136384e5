"""The load generator runs end to end on a tiny load (a smoke test: the figures come from a real run)."""

from __future__ import annotations

import pytest

from bench import host_bench


def test_tiny_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        host_bench.main(["--connections", "2", "--seconds", "0.5", "--rate", "40", "--max-requests", "20"])
        == 0
    )
    out = capsys.readouterr().out
    assert "paced 40/s" in out and "closed loop" in out and "0 failed" in out
    assert "bare pyiso8583 encode+decode" in out
