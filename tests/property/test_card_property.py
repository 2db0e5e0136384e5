"""Hypothesis: a virtual card answers any C-APDU, in any transaction phase, with a well-formed R-APDU.

Every answer has at least the two status bytes and a status word from the card's table (EMV 4.4 Book 3,
6.3.5; ISO/IEC 7816-4), never an exception and never the 6F00 "no precise diagnosis" backstop, which would
mean a handler failed on the input.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from emv import apdu
from emv.cards import list_profiles, load_card
from emv.cards.card import COMMANDS

VALID_SW = {0x9000, 0x6283, 0x6300, 0x6700, 0x6983, 0x6985, 0x6988, 0x6A80, 0x6A81, 0x6A82, 0x6A83,
            0x6A86, 0x6A88, 0x6D00, 0x6E00} | set(range(0x63C0, 0x63C4))  # fmt: skip

_classes = st.sampled_from([0x00, 0x80, 0x84, 0x04]) | st.integers(0, 255)
_ins = st.sampled_from(sorted(COMMANDS)) | st.integers(0, 255)
# data of the lengths the profiles' DOLs, keys and blocks ask for, so deep paths are reached too
_data = st.binary(max_size=255) | st.sampled_from([2, 4, 8, 9, 10, 16, 18, 20, 29, 34, 40, 128]).flatmap(
    lambda n: st.binary(min_size=n, max_size=n)
)
_structured = st.builds(
    lambda cla, ins, p1, p2, data, le: apdu.Command(cla, ins, p1, p2, data, le).build(),
    _classes,
    _ins,
    st.integers(0, 255),
    st.integers(0, 255),
    _data,
    st.none() | st.integers(0, 255),
)
_apdus = st.binary(max_size=300) | _structured

# Prefixes that bring a card to each phase: selected, after GPO, after an ARQC, after the final AC.
_PREFIXES = ["select", "gpo", "arqc", "final"]


def _prepare(name: str, phase: str) -> object:
    card = load_card(name, random_bytes=lambda n: bytes(n))
    p = card.image.profile
    card.transmit(apdu.select(p.aid))
    if phase == "select":
        return card
    card.transmit(apdu.gpo(bytes(sum(n for _, n in p.pdol_list))))
    if phase == "gpo":
        return card
    card.transmit(apdu.generate_ac(0x80, bytes(sum(n for _, n in p.cdol1_list))))
    if phase == "final":
        card.transmit(apdu.generate_ac(0x40, b"00".ljust(sum(n for _, n in p.cdol2_list), b"\x00")))
    return card


@given(
    name=st.sampled_from(list_profiles()),
    phase=st.sampled_from(_PREFIXES),
    capdus=st.lists(_apdus, min_size=1, max_size=6),
)
@settings(max_examples=300, deadline=None)
def test_random_commands_get_well_formed_answers(name: str, phase: str, capdus: list[bytes]) -> None:
    card = _prepare(name, phase)
    for capdu in capdus:
        rapdu = card.transmit(capdu)  # type: ignore[attr-defined]
        assert len(rapdu) >= 2
        sw = int.from_bytes(rapdu[-2:], "big")
        assert sw in VALID_SW, f"{capdu[:4].hex()} -> {sw:04X}"
        assert sw == 0x9000 or sw == 0x6283 or len(rapdu) == 2  # data only with success
