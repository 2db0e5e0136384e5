"""Each fault mode, and what the terminal side (the host link) receives; reversal after a lost reply."""

from __future__ import annotations

import pytest

from drivers.host import (
    HostError,
    HostFormatError,
    HostMacError,
    HostTimeout,
    HostUnavailable,
    LinkSettings,
    TcpHostLink,
)
from host.errors import Iso8583Error, MacError
from host.faults import FaultError
from host.requests import echo_test, reversal
from host.runner import SimulatorThread
from tests.unit.host.sim_support import PANS, Term, host, link, term

__all__ = ["host", "link", "term"]


def _balance(host: SimulatorThread, profile: str = "pboc-sda") -> int:
    return host.call(lambda sim: sim.account_of(PANS[profile]).balance_fen)


def _short(host: SimulatorThread, term: Term, timeout_s: float = 0.4) -> Term:
    """The same terminal and session, on a link with a short response timeout and no resend."""
    assert host.port is not None and term.keys is not None
    link = TcpHostLink("127.0.0.1", host.port, LinkSettings(1.0, timeout_s, retries=0))
    link.set_mac_key(term.keys.mak)
    term.link = link
    return term


def test_delay_makes_the_link_time_out_and_the_reversal_restores(host: SimulatorThread, term: Term) -> None:
    host.call(lambda sim: sim.add_fault("delay", delay_ms=800, amount=4321, mti="0200"))
    before = _balance(host)
    t = _short(host, term)
    with pytest.raises(HostTimeout) as info:
        t.purchase("pboc-sda", 4321)
    assert isinstance(info.value, TimeoutError) and info.value.request_sent
    assert _balance(host) == before - 4321  # the host approved: the reply was only late
    assert t.last is not None  # the terminal reverses with 98 before its next message
    assert t.send(reversal(t.last, "98"))[39] == "00"
    assert _balance(host) == before


def test_no_answer_times_out(host: SimulatorThread, term: Term) -> None:
    host.call(lambda sim: sim.add_fault("no_answer", amount=4322))
    with pytest.raises(HostTimeout):
        _short(host, term).purchase("pboc-sda", 4322)


def test_close_is_host_unavailable_with_the_request_sent(host: SimulatorThread, term: Term) -> None:
    host.call(lambda sim: sim.add_fault("close", amount=4323))
    with pytest.raises(HostUnavailable) as info:
        _short(host, term).purchase("pboc-sda", 4323)
    assert info.value.request_sent
    assert term.send(echo_test(term.ident, term.trace(), term.batch))[39] == "00"  # reconnects by itself


def test_garbled_reply_is_a_format_error(host: SimulatorThread, term: Term) -> None:
    host.call(lambda sim: sim.add_fault("garble", amount=4324))
    with pytest.raises(HostFormatError) as info:
        term.purchase("pboc-sda", 4324)
    assert isinstance(info.value, Iso8583Error) and isinstance(info.value, HostError)
    assert info.value.request_sent


def test_wrong_mac_on_the_reply(host: SimulatorThread, term: Term) -> None:
    host.call(lambda sim: sim.add_fault("bad_mac", amount=4325, mti="0200"))
    before = _balance(host)
    with pytest.raises(HostMacError) as info:
        term.purchase("pboc-sda", 4325)
    assert isinstance(info.value, MacError) and info.value.field == 64
    # the terminal reverses with A0 after signing on again
    request = term.last
    assert request is not None
    term.sign_on()
    assert term.send(reversal(request, "A0"))[39] == "00"
    assert _balance(host) == before


@pytest.mark.parametrize("code", ["05", "51", "91", "96"])
def test_any_response_code(host: SimulatorThread, term: Term, code: str) -> None:
    host.call(lambda sim: sim.add_fault("respond", response_code=code, amount=4326))
    before = _balance(host)
    assert term.purchase("pboc-sda", 4326)[1][39] == code
    assert _balance(host) == before  # not processed


def test_magic_amounts_of_host_toml(host: SimulatorThread, term: Term) -> None:
    assert term.purchase("pboc-sda", 888851)[1][39] == "51"
    with pytest.raises(HostFormatError):
        term.purchase("pboc-sda", 888804)


def test_rules_by_mti_terminal_pan_range_and_count(host: SimulatorThread, term: Term) -> None:
    host.call(lambda sim: sim.add_fault("respond", response_code="05", pan_from="476173", pan_to="476173"))
    assert term.purchase("visa-cda", 100)[1][39] == "05"
    assert term.purchase("pboc-sda", 100)[1][39] == "00"
    host.call(lambda sim: sim.clear_faults())
    host.call(
        lambda sim: sim.add_fault("respond", response_code="91", mti="0200", tid="10000019", remaining=1)
    )
    assert term.purchase("pboc-sda", 101)[1][39] == "91"
    assert term.purchase("pboc-sda", 102)[1][39] == "00"  # used up
    host.call(lambda sim: sim.add_fault("respond", response_code="96", tid="10000020"))
    assert term.purchase("pboc-sda", 103)[1][39] == "00"  # another terminal's rule
    host.call(lambda sim: sim.add_fault("respond", response_code="13", amount_min=200, amount_max=300))
    assert [term.purchase("pboc-sda", a)[1][39] for a in (199, 250, 301)] == ["00", "13", "00"]


def test_bad_fault_rules_are_refused(host: SimulatorThread) -> None:
    with pytest.raises(FaultError):
        host.call(lambda sim: sim.add_fault("explode"))
    with pytest.raises(FaultError):
        host.call(lambda sim: sim.add_fault("respond"))
    with pytest.raises(FaultError):
        host.call(lambda sim: sim.add_fault("delay", pan_from="4761", pan_to="47"))


# -------------------------------------------------------------------------------------------------------
# Reversal
# -------------------------------------------------------------------------------------------------------


def test_reversal_is_idempotent(host: SimulatorThread, term: Term) -> None:
    before = _balance(host)
    request, reply = term.purchase("pboc-sda", 2600)
    assert reply[39] == "00" and _balance(host) == before - 2600
    for _ in range(3):
        answer = term.send(reversal(request, "98"))
        assert answer.mti == "0410" and answer[39] == "00"
        assert _balance(host) == before


def test_reversal_of_an_unknown_original_is_25_and_changes_nothing(host: SimulatorThread, term: Term) -> None:
    from host.requests import purchase

    before = _balance(host)
    ghost = purchase(term.ident, 999, term.batch, 2600, term.card("pboc-sda", 2600))
    assert term.send(reversal(ghost, "98"))[39] == "25"
    request, _ = term.purchase("pboc-sda", 2600)
    wrong_amount = request.with_fields({4: "000000002601"})
    assert term.send(reversal(wrong_amount, "98"))[39] == "25"
    assert _balance(host) == before - 2600


def test_reversal_of_a_declined_original_changes_nothing(host: SimulatorThread, term: Term) -> None:
    host.call(lambda sim: sim.set_account("acct-pboc-sda", balance_fen=100))
    request, reply = term.purchase("pboc-sda", 2600)
    assert reply[39] == "51"
    assert term.send(reversal(request, "06"))[39] == "00"
    assert _balance(host) == 100


def test_reversal_of_a_void_reinstates_the_purchase(host: SimulatorThread, term: Term) -> None:
    from host.requests import void

    before = _balance(host)
    request, reply = term.purchase("pboc-sda", 900)
    v = void(term.ident, term.trace(), term.batch, 900, str(reply[37]), str(reply[38]), int(str(request[11])))
    assert term.send(v)[39] == "00" and _balance(host) == before
    assert term.send(reversal(v, "98"))[39] == "00"
    assert _balance(host) == before - 900
    again = void(
        term.ident, term.trace(), term.batch, 900, str(reply[37]), str(reply[38]), int(str(request[11]))
    )
    assert term.send(again.with_fields({2: PANS["pboc-sda"]}))[39] == "00"  # voidable again
