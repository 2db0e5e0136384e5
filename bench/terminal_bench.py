"""The terminal as a merchant sees it: boot to idle, memory, and end-to-end sales.

- Boot: a cold process builds the terminal on an activated journal, runs the self-test, logs in and signs
  on to the host simulator over TCP, and reaches idle; the wall time and the RSS after boot (ru_maxrss).
- Sale: a headless sale by chip (visa-cda: CDA, online PIN, ARQC checked by the host, ARPC, second
  GENERATE AC), over TCP to the simulator running in its own process, with the journal's durable
  commits and both receipts rendered by the virtual printer; median and sales/s for one terminal.

Targets (issue 7): boot <= 0.6 s, RSS <= 80 MB, sale <= 20 ms median. Printed, never asserted.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_BOOT = r"""
import sys, time
start = time.perf_counter()
from config.load import load_toml
from terminal.scenario import ScenarioRunner
from pathlib import Path
doc = {"settings": {"devices": {"host": sys.argv[2]}},
       "step": [{"power_on": True}, {"login": "01/0000", "expect_screen": "idle"}]}
runner = ScenarioRunner(doc, data_dir=Path(sys.argv[1]))
result = runner.run()
elapsed = time.perf_counter() - start
# VmRSS from /proc, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would count the parent's memory
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
rss_mb = int(status["VmRSS"].split()[0]) / 1024
print(f"{elapsed} {rss_mb} {result['passed']}")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_host(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "terminal.cli", "host", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the host simulator did not start")


def _activate(data_dir: Path, host_url: str) -> None:
    from terminal.scenario import ScenarioRunner

    doc: dict[str, Any] = {
        "settings": {"devices": {"host": host_url}},
        "step": [{"power_on": True}, {"activate": True}, {"login": "01/0000", "expect_screen": "idle"}],
    }
    runner = ScenarioRunner(doc, data_dir=data_dir)
    passed = runner.run()["passed"]
    runner.close()
    if not passed:
        raise RuntimeError("activation failed")


def _sales(host_url: str, count: int) -> list[float]:
    from terminal.scenario import ScenarioRunner

    steps: list[dict[str, Any]] = [{"power_on": True}, {"activate": True}, {"login": "01/0000"}]
    for k in range(count):
        amount = 1000 + k
        steps += [{"keys": f"OK {amount} OK"}, {"insert": "visa-cda"}, {"keys": "1234 OK"}, {"remove": True}]
    runner = ScenarioRunner({"settings": {"devices": {"host": host_url}}, "step": steps})  # its own folder
    times: list[float] = []
    original = runner.run_step
    started: list[float] = []

    def timed(step: dict[str, Any]) -> None:
        if step.get("keys", "").startswith("OK ") and runner.index > 3:
            started.append(time.perf_counter())
        original(step)
        if "remove" in step:
            printer: Any = runner.built.devices.printer
            printer.render_text()  # the receipts rendered as the merchant would see them, then torn off
            printer.clear()
            times.append(time.perf_counter() - started[-1])

    runner.run_step = timed  # type: ignore[method-assign]
    runner.printer_text = lambda: ""  # type: ignore[method-assign]  # the harness's re-render, not the terminal's
    result = runner.run()
    runner.close()
    if not result["passed"]:
        raise RuntimeError(json.dumps([s for s in result["steps"] if s["failures"]])[:500])
    return times


def main(boots: int = 5, sales: int = 60) -> None:
    port = _free_port()
    host = _start_host(port)
    url = f"tcp://127.0.0.1:{port}"
    scratch = tempfile.TemporaryDirectory(prefix="posemu-boot-")
    try:
        data_dir = Path(scratch.name)
        _activate(data_dir, url)
        boot_times, rss = [], []
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        for _ in range(boots):
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", _BOOT, str(data_dir), url], capture_output=True,
                                 text=True, env=env, check=True, timeout=60)  # fmt: skip
            wall = time.perf_counter() - start
            _inside, rss_mb, passed = out.stdout.split()
            if passed != "True":
                raise RuntimeError("boot did not reach idle")
            boot_times.append(wall)
            rss.append(float(rss_mb))
        boot = statistics.median(boot_times)
        print(
            f"terminal boot to idle (cold process, sign-on over TCP): median {boot:.3f} s "
            f"(min {min(boot_times):.3f}); RSS after boot {statistics.median(rss):.1f} MB"
        )
        times = _sales(url, sales)
        warm = times[5:] or times
        med = statistics.median(warm)
        print(
            f"terminal sale by chip (CDA, online PIN, TCP host, journal, receipts rendered): "
            f"median {med * 1e3:.1f} ms, {1 / med:.0f} sales/s for one terminal ({len(warm)} sales)"
        )
    finally:
        host.terminate()
        host.wait(timeout=10)
        scratch.cleanup()


if __name__ == "__main__":
    main()
