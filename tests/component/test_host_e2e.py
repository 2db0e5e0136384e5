"""A purchase from a virtual card through the real contact kernel and a real TCP connection to the host
simulator: the host verifies the ARQC, the card accepts the ARPC (EMV 4.4 Book 2 8.1-8.2, Book 3 10.9)."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Sequence

import pytest

from drivers.host import TcpHostLink
from emv import tlv
from emv.cards import VirtualCard, load_card
from emv.kernel.capk import default_capks
from emv.kernel.context import KernelResult, Outcome, Transaction
from emv.kernel.kernel import ContactKernel
from emv.kernel.online import HostReply
from emv.kernel.params import default_params
from host.fields import REQUEST_ICC_TAGS, encode_icc_data
from host.protocol import Message
from host.requests import CardData, encipher_pin, purchase
from host.runner import SimulatorThread
from tests.unit.host.sim_support import PANS, Term, host, link, term

__all__ = ["host", "link", "term"]

PARAMS, CAPKS = default_params(), default_capks()
TVR_ISSUER_AUTH_FAILED = (4, 0x40)


class _Cardholder:
    def __init__(self, pin: str) -> None:
        self.pin = pin

    def choose_application(self, labels: Sequence[str]) -> int | None:
        return 0

    def enter_offline_pin(self, tries_left: int | None) -> bytearray | None:
        return bytearray(self.pin.encode("ascii"))

    def enter_online_pin(self) -> bool:
        return True


def _sale(
    term: Term, profile: str, amount: int, *, tamper_arpc: bool = False
) -> tuple[KernelResult, KernelResult, Message, VirtualCard]:
    """One chip sale: kernel to GO_ONLINE, 0200 over TCP, the reply back into the kernel."""
    card = load_card(profile)
    prof = card.image.profile
    kernel = ContactKernel(PARAMS, CAPKS, card.transmit, _Cardholder(prof.pin), rng=random.Random(5))
    trace = term.trace()
    first = kernel.start(
        Transaction(
            amount_minor=amount, when=dt.datetime.now().replace(microsecond=0), sequence_counter=trace
        )
    )
    assert first.outcome is Outcome.GO_ONLINE, first.reason
    pan = first.card[0x5A].hex().upper().rstrip("F")
    icc = encode_icc_data([(t, first.field55[t]) for t in REQUEST_ICC_TAGS if t in first.field55])
    assert term.keys is not None
    pin_block = encipher_pin(term.keys.pik, prof.pin, pan) if first.online_pin else None
    data = CardData(
        pan=pan,
        expiry=first.card[0x5F24].hex()[:4],
        psn=first.card[0x5F34].hex() if 0x5F34 in first.card else None,
        icc=icc,
        pin_block=pin_block,
        entry_mode="051" if pin_block is not None else "052",
    )
    reply = term.send(purchase(term.ident, trace, term.batch, amount, data))
    f55 = reply.get(55)
    arpc = tlv.parse(f55).get(0x91) if isinstance(f55, bytes) else None
    if tamper_arpc and arpc is not None:
        arpc = bytes([arpc[0] ^ 0x01]) + arpc[1:]
    final = kernel.complete(HostReply(str(reply[39]).encode(), arpc, f55 if isinstance(f55, bytes) else b""))
    return first, final, reply, card


def _tvr_bit(result: KernelResult, bit: tuple[int, int]) -> bool:
    return bool(result.tvr[bit[0]] & bit[1])


@pytest.mark.parametrize(("profile", "amount"), [("visa-cda", 2500), ("pboc-sda", 2500), ("mc-dda", 20000)])
def test_chip_purchase_approved_with_verified_arqc_and_accepted_arpc(
    host: SimulatorThread, term: Term, caplog: pytest.LogCaptureFixture, profile: str, amount: int
) -> None:
    caplog.set_level(logging.DEBUG)
    before = host.call(lambda sim: sim.account_of(PANS[profile]).balance_fen)
    first, final, reply, _ = _sale(term, profile, amount)
    assert reply[39] == "00"
    f55 = reply[55]
    assert isinstance(f55, bytes) and 0x91 in tlv.parse(f55)  # only a verified ARQC gets an ARPC
    assert final.outcome is Outcome.APPROVED_ONLINE, final.reason
    assert not _tvr_bit(final, TVR_ISSUER_AUTH_FAILED)  # the card accepted the ARPC
    assert final.receipt.get(0x9F26) != first.field55.get(0x9F26)  # TC after the ARQC
    assert host.call(lambda sim: sim.account_of(PANS[profile]).balance_fen) == before - amount
    assert PANS[profile] not in caplog.text


def test_a_wrong_arpc_is_caught_by_the_card(term: Term) -> None:
    _, final, reply, _ = _sale(term, "visa-cda", 2500, tamper_arpc=True)
    assert reply[39] == "00"
    assert final.outcome is Outcome.DECLINED_ONLINE  # visa-cda declines when issuer authentication fails
    assert final.reversal_needed  # the host approved, the card declined: reversal reason 06


def test_issuer_decline_carries_an_arpc_the_card_accepts(host: SimulatorThread, term: Term) -> None:
    host.call(lambda sim: sim.set_account("acct-pboc-sda", balance_fen=10))
    _, final, reply, _ = _sale(term, "pboc-sda", 2500)
    assert reply[39] == "51"
    assert final.outcome is Outcome.DECLINED_ONLINE
    assert not _tvr_bit(final, TVR_ISSUER_AUTH_FAILED)


def test_issuer_script_is_delivered_and_run_by_the_card(host: SimulatorThread, term: Term) -> None:
    host.call(lambda sim: sim.set_card(PANS["visa-cda"], script="72:block"))
    _, final, reply, card = _sale(term, "visa-cda", 2500)
    assert reply[39] == "00" and final.outcome is Outcome.APPROVED_ONLINE
    assert len(final.script_results) == 5 and final.script_results[0] >> 4 == 0x2  # performed successfully
    assert card.state.app_blocked


def test_link_over_a_real_tcp_connection(link: TcpHostLink, host: SimulatorThread) -> None:
    assert host.port is not None and link.url == f"tcp://127.0.0.1:{host.port}"
