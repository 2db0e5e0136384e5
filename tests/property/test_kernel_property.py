"""Hypothesis: whatever a card answers, the contact kernel ends in an outcome, never an exception
(EMV 4.4 Book 3: every card response is untrusted)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from emv.kernel.capk import default_capks
from emv.kernel.context import Outcome, Transaction
from emv.kernel.kernel import ContactKernel
from emv.kernel.online import HostReply
from emv.kernel.params import default_params
from tests.unit.emv.card_mutation import mutate, mutations
from tests.unit.emv.kernel.test_kernel_minicard import MiniCard, Ui

PARAMS, CAPKS = default_params(), default_capks()
WHEN = dt.datetime(2026, 11, 26, 12, 0, 0)

_mutation = mutations(responses=12, junk=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(_mutation, max_size=3), st.sampled_from(["1F00", "0100", "42001E00"]), st.booleans())
def test_mutated_card_responses_give_an_outcome(
    mutations: list[tuple[int, str, int, int, bytes]], cvm: str, approve: bool
) -> None:
    card = MiniCard(cvm=cvm)
    count = 0

    def transmit(capdu: bytes) -> bytes:
        nonlocal count
        rapdu = card(capdu)
        for which, kind, pos, byte, junk in mutations:
            if which == count:
                rapdu = mutate(rapdu, kind, pos, byte, junk)
        count += 1
        return rapdu

    kernel = ContactKernel(PARAMS, CAPKS, transmit, Ui(), unpredictable=lambda: b"\x01\x02\x03\x04")
    first = kernel.start(Transaction(amount_minor=500, when=WHEN, sequence_counter=1))
    assert isinstance(first.outcome, Outcome)
    if first.outcome is Outcome.GO_ONLINE:
        final = kernel.complete(HostReply(b"00" if approve else b"05", bytes(10), b""))
        assert final.outcome in (Outcome.APPROVED_ONLINE, Outcome.DECLINED_ONLINE, Outcome.TERMINATED)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["visa-cda", "mc-dda", "pboc-sda"]), st.lists(_mutation, min_size=1, max_size=2))
def test_mutated_virtual_card_responses_give_an_outcome(
    profile: str, mutations: list[tuple[int, str, int, int, bytes]]
) -> None:
    from emv.cards import load_card

    card = load_card(profile)
    count = 0

    def transmit(capdu: bytes) -> bytes:
        nonlocal count
        rapdu = card.transmit(capdu)
        for which, kind, pos, byte, junk in mutations:
            if which == count % 13:
                rapdu = mutate(rapdu, kind, pos, byte, junk)
        count += 1
        return rapdu

    pin = card.image.profile.pin
    ui = Ui(pin=pin)
    kernel = ContactKernel(PARAMS, CAPKS, transmit, ui, unpredictable=lambda: b"\x01\x02\x03\x04")
    first = kernel.start(Transaction(amount_minor=500, when=WHEN, sequence_counter=1))
    assert isinstance(first.outcome, Outcome)
    if first.outcome is Outcome.GO_ONLINE:
        final = kernel.complete(HostReply(b"00", bytes(10), b""))
        assert isinstance(final.outcome, Outcome)
