"""Settlement (0500/0510) balanced and not balanced, batch upload (0320) with its end message."""

from __future__ import annotations

from host.fields import Field60
from host.protocol import Message
from host.requests import batch_upload, batch_upload_end, refund, settlement, void
from host.runner import SimulatorThread
from host.settlement import SettlementResult, SettlementTotals, Totals
from tests.unit.host.sim_support import Term, host, link, term

__all__ = ["host", "link", "term"]


def _day(term: Term) -> list[tuple[Message, Message]]:
    """A day of business: two domestic purchases, one foreign, a void, a refund, a decline."""
    done = [term.purchase("pboc-sda", 1000), term.purchase("pboc-sda", 2000), term.purchase("visa-cda", 500)]
    v_req, v_reply = term.purchase("mc-dda", 700)
    rrn, auth = str(v_reply[37]), str(v_reply[38])
    assert (
        term.send(void(term.ident, term.trace(), term.batch, 700, rrn, auth, int(str(v_req[11]))))[39] == "00"
    )
    first_req, first = done[0]
    ref = refund(
        term.ident, term.trace(), term.batch, 300, str(first[37]), term.batch, int(str(first_req[11]))
    )
    assert term.send(ref)[39] == "00"
    assert term.purchase("pboc-sda", 0)[1][39] == "13"
    return done


TERMINAL_TOTALS = SettlementTotals(Totals(3000, 2, 300, 1), Totals(500, 1, 0, 0))


def test_balanced_settlement_closes_the_batch(term: Term) -> None:
    _day(term)
    reply = term.send(settlement(term.ident, term.trace(), term.batch, TERMINAL_TOTALS))
    assert reply.mti == "0510" and reply[39] == "00"
    result = SettlementTotals.from_field(str(reply[48]))
    assert result.balanced and not result.needs_batch_upload
    assert (result.domestic, result.foreign) == (TERMINAL_TOTALS.domestic, TERMINAL_TOTALS.foreign)
    # the next sign-on gives the next batch number
    old = term.batch
    term.sign_on()
    assert term.batch == old + 1


def test_unbalanced_settlement_then_batch_upload(host: SimulatorThread, term: Term) -> None:
    done = _day(term)
    wrong = SettlementTotals(Totals(3100, 2, 300, 1), Totals(500, 1, 0, 0))
    reply = term.send(settlement(term.ident, term.trace(), term.batch, wrong))
    result = SettlementTotals.from_field(str(reply[48]))
    assert (result.domestic_result, result.foreign_result) == (
        SettlementResult.NOT_BALANCED,
        SettlementResult.BALANCED,
    )
    assert result.needs_batch_upload
    for request, _ in done:
        upload = batch_upload(term.ident, term.trace(), term.batch, int(str(request[4])), pan=str(request[2]))
        answer = term.send(upload)
        assert answer.mti == "0330" and answer[39] == "00"
    end = term.send(batch_upload_end(term.ident, term.trace(), term.batch, len(done), balanced=False))
    assert end[39] == "00" and Field60.from_field(str(end[60])).network_code == "202"
    status = host.call(lambda sim: sim.store.batches[(term.ident.tid, term.batch)].status)
    uploaded = host.call(lambda sim: sim.store.batches[(term.ident.tid, term.batch)].uploaded)
    assert (status, uploaded) == ("settled", len(done))
    term.sign_on()
    assert term.batch == 2


def test_unbalanced_fault(host: SimulatorThread, term: Term) -> None:
    _day(term)
    host.call(lambda sim: sim.add_fault("unbalanced", mti="0500"))
    reply = term.send(settlement(term.ident, term.trace(), term.batch, TERMINAL_TOTALS))
    assert SettlementTotals.from_field(str(reply[48])).domestic_result == SettlementResult.NOT_BALANCED


def test_empty_batch_balances_with_zero_totals(term: Term) -> None:
    reply = term.send(settlement(term.ident, term.trace(), term.batch, SettlementTotals(Totals())))
    assert SettlementTotals.from_field(str(reply[48])).balanced


def test_settlement_without_totals_is_a_format_error(term: Term) -> None:
    request = settlement(term.ident, term.trace(), term.batch, SettlementTotals(Totals()))
    assert term.send(request.with_fields({48: None}))[39] == "30"
