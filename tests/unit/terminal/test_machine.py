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
    assert t.state == "fault" and runner.current_id() == "fault_internal"
    t.dev.keypad.queue.append("OK")  # restart
    t.run_until_idle()
    assert t.state == "login_operator"
    runner.built.devices.host.close()
    t.journal.close()


def test_an_invalid_trigger_is_ignored(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    t = runner.terminal
    from terminal.model import Event

    t._dispatch = lambda event: t.trigger("settled")  # not from idle
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
    assert t.state == "fault" and runner.current_id() == "fault_internal"
    assert t.journal.pending_reversal() is None and t.pin_fault is None
    runner.built.devices.host.close()
    t.journal.close()


def test_a_card_whose_pan_makes_no_pin_block_is_a_card_error_not_a_fault(tmp_path: Path) -> None:
    """The PAN comes from the card (5A): one too short for a PIN block ends the kernel as card data, and
    the terminal asks for another card; it does not fault."""
    runner = _runner(tmp_path)
    t = runner.terminal
    t.kernel_pan = lambda: "6212345"  # as a card whose 5A holds 7 digits would give
    runner.steps += [{"keys": "OK 2500 OK"}, {"insert": "visa-cda"}, {"keys": "1234 OK"}]
    runner.run()
    assert "txn_pin" in runner.display.ids() and "fault_internal" not in runner.display.ids()
    assert t.state != "fault" and t.work.first is not None and t.work.first.termination is not None
    assert t.work.first.termination.name == "CARD_DATA" and t.journal.pending_reversal() is None
    runner.built.devices.host.close()
    t.journal.close()


def test_a_bad_mac_reversal_carries_the_second_generate_ac_data(tmp_path: Path) -> None:
    """A0: the card gets its second GENERATE AC before the 0400 leaves (even though the sign-on that
    follows a bad MAC sends pending reversals), so the 0400's ATC and TVR are the card's final ones."""
    from emv import tlv

    runner = _runner(tmp_path)
    t = runner.terminal
    seen: list[tuple[bool, bytes, bytes]] = []
    link = t.auth.link
    transact = link.transact

    def spy(request: Any, timeout_s: float | None = None) -> Any:
        if request.mti == "0400":
            final = t.work.final
            f55 = tlv.parse(request[55])
            seen.append((final is not None, f55.get(0x9F36, b""), final.field55[0x9F36] if final else b""))
        return transact(request, timeout_s)

    link.transact = spy
    runner.steps += [
        {"host_fault": {"action": "bad_mac", "mti": "0200", "amount": 5555}},
        {"keys": "OK 5555 OK"},
        {"insert": "pboc-sda"},
        {"keys": "123456 OK"},
    ]
    assert runner.run()["passed"]
    assert len(seen) == 1 and seen[0][0] and seen[0][1] == seen[0][2]
    assert t.journal.pending_reversal() is None
    runner.built.devices.host.close()
    t.journal.close()


def test_a_qr_order_the_terminal_stops_waiting_for_is_closed_at_the_host(tmp_path: Path) -> None:
    """Cancelled by the cashier, or timed out: the order is closed, so the customer's wallet cannot pay a
    sale the terminal has abandoned."""
    runner = _runner(tmp_path)
    t = runner.terminal
    sim = runner.built.devices.host.host  # type: ignore[attr-defined]  # the virtual link's simulator
    refs: list[str] = []
    for ending in ({"keys": "CANCEL"}, {"wait": 121}):
        runner.steps += [{"keys": "MENU 7 1200 OK"}]
        assert runner.run()["passed"] and t.state == "txn_qr"
        refs.append(t.work.qr_ref)
        runner.steps += [ending, {"wait": 1}]
        assert runner.run()["passed"] and t.state == "idle"
    for ref in refs:
        assert sim.call(lambda s, ref=ref: s.pay_order(ref, "demo-alipay")) == "12"
    assert t.journal.db.execute("SELECT COUNT(*) FROM txns WHERE kind='qr_sale'").fetchone()[0] == 0
    runner.built.devices.host.close()
    t.journal.close()


def test_the_qr_wait_must_end_inside_the_host_order_lifetime() -> None:
    import pytest

    from config.errors import ConfigError
    from terminal.settings import load_settings

    assert load_settings().qr_timeout_s == 120
    for bad in (5, 301):
        with pytest.raises(ConfigError, match="qr_timeout_s"):
            load_settings(overrides={"terminal": {"qr_timeout_s": bad}})


def test_an_order_the_host_expired_ends_the_wait(tmp_path: Path) -> None:
    """The host answers 12 (the order closed itself): the terminal stops polling and shows the decline."""
    from tests.unit.host.sim_support import age_order

    runner = _runner(tmp_path)
    t = runner.terminal
    sim = runner.built.devices.host.host  # type: ignore[attr-defined]  # the virtual link's simulator
    runner.steps += [{"keys": "MENU 7 1500 OK"}]
    assert runner.run()["passed"] and t.state == "txn_qr"
    ref = t.work.qr_ref
    sim.call(lambda s: age_order(s, ref))
    runner.steps += [{"wait": 3}, {"wait": 1}]
    assert runner.run()["passed"] and t.state == "idle"
    assert "txn_result" in runner.display.ids()
    assert t.journal.db.execute("SELECT COUNT(*) FROM txns WHERE kind='qr_sale'").fetchone()[0] == 0
    runner.built.devices.host.close()
    t.journal.close()
