"""Hypothesis holds host.fastcodec to the reference codec (host.framing on pyiso8583): the fast decoder never
accepts a frame the reference rejects and decodes what it accepts to the same message; the fast encoder
gives the same bytes, or declines and lets the reference raise its located error."""

from __future__ import annotations

import string
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from host import fastcodec
from host.errors import Iso8583Error
from host.framing import frame, unframe
from host.profile import FIELDS, MTIS, FieldSpec, Kind
from host.protocol import FieldValue, Header, Message, Tpdu

SAMPLE = bytes.fromhex((Path(__file__).parents[1] / "data" / "cup_0200_sample.hex").read_text())
_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))


def _value(spec: FieldSpec, loose: bool) -> st.SearchStrategy[FieldValue]:
    top = min(spec.max_len, 120)
    lo, hi = (spec.max_len, spec.max_len) if spec.prefix == 0 else (0, top)
    if loose:  # lengths and characters the profile may refuse
        lo, hi = 0, top + 2
    if spec.kind is Kind.B:
        return st.binary(min_size=lo, max_size=hi)
    alphabet = {Kind.N: string.digits, Kind.Z: string.digits + "D"}.get(spec.kind, _PRINTABLE)
    if loose:
        alphabet += "AdZ\x7f\x00é"
    return st.text(alphabet, min_size=lo, max_size=hi)


@st.composite
def _messages(draw: st.DrawFn, loose: bool = False) -> Message:
    numbers = draw(st.sets(st.sampled_from(sorted(FIELDS)), max_size=14))
    fields = {n: draw(_value(FIELDS[n], loose)) for n in numbers}
    tpdu = Tpdu(draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 0xFFFF)))
    header = Header(draw(st.sampled_from(["60", "61"])), "31", draw(st.integers(0, 9)), 0, "311003")
    mti = draw(st.sampled_from(sorted(MTIS) + (["0300", "9999"] if loose else [])))
    return Message(mti, fields, tpdu, header)


def _same_decode(data: bytes) -> None:
    fast = fastcodec._decode(data, 2048)
    try:
        reference = unframe(data)
    except Iso8583Error:
        assert fast is None  # never accept what the reference refuses
        return
    assert fast is None or fast == reference


@given(_messages())
@settings(max_examples=400)
def test_valid_messages_encode_and_decode_the_same(msg: Message) -> None:
    wire = frame(msg)
    assert fastcodec.frame_fast(msg) == wire
    assert fastcodec._decode(wire, 2048) == msg


@given(_messages(loose=True))
@settings(max_examples=400)
def test_loose_messages_encode_the_same_or_defer(msg: Message) -> None:
    fast = fastcodec._encode(msg, 2048)
    try:
        wire = frame(msg)
    except Iso8583Error:
        assert fast is None
        return
    assert fast is None or fast == wire


@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    _same_decode(data)


@given(
    st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)), max_size=4),
    st.one_of(st.none(), st.integers(0, len(SAMPLE))),
)
@settings(max_examples=400)
def test_mutated_sample(edits: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(SAMPLE)
    for at, value in edits:
        data[at] = value
    if cut is not None:
        data = data[:cut]
        data[:2] = (max(len(data) - 2, 0)).to_bytes(2, "big")[: len(data)]
    _same_decode(bytes(data))


@given(st.sets(st.sampled_from(sorted(FIELDS))), st.binary(max_size=300))
@settings(max_examples=400)
def test_random_fields_behind_a_valid_bitmap(numbers: set[int], body: bytes) -> None:
    bitmap = sum(1 << (64 - n) for n in numbers).to_bytes(8, "big")
    payload = SAMPLE[2:13] + bytes.fromhex("0200") + bitmap + body
    _same_decode(len(payload).to_bytes(2, "big") + payload)


def test_the_real_0200() -> None:
    msg = fastcodec.unframe_fast(SAMPLE)
    assert msg == unframe(SAMPLE) and fastcodec.frame_fast(msg) == SAMPLE
