"""Hypothesis: whatever a card answers during a tap, the contactless kernel ends in the outcome it
prescribes, never an exception (EMV Contactless Book A: every card response is untrusted).

Random status words, flipped or truncated responses, garbage, rewritten data objects of the GPO response,
and random amounts, over every contactless virtual card. Each result is checked against the rules that
hold whatever happened: the card is removable, an offline approval has passed ODA, an online request
carries a cryptogram, and the GPO status words and reader limits give their fixed outcomes.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from emv import tlv
from emv.apdu import Command
from emv.cards.contactless import list_contactless_profiles
from emv.kernel.contactless import ContactlessResult
from emv.kernel.context import Outcome
from tests.unit.emv.card_mutation import mutate, mutations
from tests.unit.emv.contactless.clkit import make_tap

PROFILES = list_contactless_profiles()
QPBOC = [p for p in PROFILES if not p.startswith("c2")]

_mutation = mutations(responses=10, junk=60)


def _check(result: ContactlessResult) -> None:
    """What every tap result satisfies, whatever the card said."""
    assert isinstance(result, ContactlessResult) and isinstance(result.outcome, Outcome)
    assert result.card_removable and result.removable_after is not None
    assert result.removable_after <= len(result.trace) and result.reason
    if result.outcome is Outcome.APPROVED_OFFLINE:
        assert result.tsi[0] & 0x80  # offline data authentication performed...
        assert not result.tvr[0] & 0xEC  # ...and neither failed nor missing data nor skipped
        assert result.tvr[1] & 0x40 == 0  # not expired
    if result.outcome is Outcome.GO_ONLINE:
        assert len(result.field55.get(0x9F26, b"")) == 8 and 0x9F36 in result.field55
    assert result.outcome not in (Outcome.APPROVED_ONLINE, Outcome.DECLINED_ONLINE)  # only complete() does


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(PROFILES),
    st.lists(_mutation, min_size=1, max_size=3),
    st.sampled_from([1000, 50000, 150000]),
)
def test_mutated_card_responses_give_an_outcome(
    profile: str, mutations: list[tuple[int, str, int, int, bytes]], amount: int
) -> None:
    count = [0]

    def rewrite(cmd: Command, rapdu: bytes) -> bytes:
        for which, kind, pos, byte, junk in mutations:
            if which == count[0]:
                rapdu = mutate(rapdu, kind, pos, byte, junk)
        count[0] += 1
        return rapdu

    tap = make_tap(profile, rewrite=rewrite)
    result = tap.start(amount)
    _check(result)
    if result.outcome is Outcome.GO_ONLINE:
        final = tap.kernel.complete(None)
        assert final.outcome is Outcome.DECLINED_OFFLINE and final.receipt[0x8A] == b"Z3"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(QPBOC), st.integers(0, 0xFFFF), st.binary(max_size=8))
def test_gpo_status_words_give_their_outcome(profile: str, sw: int, data: bytes) -> None:
    def rewrite(cmd: Command, rapdu: bytes) -> bytes:
        return data + sw.to_bytes(2, "big") if cmd.ins == 0xA8 and sw != 0x9000 else rapdu

    result = make_tap(profile, rewrite=rewrite).start(1000)
    _check(result)
    if sw == 0x9000:
        assert result.outcome is Outcome.APPROVED_OFFLINE or profile != "qpboc-debit"
    elif sw == 0x6984:
        assert result.outcome is Outcome.TRY_ANOTHER_INTERFACE
    elif sw == 0x6986:
        assert result.outcome is Outcome.TERMINATED and result.restart
    elif sw == 0x6985:  # select next: the card has no other application
        assert result.reason == "no contactless application the reader supports"
    else:
        assert result.reason == f"GET PROCESSING OPTIONS answered {sw:04X}"
    assert result.outcome in (Outcome.TERMINATED, Outcome.TRY_ANOTHER_INTERFACE) or sw == 0x9000


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(QPBOC),
    st.sampled_from([0x82, 0x94, 0x9F36, 0x9F26, 0x9F27, 0x9F10, 0x57, 0x5F34, 0x9F6C, 0x9F69, 0x9F4B]),
    st.one_of(st.none(), st.binary(max_size=140)),
    st.sampled_from([1000, 50000, 150000]),
)
def test_rewritten_gpo_data_objects_give_an_outcome(
    profile: str, tag: int, value: bytes | None, amount: int
) -> None:
    rewritten: list[bool] = []

    def rewrite(cmd: Command, rapdu: bytes) -> bytes:
        if cmd.ins != 0xA8 or rapdu[-2:] != b"\x90\x00":
            return rapdu
        rewritten.append(True)
        [top] = tlv.decode(rapdu[:-2]).top()
        items = [(c.tag, value if c.tag == tag else c.value) for c in top.children()]
        return tlv.encode([(0x77, [(t, v) for t, v in items if v is not None])]) + b"\x90\x00"

    result = make_tap(profile, rewrite=rewrite).start(amount)
    _check(result)
    if rewritten and value is None and tag in (0x82, 0x9F36, 0x9F26, 0x9F10, 0x57):
        assert result.outcome is Outcome.TERMINATED and result.tvr[0] & 0x20  # ICC data missing


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PROFILES), st.integers(0, 2_000_000))
def test_reader_limits_decide_before_the_card(profile: str, amount: int) -> None:
    tap = make_tap(profile)
    result = tap.start(amount)
    _check(result)
    if amount >= 500000 or amount == 0:  # transaction limit; zero amounts not allowed at this reader
        assert result.outcome is Outcome.TRY_ANOTHER_INTERFACE and result.trace == []
    else:
        assert result.trace and result.outcome is not Outcome.TRY_ANOTHER_INTERFACE
        if amount > 30000:  # over the floor limit the card must give an online cryptogram
            assert result.outcome in (Outcome.GO_ONLINE, Outcome.TERMINATED)
