"""Every message type through a real TCP connection to the host simulator on 127.0.0.1."""

from __future__ import annotations

import dataclasses

import pytest

from drivers.host import TcpHostLink
from emv.crypto import des
from emv.qr import decode_mpm
from host.fields import Field60
from host.keyblock import KeyBlock
from host.mac import mac_message
from host.protocol import ProcessingRequirement
from host.records import Account
from host.requests import (
    CardData,
    admin_pay_order,
    balance,
    completion,
    completion_void,
    echo_test,
    pre_auth,
    pre_auth_void,
    qr_order_close,
    qr_order_create,
    qr_order_query,
    qr_purchase,
    refund,
    sign_off,
    sign_on,
    void,
)
from host.runner import SimulatorThread
from tests.unit.host.sim_support import (
    FAST_LINK,
    OTHER_TERMINAL,
    OTHER_TMK,
    PANS,
    TERMINAL,
    Term,
    age_order,
    host,
    icc_of,
    link,
    term,
)

__all__ = ["host", "link", "term"]  # fixtures


def _balance(host: SimulatorThread, profile: str) -> int:
    return host.call(lambda sim: sim.account_of(PANS[profile]).balance_fen)


# -------------------------------------------------------------------------------------------------------
# Network management
# -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network_code", "block_size", "key_size"), [("001", 24, 8), ("003", 40, 16), ("004", 60, 16)]
)
def test_sign_on_delivers_working_keys_with_check_values(
    link: TcpHostLink, network_code: str, block_size: int, key_size: int
) -> None:
    t = Term(link)
    reply = t.sign_on(network_code)
    assert reply.mti == "0810" and reply.tpdu.source == TERMINAL.tpdu.destination
    block = reply[62]
    assert isinstance(block, bytes) and len(block) == block_size
    assert t.keys is not None and len(t.keys.pik) == len(t.keys.mak) == key_size
    assert des.compute_kcv(t.keys.mak, 4) == KeyBlock.from_field(block).mak.check_value
    f60 = Field60.from_field(str(reply[60]))
    assert (f60.batch, f60.network_code) == (1, network_code)
    assert 64 not in reply.fields


def test_sign_on_of_unknown_terminal_or_wrong_merchant(link: TcpHostLink) -> None:
    from host.requests import TerminalId

    assert link.transact(sign_on(TerminalId("99999999", TERMINAL.mid), 1))[39] == "97"
    assert link.transact(sign_on(TerminalId(TERMINAL.tid, "999999999999999"), 1))[39] == "03"


def test_echo_and_sign_off(term: Term) -> None:
    assert term.send(echo_test(term.ident, term.trace(), term.batch))[39] == "00"
    assert term.send(sign_off(term.ident, term.trace(), term.batch))[39] == "00"
    # the host forgot the session keys: a MAC'd request is refused with "sign on again"
    _, reply = term.purchase("pboc-sda", 100)
    assert reply[39] == "A0" and reply.header.processing == ProcessingRequirement.SIGN_ON_AGAIN


def test_bad_request_mac_is_answered_a0_with_sign_on_again(term: Term) -> None:
    term.link.set_mac_key(bytes(16))  # the terminal MACs with the wrong key
    _, reply = term.purchase("pboc-sda", 100)
    assert reply[39] == "A0" and reply.header.processing == 3 and 64 not in reply.fields


def test_two_terminals_have_their_own_keys(host: SimulatorThread, term: Term) -> None:
    assert host.port is not None
    other = Term(TcpHostLink("127.0.0.1", host.port, FAST_LINK), OTHER_TERMINAL, OTHER_TMK)
    other.sign_on()
    assert other.keys is not None and term.keys is not None and other.keys.mak != term.keys.mak
    assert other.purchase("pboc-sda", 100)[1][39] == "00"
    assert term.purchase("pboc-sda", 100)[1][39] == "00"
    other.link.close()


# -------------------------------------------------------------------------------------------------------
# Card transactions
# -------------------------------------------------------------------------------------------------------


def test_balance_inquiry_returns_the_available_balance(host: SimulatorThread, term: Term) -> None:
    reply = term.send(balance(term.ident, term.trace(), term.batch, term.card("visa-cda", 0)))
    assert reply[39] == "00"
    assert reply[54] == f"1002156C{_balance(host, 'visa-cda'):012d}"
    assert 0x91 in icc_of(reply)


@pytest.mark.parametrize("profile", ["visa-cda", "mc-dda", "pboc-sda"])
def test_purchase_is_approved_with_arpc_and_debits_the_account(
    host: SimulatorThread, term: Term, profile: str
) -> None:
    before = _balance(host, profile)
    _, reply = term.purchase(profile, 2500)
    assert reply.mti == "0210" and reply[39] == "00"
    assert len(str(reply[37])) == 12 and len(str(reply[38])) == 6
    assert len(icc_of(reply)[0x91]) in (8, 10)
    assert _balance(host, profile) == before - 2500


def test_purchase_with_a_bad_arqc_gets_the_distinct_decline(term: Term) -> None:
    from host.issuer import BAD_CRYPTOGRAM
    from host.requests import purchase

    card = term.card("visa-cda", 2500)
    assert card.icc is not None and card.icc[:3] == b"\x9f\x26\x08"
    icc = bytearray(card.icc)
    icc[3] ^= 0x01  # one bit of the ARQC
    tampered = dataclasses.replace(card, icc=bytes(icc))
    reply = term.send(purchase(term.ident, term.trace(), term.batch, 2500, tampered))
    assert reply[39] == BAD_CRYPTOGRAM and 0x91 not in icc_of(reply)


def test_wrong_pin_then_tries_exceeded(term: Term) -> None:
    assert term.purchase("pboc-sda", 100, pin="0000")[1][39] == "55"
    assert term.purchase("pboc-sda", 100, pin="0000")[1][39] == "55"
    assert term.purchase("pboc-sda", 100, pin="0000")[1][39] == "75"
    assert term.purchase("pboc-sda", 100)[1][39] == "75"  # even the right PIN, once blocked


def test_right_pin_resets_the_failures(term: Term) -> None:
    assert term.purchase("mc-dda", 100, pin="0000")[1][39] == "55"
    assert term.purchase("mc-dda", 100)[1][39] == "00"
    assert term.purchase("mc-dda", 100, pin="0000")[1][39] == "55"
    assert term.purchase("mc-dda", 100, pin="0000")[1][39] == "55"


def test_funds_limits_and_amounts(host: SimulatorThread, term: Term) -> None:
    host.call(lambda sim: sim.set_account("acct-visa-cda", balance_fen=1000, limit_fen=800))
    assert term.purchase("visa-cda", 900)[1][39] == "61"
    host.call(lambda sim: sim.set_account("acct-visa-cda", limit_fen=0))
    assert term.purchase("visa-cda", 1001)[1][39] == "51"
    assert term.purchase("visa-cda", 0)[1][39] == "13"
    assert term.purchase("visa-cda", 1000)[1][39] == "00"
    assert _balance(host, "visa-cda") == 0


@pytest.mark.parametrize(("status", "code"), [("blocked", "57"), ("lost", "41"), ("stolen", "43")])
def test_card_status(host: SimulatorThread, term: Term, status: str, code: str) -> None:
    host.call(lambda sim: sim.set_card(PANS["pboc-sda"], status=status))
    _, reply = term.purchase("pboc-sda", 100)
    assert reply[39] == code and 0x91 in icc_of(reply)  # the ARQC verified: the card gets the decline ARC


def test_expired_card(term: Term) -> None:
    assert term.purchase("expired", 100)[1][39] == "54"


def test_unknown_card(term: Term) -> None:
    from host.requests import purchase

    reply = term.send(purchase(term.ident, term.trace(), term.batch, 100, CardData(pan="6200000000000000")))
    assert reply[39] == "14"


def test_duplicate_transmission_is_94_and_changes_nothing(host: SimulatorThread, term: Term) -> None:
    request, reply = term.purchase("pboc-sda", 700)
    assert reply[39] == "00"
    before = _balance(host, "pboc-sda")
    assert term.send(request)[39] == "94"
    assert _balance(host, "pboc-sda") == before


def test_void_restores_the_balance_once(host: SimulatorThread, term: Term) -> None:
    before = _balance(host, "visa-cda")
    request, reply = term.purchase("visa-cda", 1234)
    orig_trace = int(str(request[11]))
    card = CardData(pan=PANS["visa-cda"])
    voided = term.send(
        void(term.ident, term.trace(), term.batch, 1234, str(reply[37]), str(reply[38]), orig_trace, card)
    )
    assert voided[39] == "00"
    assert _balance(host, "visa-cda") == before
    again = term.send(
        void(term.ident, term.trace(), term.batch, 1234, str(reply[37]), str(reply[38]), orig_trace, card)
    )
    assert again[39] == "12"
    unknown = term.send(void(term.ident, term.trace(), term.batch, 1234, "000000009999", "", 999))
    assert unknown[39] == "25"


def test_void_with_another_card_or_amount_is_refused(term: Term) -> None:
    request, reply = term.purchase("visa-cda", 1234)
    rrn, auth, trace = str(reply[37]), str(reply[38]), int(str(request[11]))
    other = CardData(pan=PANS["mc-dda"])
    assert term.send(void(term.ident, term.trace(), term.batch, 1234, rrn, auth, trace, other))[39] == "14"
    assert term.send(void(term.ident, term.trace(), term.batch, 1000, rrn, auth, trace))[39] == "13"


def test_refund_up_to_the_original_amount(host: SimulatorThread, term: Term) -> None:
    request, reply = term.purchase("pboc-sda", 5000)
    before = _balance(host, "pboc-sda")
    rrn, trace = str(reply[37]), int(str(request[11]))
    first = term.send(refund(term.ident, term.trace(), term.batch, 3000, rrn, term.batch, trace))
    assert first.mti == "0230" and first[39] == "00"
    assert term.send(refund(term.ident, term.trace(), term.batch, 2001, rrn, term.batch, trace))[39] == "13"
    assert term.send(refund(term.ident, term.trace(), term.batch, 2000, rrn, term.batch, trace))[39] == "00"
    assert _balance(host, "pboc-sda") == before + 5000
    assert term.send(refund(term.ident, term.trace(), term.batch, 1, "000000099999", 1, 99))[39] == "25"


def test_pre_auth_completion_and_their_voids(host: SimulatorThread, term: Term) -> None:
    def account() -> Account:
        return host.call(lambda sim: sim.account_of(PANS["mc-dda"]))

    start = account()
    pa_req = pre_auth(term.ident, term.trace(), term.batch, 10000, term.card("mc-dda", 10000))
    pa = term.send(pa_req)
    assert pa.mti == "0110" and pa[39] == "00"
    assert account().held_fen == start.held_fen + 10000
    auth, pa_trace = str(pa[38]), int(str(pa_req[11]))
    card = CardData(pan=PANS["mc-dda"])
    done_req = completion(term.ident, term.trace(), term.batch, 8000, auth, term.batch, pa_trace, card)
    done = term.send(done_req)
    assert done[39] == "00"
    assert (account().balance_fen, account().held_fen) == (start.balance_fen - 8000, start.held_fen)
    undo = completion_void(
        term.ident, term.trace(), term.batch, 8000, str(done[37]), auth, int(str(done_req[11])), card
    )
    assert term.send(undo)[39] == "00"
    assert (account().balance_fen, account().held_fen) == (start.balance_fen, start.held_fen + 10000)
    cancel = term.send(
        pre_auth_void(term.ident, term.trace(), term.batch, 10000, auth, term.batch, pa_trace, card)
    )
    assert cancel.mti == "0110" and cancel[39] == "00"
    assert account() == start
    assert (
        term.send(pre_auth_void(term.ident, term.trace(), term.batch, 10000, auth, term.batch, pa_trace))[39]
        == "12"
    )


def test_completion_over_the_pre_auth_is_refused(term: Term) -> None:
    pa_req = pre_auth(term.ident, term.trace(), term.batch, 1000, term.card("mc-dda", 1000))
    pa = term.send(pa_req)
    done = completion(
        term.ident, term.trace(), term.batch, 1001, str(pa[38]), term.batch, int(str(pa_req[11]))
    )
    assert term.send(done)[39] == "13"


def test_issuer_script_rides_in_the_approval(host: SimulatorThread, term: Term) -> None:
    host.call(lambda sim: sim.set_card(PANS["visa-cda"], script="72:block"))
    _, reply = term.purchase("visa-cda", 100)
    assert reply[39] == "00"
    value = reply[55]
    assert isinstance(value, bytes) and b"\x72" in value and b"\x84\x1e\x00\x00" in value
    _, second = term.purchase("visa-cda", 101)
    assert b"\x84\x1e" not in icc_of(second).get(0x86, b"") and 0x72 not in icc_of(second)  # sent once


# -------------------------------------------------------------------------------------------------------
# QR payments
# -------------------------------------------------------------------------------------------------------


def test_scanned_code_purchase_spends_the_wallet_once(host: SimulatorThread, term: Term) -> None:
    code = host.call(lambda sim: sim.issue_code("demo-wechat"))
    before = host.call(lambda sim: sim.account("demo-wechat").balance_fen)
    reply = term.send(qr_purchase(term.ident, term.trace(), term.batch, 1500, code))
    assert reply[39] == "00"
    assert host.call(lambda sim: sim.account("demo-wechat").balance_fen) == before - 1500
    assert term.send(qr_purchase(term.ident, term.trace(), term.batch, 1500, code))[39] == "14"
    assert term.send(qr_purchase(term.ident, term.trace(), term.batch, 1, "1234"))[39] == "14"


def test_merchant_presented_order_paid_by_a_wallet(host: SimulatorThread, term: Term) -> None:
    created = term.send(qr_order_create(term.ident, term.trace(), term.batch, 2372))
    assert created[39] == "00"
    ref = str(created[37])
    payload = created[62]
    assert isinstance(payload, bytes)
    mpm = decode_mpm(payload.decode())
    assert mpm.amount_minor == 2372 and mpm.is_dynamic and mpm.additional is not None
    assert mpm.additional.reference_label == ref
    assert term.send(qr_order_query(term.ident, term.trace(), term.batch, ref))[39] == "09"
    assert host.call(lambda sim: sim.pay_order(ref, "demo-alipay")) == "00"
    paid = term.send(qr_order_query(term.ident, term.trace(), term.batch, ref))
    assert paid[39] == "00" and paid[4] == "000000002372" and len(str(paid[38])) == 6
    assert term.send(qr_order_query(term.ident, term.trace(), term.batch, "Q99999999999"))[39] == "25"


def test_a_closed_order_cannot_be_paid_and_closing_a_paid_one_reports_the_payment(
    host: SimulatorThread, term: Term
) -> None:
    open_ = str(term.send(qr_order_create(term.ident, term.trace(), term.batch, 800))[37])
    assert term.send(qr_order_close(term.ident, term.trace(), term.batch, open_))[39] == "12"
    assert host.call(lambda sim: sim.pay_order(open_, "demo-alipay")) == "12"
    assert term.send(qr_order_query(term.ident, term.trace(), term.batch, open_))[39] == "12"
    assert term.send(qr_order_close(term.ident, term.trace(), term.batch, open_))[39] == "12"
    paid = str(term.send(qr_order_create(term.ident, term.trace(), term.batch, 900))[37])
    assert host.call(lambda sim: sim.pay_order(paid, "demo-alipay")) == "00"
    closed = term.send(qr_order_close(term.ident, term.trace(), term.batch, paid))
    assert closed[39] == "00" and closed[4] == "000000000900" and len(str(closed[38])) == 6
    assert term.send(qr_order_close(term.ident, term.trace(), term.batch, "Q99999999999"))[39] == "25"


def test_an_unpaid_order_expires_by_itself(host: SimulatorThread, term: Term) -> None:
    """An order its terminal could not close stops being payable after the wallet's order TTL."""
    ref = str(term.send(qr_order_create(term.ident, term.trace(), term.batch, 700))[37])
    assert term.send(qr_order_query(term.ident, term.trace(), term.batch, ref))[39] == "09"
    host.call(lambda sim: age_order(sim, ref))
    assert term.send(qr_order_query(term.ident, term.trace(), term.batch, ref))[39] == "12"
    assert host.call(lambda sim: sim.pay_order(ref, "demo-alipay")) == "12"


def test_admin_message_pays_an_order(host: SimulatorThread, term: Term) -> None:
    assert host.port is not None
    created = term.send(qr_order_create(term.ident, term.trace(), term.batch, 500))
    admin = TcpHostLink("127.0.0.1", host.port, FAST_LINK)
    try:
        assert admin.transact(admin_pay_order(str(created[37])))[39] == "00"
        assert admin.transact(admin_pay_order("Q00000000000"))[39] == "25"
    finally:
        admin.close()
    assert term.send(qr_order_query(term.ident, term.trace(), term.batch, str(created[37])))[39] == "00"


def test_cli_pay_order(host: SimulatorThread, term: Term, capsys: pytest.CaptureFixture[str]) -> None:
    from terminal.cli import main

    created = term.send(qr_order_create(term.ident, term.trace(), term.batch, 500))
    assert main(["host", "--port", str(host.port), "--pay-order", str(created[37])]) == 0
    assert "response 00" in capsys.readouterr().out


def test_approval_carries_a_mac_under_the_session_mak(term: Term) -> None:
    _, reply = term.purchase("pboc-sda", 100)
    assert term.keys is not None
    assert reply[64] == mac_message(reply.with_fields({64: None}), term.keys.mak)[64]
