"""SELECT PPSE and combination selection (EMV Contactless Book B 3.3): directory entries by priority and
order, kernel identifiers, reader combinations, Select Next, and the End Application / Try Another
Interface cases. A co-badged card is made of two virtual contactless cards behind one PPSE."""

from __future__ import annotations

import dataclasses

import pytest

from emv import tlv
from emv.apdu import Command
from emv.cards.contactless import PPSE_NAME, ContactlessCard, load_contactless_card
from emv.kernel.contactless import ContactlessKernel, ContactlessResult
from emv.kernel.contactless.ppse import requested_kernel
from emv.kernel.context import Outcome, Transaction
from emv.kernel.params import ContactlessParams, TerminalParams

from .clkit import CAPKS, PARAMS, UN, WHEN, Cardholder, fixed_random

CUP, VISA, MC = "A000000333010101", "A0000000031010", "A0000000041010"
PROFILES = {CUP: "qpboc-debit", VISA: "qvsdc", MC: "c2"}

Entry = tuple[str, int | None, str | None]  # ADF name, priority, kernel identifier (hex)


class CoBadged:
    """One PPSE listing ``entries``; SELECT of an AID routes the session to that application's card."""

    def __init__(self, entries: list[Entry], refuse: dict[tuple[str, int], int] | None = None) -> None:
        self.entries = entries
        self.refuse = refuse or {}  # (AID, INS) -> status word
        self.cards: dict[str, ContactlessCard] = {
            aid: load_contactless_card(name, random_bytes=fixed_random) for aid, name in PROFILES.items()
        }
        self.current: str | None = None
        self.sent: list[str] = []

    def ppse(self) -> bytes:
        items: list[tuple[int, bytes | list[tuple[int, bytes]]]] = []
        for aid, priority, kernel in self.entries:
            entry = [(0x4F, bytes.fromhex(aid))]
            if priority is not None:
                entry.append((0x87, bytes((priority,))))
            if kernel is not None:
                entry.append((0x9F2A, bytes.fromhex(kernel)))
            items.append((0x61, entry))
        return tlv.encode([(0x6F, [(0x84, PPSE_NAME), (0xA5, [(0xBF0C, items)])])]) + b"\x90\x00"

    def __call__(self, capdu: bytes) -> bytes:
        cmd = Command.parse(capdu)
        if cmd.ins == 0xA4 and cmd.data == PPSE_NAME:
            self.sent.append("PPSE")
            return self.ppse()
        if cmd.ins == 0xA4:
            self.current = cmd.data.hex().upper()
            self.sent.append(self.current)
        key = (self.current or "", cmd.ins)
        if key in self.refuse:
            return self.refuse[key].to_bytes(2, "big")
        if self.current not in self.cards:
            return b"\x6a\x82"
        return self.cards[self.current].transmit(capdu)


def _tap(card: CoBadged, amount: int = 1000, params: TerminalParams = PARAMS) -> ContactlessResult:
    kernel = ContactlessKernel(params, CAPKS, card, Cardholder([]), unpredictable=lambda: UN)
    return kernel.start(Transaction(amount_minor=amount, when=WHEN, sequence_counter=1))


@pytest.mark.parametrize(
    ("adf", "kernel_id", "expected"),
    [
        (MC, None, 2),
        (VISA, None, 3),
        (CUP, None, 7),
        (CUP, "", 7),  # empty: the RID's default
        (CUP, "00", 7),  # kernel 0: the RID's default
        (VISA, "03", 3),
        (VISA, "02", 2),  # the card names another EMVCo kernel
        (CUP, "47", 7),  # b8-b7 01: the short identifier in b6-b1
        (CUP, "C10203", None),  # domestic kernel: not on this reader
        ("A000000025010801", None, 4),
        ("A000000999010101", None, None),  # unknown RID, no identifier
    ],
)
def test_requested_kernel(adf: str, kernel_id: str | None, expected: int | None) -> None:
    raw = None if kernel_id is None else bytes.fromhex(kernel_id)
    assert requested_kernel(bytes.fromhex(adf), raw) == expected


# directory entries -> (SELECTs sent after the PPSE, kernel run, outcome)
TABLE: list[tuple[list[Entry], list[str], str, str]] = [
    ([(VISA, 2, None), (CUP, 1, None)], [CUP], "qPBOC", "APPROVED_OFFLINE"),  # priority 1 first
    ([(VISA, 1, None), (CUP, 1, None)], [VISA], "qVSDC", "APPROVED_OFFLINE"),  # a tie: directory order
    ([(CUP, None, None), (MC, 3, None)], [MC], "C-2", "APPROVED_OFFLINE"),  # no priority goes last
    ([(CUP, 0, None), (VISA, 15, None)], [VISA], "qVSDC", "APPROVED_OFFLINE"),  # 0 is "no priority"
    ([(CUP, 1, "02"), (VISA, 2, "03")], [VISA], "qVSDC", "APPROVED_OFFLINE"),  # UnionPay on kernel 2: none
    ([(CUP, 1, "C10203")], [], "", "TERMINATED"),  # domestic kernel only
    ([("A000000999010101", 1, None)], [], "", "TERMINATED"),  # nothing the reader knows
    ([], [], "", "TERMINATED"),  # empty directory
]


@pytest.mark.parametrize(("entries", "selected", "kernel", "outcome"), TABLE)
def test_combination_selection(entries: list[Entry], selected: list[str], kernel: str, outcome: str) -> None:
    card = CoBadged(entries)
    result = _tap(card)
    assert (card.sent, result.kernel, result.outcome.name) == (["PPSE", *selected], kernel, outcome)


def test_select_next_after_a_refused_select_and_a_gpo_6985() -> None:
    entries: list[Entry] = [(VISA, 1, None), (MC, 2, None), (CUP, 3, None)]
    card = CoBadged(entries, refuse={(VISA, 0xA4): 0x6A81, (MC, 0xA8): 0x6985})
    result = _tap(card)
    assert card.sent == ["PPSE", VISA, MC, CUP]
    assert (result.kernel, result.outcome) == ("qPBOC", Outcome.APPROVED_OFFLINE)
    # the selected application's data only: no trace of the Mastercard application's AIP
    assert result.receipt[0x84] == bytes.fromhex(CUP)
    card = CoBadged([(CUP, 1, None)], refuse={(CUP, 0xA8): 0x6985})
    assert _tap(card).reason == "no contactless application the reader supports"


@pytest.mark.parametrize(
    ("ppse", "reason"),
    [
        (b"\x6a\x82", "SELECT PPSE answered 6A82: no contactless payment application"),
        (b"\x6f\x05\x84\x01\x00\x90\x00", "malformed PPSE FCI (value overruns its template at offset 0)"),
        (b"\xa5\x00\x90\x00", "PPSE FCI lacks 6F or 84"),
        (b"\x90", "card error: response shorter than its status word at offset 1"),
    ],
)
def test_no_usable_ppse_ends_the_application(ppse: bytes, reason: str) -> None:
    kernel = ContactlessKernel(PARAMS, CAPKS, lambda capdu: ppse, Cardholder([]), unpredictable=lambda: UN)
    result = kernel.start(Transaction(amount_minor=1000, when=WHEN, sequence_counter=1))
    assert (result.outcome, result.reason, len(result.trace)) == (Outcome.TERMINATED, reason, 1)
    assert result.ui_message == "Insert, swipe or try another card" and result.card_removable


def test_an_application_over_its_own_limit_means_another_interface() -> None:
    cl = PARAMS.contactless
    assert cl is not None
    visa_low = dataclasses.replace(cl.combinations[1], transaction_limit=5000)
    params = dataclasses.replace(
        PARAMS, contactless=ContactlessParams(cl.ttq, 0x60, 0x08, (cl.combinations[0], visa_low))
    )
    card = CoBadged([(VISA, 1, None)])
    result = _tap(card, 8000, params)
    assert (result.outcome, card.sent) == (Outcome.TRY_ANOTHER_INTERFACE, ["PPSE"])
    card = CoBadged([(VISA, 1, None), (CUP, 2, None)])  # a co-badged card: the UnionPay side is allowed
    result = _tap(card, 8000, params)
    assert (result.outcome, result.kernel, card.sent) == (Outcome.APPROVED_OFFLINE, "qPBOC", ["PPSE", CUP])


def test_terminal_without_contactless_reader() -> None:
    params = dataclasses.replace(PARAMS, contactless=None)
    result = _tap(CoBadged([(CUP, 1, None)]), 1000, params)
    assert result.outcome is Outcome.TERMINATED and result.trace == []


def test_negative_amount_terminates() -> None:
    assert _tap(CoBadged([(CUP, 1, None)]), -1).outcome is Outcome.TERMINATED
