"""The state machine as data: every transition names declared states; a firmware error reaches the fault
screen; an invalid trigger is ignored (STYLE.md section 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from terminal.machine import all_state_names, check_transitions
from terminal.scenario import ScenarioRunner
from terminal.states import FLOWS, STATES, STEPS, TRANSITIONS


def test_every_transition_names_declared_states() -> None:
    check_transitions()
    names = all_state_names(STATES)
    assert {"idle", "txn", "txn_online", "login_signon", "settle_report"} <= names
    for steps in FLOWS.values():
        assert set(steps) <= set(STEPS)
    assert all(len(t) == 3 for t in TRANSITIONS)


def _runner(tmp_path: Path) -> ScenarioRunner:
    doc: dict[str, Any] = {"step": [{"power_on": True}, {"activate": True}, {"login": "01/0000"}]}
    runner = ScenarioRunner(doc, data_dir=tmp_path)
    assert runner.run()["passed"]
    return runner


def test_an_error_in_a_callback_reaches_the_fault_screen(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    t = runner.terminal

    def broken(*_args: Any) -> None:
        raise RuntimeError("a bug")

    t.begin = broken  # the next OK in idle calls it
    t.dev.keypad.queue.append("OK")
    t.run_until_idle()
    assert t.state == "fault" and runner.display.current.id == "fault_internal"
    t.dev.keypad.queue.append("OK")  # restart
    t.run_until_idle()
    assert t.state == "login_operator"
    runner.built.devices.host.close()
    t.journal.close()


def test_an_invalid_trigger_is_ignored(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    t = runner.terminal
    from terminal.model import Event

    t._dispatch = lambda event: t.trigger("settled")  # type: ignore[method-assign]  # not from idle
    t.dispatch(Event("key", "OK"))
    assert t.state == "idle"
    runner.built.devices.host.close()
    t.journal.close()


def test_a_pin_key_failure_inside_the_kernel_is_a_terminal_fault(tmp_path: Path) -> None:
    """The session PIK is unusable when the kernel asks for the online PIN: the kernel stops (no GENERATE
    AC on a half-made PIN), and the terminal shows its fault screen, not a card error."""
    runner = _runner(tmp_path)
    t = runner.terminal
    t.session_pik = b"\x01\x02\x03"  # not a DES key length: encrypt_ecb raises KeyLengthError
    runner.steps += [{"keys": "OK 2500 OK"}, {"insert": "visa-cda"}, {"keys": "1234 OK"}]
    assert runner.run()["passed"]
    assert "txn_pin" in runner.display.ids()
    assert t.state == "fault" and runner.display.current.id == "fault_internal"
    assert t.journal.pending_reversal() is None and t.pin_fault is None
    runner.built.devices.host.close()
    t.journal.close()
