"""Scripted scenarios: drive a headless terminal on virtual devices and the in-process host, check what
it shows, prints and journals (issue 7 item 5; the HIL rig's workhorse).

A scenario is a TOML file: a name, optional ``[settings]`` overrides (table -> key -> value, as in
``posemu.toml``), and ``[[step]]`` entries, each with one action and any expectations, run in order:

================================  =====================================================================
``power_on = true``               boot (self-test, then activation or login)
``keys = "01 OK"``                key presses; a run of digits is typed digit by digit
``login = "01/0000"``             shorthand: operator number, password, each followed by OK
``activate = true``               shorthand: the registered MID and TID, then OK to confirm
``insert = "visa-cda"``           insert a virtual card (a profile of ``posemu emv run --list``, or
                                  ``unreadable``: a chip whose applications cannot be selected)
``remove_when_answered = true``   the card is pulled out as soon as the host answers the next request
``remove = true``                 remove the card
``tap = "qpboc-debit"``           tap a virtual contactless card (``posemu emv run --contactless --list``)
``swipe = "pboc-sda"``            swipe the magstripe image of a virtual card
``swipe_raw = "..."``             raw bytes from the magstripe reader (garbled reads)
``scan = "134567890123456789"``   a code read by the scanner
``wait = 61``                     the clock moves on (timeouts, QR polling)
``host_fault = {action=..,..}``   a simulator fault rule (``no_answer``, ``delay``, ``close``, ``garble``,
                                  ``bad_mac``, ``respond`` with ``response_code``; match by ``amount``,
                                  ``mti``..)
``clear_faults = true``           remove the fault rules
``wallet_pay = true``             the customer's wallet pays the QR order on screen
``paper = "out"``                 the printer runs out of paper (``ok`` to reload)
``battery = 5``                   battery level in percent
``power_cut = "STATE"``           cut the power when the terminal next enters STATE (or
                                  ``request_sent``: after the host answered, before the outcome is
                                  recorded); the terminal boots again on the same journal
================================  =====================================================================

Expectations, checked after the step's action: ``expect_screen`` (the current screen id),
``expect_seen`` (ids shown during the step), ``expect_fact`` (facts of the latest screen of the step
that shows them), ``expect_state``, ``expect_receipt`` (strings in the printed text since the step
began), ``expect_no_receipt``, ``expect_journal`` (``last_state``, ``last_kind``, ``pending_reversals``,
``approved``: count in the current batch, ``unprinted``, ``batch``, ``saf``: the store-and-forward
queue). A step with expectations only checks what the previous action did. Keys a card step needs (the
PIN asked while the kernel runs) are taken from the following ``keys`` steps as the kernel asks for them.

The result is a JSON object: ``passed``, and for each step what was done and every failed expectation.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import tempfile
from collections import deque
from pathlib import Path
from typing import Any

from config.errors import ConfigError
from config.load import load_toml
from host.faults import FaultError
from terminal.app import build_terminal
from terminal.settings import load_settings
from ui.base import KEYS
from ui.headless import HeadlessDisplay

log = logging.getLogger(__name__)

__all__ = ["PowerCut", "ScenarioRunner", "run_scenario"]

ACTIONS = (
    "power_on", "activate", "login", "keys", "insert", "remove", "tap", "swipe", "swipe_raw", "scan", "wait",
    "host_fault", "clear_faults", "wallet_pay", "paper", "battery", "power_cut", "remove_when_answered",
)  # fmt: skip
EXPECTATIONS = (
    "expect_screen", "expect_seen", "expect_fact", "expect_state", "expect_receipt", "expect_no_receipt",
    "expect_journal",
)  # fmt: skip


class PowerCut(BaseException):
    """Raised inside the terminal at the scripted instant: nothing after it runs (a BaseException, so no
    ``except Exception`` in the firmware can swallow it, as nothing can swallow a power cut)."""


def split_keys(text: str) -> list[str]:
    """``"2500 OK"`` -> ``["2", "5", "0", "0", "OK"]``.

    >>> split_keys("01 OK CLEAR 9")
    ['0', '1', 'OK', 'CLEAR', '9']
    """
    out: list[str] = []
    for word in text.split():
        if word in KEYS and not word.isdigit():
            out.append(word)
        elif word.isdigit():
            out.extend(word)
        else:
            raise ConfigError(f"scenario: no key {word!r}")
    return out


class _PullKeypad:
    """Keys from the scenario: when the terminal waits for a key (a PIN inside the kernel) and none is
    queued, the runner hands over the keys of the next ``keys`` steps (checking expectations on the way)."""

    def __init__(self, runner: ScenarioRunner) -> None:
        self.runner = runner
        self.queue: deque[str] = deque()

    def read_key(self, timeout_s: float) -> str | None:
        if not self.queue and timeout_s > 0:
            self.runner.pull_keys(timeout_s)
        return self.queue.popleft() if self.queue else None


class ScenarioRunner:
    """Runs one scenario document."""

    def __init__(self, doc: dict[str, Any], data_dir: Path | None = None, echo: bool = False) -> None:
        self.doc = doc
        self.steps: list[dict[str, Any]] = list(doc.get("step", []))
        for k, step in enumerate(self.steps):
            unknown = set(step) - set(ACTIONS) - set(EXPECTATIONS) - {"name", "note"}
            if unknown:
                raise ConfigError(f"scenario step {k + 1}: unknown key(s) {', '.join(sorted(unknown))}")
        # the terminal's journal and key store (test keys) live in a folder the runner removes in close()
        self._own_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="posemu-scenario-"))
        self.display = HeadlessDisplay(echo=echo, language="en")
        self.keypad = _PullKeypad(self)
        self.settings = load_settings(overrides=doc.get("settings", {}))
        self.built = build_terminal(self.settings, self.display, self.keypad, self.data_dir)
        self.clock = self.built.devices.clock
        if "start" in doc:  # the scenario's wall clock; China Standard Time unless it says otherwise
            start = dt.datetime.fromisoformat(str(doc["start"]))
            if start.tzinfo is None:
                start = start.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
            self.clock.set(start)  # type: ignore[attr-defined]
        self.results: list[dict[str, Any]] = []
        self.index = 0
        self.cut_at: str | None = None
        self.printed_before = 0
        self.seen_from = 0

    @property
    def terminal(self) -> Any:
        return self.built.terminal

    def close(self) -> None:
        """Stop the host link (and an in-process simulator), close the journal, remove a folder the runner
        made for them."""
        try:
            self.built.devices.host.close()
        finally:
            self.terminal.journal.close()
            if self._own_dir:
                shutil.rmtree(self.data_dir, ignore_errors=True)

    # -- running ----------------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        while self.index < len(self.steps):
            step = self.steps[self.index]
            self.index += 1
            self.run_step(step)
        passed = all(r["ok"] for r in self.results)
        return {
            "scenario": self.doc.get("name", ""),
            "passed": passed,
            "steps": self.results,
            "screens": [s.id for s in self.display.screens],
            "final_state": self.terminal.state,
        }

    def run_step(self, step: dict[str, Any]) -> None:
        action = next((a for a in ACTIONS if a in step), None)
        if action is not None:  # a check-only step looks at what the previous action did
            self.printed_before = len(self.printer_text())
            self.seen_from = len(self.display.screens)
        try:
            if action is not None:
                self.act(action, step[action])
        except PowerCut:
            self.reboot()
        failures = self.check(step)
        self.results.append({"step": self.index, "action": action or "check", "ok": not failures,
                             "failures": failures, "screen": self.current_id()})  # fmt: skip

    def settle(self) -> None:
        try:
            self.terminal.run_until_idle()
        except PowerCut:
            self.reboot()

    def act(self, action: str, value: Any) -> None:
        t = self.terminal
        dev: Any = self.built.devices  # virtual twins: their test-side APIs (insert, swipe_card, scan...)
        if action == "power_on":
            self.install_cut()
            t.power_on()
        elif action == "activate":
            a = self.settings.activation
            self.keypad.queue.extend([*a.mid, "OK", *a.tid, "OK", "OK"])
        elif action == "login":
            number, _, password = str(value).partition("/")
            self.keypad.queue.extend([*number, "OK", *password, "OK"])
        elif action == "keys":
            self.keypad.queue.extend(split_keys(str(value)))
        elif action == "insert":
            from emv.cards import load_card

            dev.reader.insert(_UnreadableChip() if value == "unreadable" else load_card(str(value)))
        elif action == "remove_when_answered":
            link, reader = t.auth.link, dev.reader
            original = link.transact

            def transact_then_remove(request: Any, timeout_s: float | None = None) -> Any:
                reply = original(request, timeout_s)
                if request.mti in ("0200", "0100"):
                    link.transact = original
                    reader.remove()
                return reply

            link.transact = transact_then_remove
        elif action == "remove":
            dev.reader.remove()
        elif action == "tap":
            from emv.cards.contactless import load_contactless_card

            dev.contactless.tap(load_contactless_card(str(value)))
        elif action == "swipe":
            from emv.cards import load_card

            dev.msr.swipe_card(load_card(str(value)))
        elif action == "swipe_raw":
            dev.msr.swipe_raw(str(value).encode("latin-1"))
        elif action == "scan":
            dev.scanner.scan(str(value))
        elif action == "wait":
            self.clock.advance(float(value))  # type: ignore[attr-defined]
            t.post(_tick())
        elif action == "host_fault":
            spec = dict(value)
            kind = spec.pop("action", "")
            try:
                dev.host.host.call(lambda sim: sim.add_fault(kind, **spec))
            except FaultError as exc:
                raise ConfigError(f"scenario step {self.index}: host_fault: {exc}") from None
        elif action == "clear_faults":
            dev.host.host.call(lambda sim: sim.clear_faults())
        elif action == "wallet_pay":
            ref = t.work.qr_ref
            dev.host.host.call(lambda sim: sim.pay_order(ref))
        elif action == "paper":
            dev.printer.set_paper(str(value))
        elif action == "battery":
            dev.battery.set(int(value))
        elif action == "power_cut":
            self.cut_at = str(value)
            self.install_cut()
        self.settle()

    def pull_keys(self, timeout_s: float) -> None:
        """Called by the keypad while the terminal waits: feed it the next keys (expectations first)."""
        while self.index < len(self.steps):
            step = self.steps[self.index]
            action = next((a for a in ACTIONS if a in step), None)
            if action in ("keys", None):
                self.index += 1
                failures = self.check(step)
                if action == "keys":
                    self.keypad.queue.extend(split_keys(str(step["keys"])))
                self.results.append({"step": self.index, "action": action or "check", "ok": not failures,
                                     "failures": failures, "screen": self.current_id()})  # fmt: skip
                if self.keypad.queue:
                    return
                continue
            if action == "wait" and float(step["wait"]) >= timeout_s:
                self.index += 1
                self.clock.advance(float(step["wait"]))  # type: ignore[attr-defined]
                self.results.append({"step": self.index, "action": "wait", "ok": True, "failures": [],
                                     "screen": self.current_id()})  # fmt: skip
            return

    # -- power cuts -------------------------------------------------------------------------------------

    def install_cut(self) -> None:
        t = self.terminal
        target = self.cut_at
        if target is None:
            return
        if target == "request_sent":
            link = t.auth.link
            original = link.transact

            def transact_then_cut(request: Any, timeout_s: float | None = None) -> Any:
                reply = original(request, timeout_s)
                if request.mti in ("0200", "0100", "0220"):
                    link.transact = original
                    self.cut_at = None
                    raise PowerCut("after the request was answered, before the outcome was recorded")
                return reply

            link.transact = transact_then_cut
            return
        machine = t.machine

        def cut(*_args: Any, **_kwargs: Any) -> None:
            if self.cut_at is not None and t.state == self.cut_at:
                self.cut_at = None
                raise PowerCut(f"power cut entering {target}")

        for state_name in machine.get_nested_state_names():
            if state_name == target:
                machine.get_state(state_name).on_enter.insert(0, cut)

    def reboot(self) -> None:
        """The power came back: a new terminal (new process) on the same journal, key store and devices:
        the same card in the reader, paper in the printer, battery, and the host with its state."""
        from emv.kernel.capk import default_capks
        from emv.kernel.params import default_params
        from terminal.app import Built
        from terminal.model import Terminal

        old = self.built
        log.info("power cut: rebooting on the same journal")
        old.terminal.journal.db.close()
        terminal = Terminal(old.devices, self.settings, self.data_dir, default_params(), default_capks())
        self.built = Built(terminal, old.devices)
        self.keypad.queue.clear()

    # -- checks -----------------------------------------------------------------------------------------

    def current_id(self) -> str:
        current = self.display.current
        return current.id if current is not None else ""

    def printer_text(self) -> str:
        printer = self.built.devices.printer
        return str(printer.render_text()) if hasattr(printer, "render_text") else ""

    def check(self, step: dict[str, Any]) -> list[str]:
        failures: list[str] = []
        current = self.display.current
        if "expect_screen" in step and self.current_id() != step["expect_screen"]:
            failures.append(f"screen is {self.current_id()!r}, expected {step['expect_screen']!r}")
        if "expect_seen" in step:
            seen = [s.id for s in self.display.screens[self.seen_from :]]
            for wanted in step["expect_seen"]:
                if wanted not in seen:
                    failures.append(f"screen {wanted!r} was not shown (shown: {', '.join(seen)})")
        if "expect_fact" in step:  # the latest screen of the step that shows these facts (or the current)
            wanted_facts = step["expect_fact"]
            shown = [
                s
                for s in self.display.screens[self.seen_from :]
                if all(s.fact(k) is not None for k in wanted_facts)
            ]
            source = shown[-1] if shown else current
            for key, value in wanted_facts.items():
                got = source.fact(key) if source is not None else None
                if got != str(value):
                    failures.append(f"fact {key} is {got!r}, expected {value!r}")
        if "expect_state" in step and self.terminal.state != step["expect_state"]:
            failures.append(f"state is {self.terminal.state!r}, expected {step['expect_state']!r}")
        printed = self.printer_text()[self.printed_before :]
        for wanted in step.get("expect_receipt", []):
            if wanted not in printed:
                failures.append(f"receipt lacks {wanted!r}")
        if step.get("expect_no_receipt") and printed.strip():
            failures.append("something was printed")
        failures += self.check_journal(step.get("expect_journal", {}))
        return failures

    def check_journal(self, wanted: dict[str, Any]) -> list[str]:
        if not wanted:
            return []
        j = self.terminal.journal
        facts: dict[str, Any] = {}
        last = j.last()
        facts["last_state"] = last.state if last else None
        facts["last_kind"] = last.kind if last else None
        facts["pending_reversals"] = int(j.db.execute("SELECT COUNT(*) FROM reversal").fetchone()[0])
        facts["approved"] = sum(1 for r in j.batch_rows() if r.state == "approved")
        facts["unprinted"] = int(
            j.db.execute("SELECT COUNT(*) FROM txns WHERE receipt='pending'").fetchone()[0]
        )
        facts["batch"] = j.batch
        facts["saf"] = int(j.db.execute("SELECT COUNT(*) FROM saf").fetchone()[0])
        return [
            f"journal {k} is {facts.get(k)!r}, expected {v!r}" for k, v in wanted.items() if facts.get(k) != v
        ]


class _UnreadableChip:
    """A chip that powers up but answers every command "file not found": no application can be selected,
    so the kernel falls back to the magstripe (``insert = "unreadable"``)."""

    atr = bytes.fromhex("3B888001000000000000000009")

    def transmit(self, capdu: bytes) -> bytes:
        return b"\x6a\x82"

    def remove(self) -> None:
        return None


def _tick() -> Any:
    from terminal.model import Event

    return Event("tick")


def run_scenario(path: str | Path, echo: bool = False) -> dict[str, Any]:
    """Load and run one scenario file; its JSON-ready result.

    Raises:
        ConfigError: the file is missing, not TOML, or names an unknown step key.
    """
    doc = load_toml(path)
    runner = ScenarioRunner(doc, echo=echo)
    try:
        return runner.run()
    finally:
        runner.close()


def result_json(result: dict[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2)
