"""Hypothesis: CUP POS messages round-trip through frame/unframe; any bytes give a Message or an Iso8583Error.

Generated messages use every field of the profile with values of the right kind and length; random and
mutated frames (from the real 0200 of DOMAIN_FACTS test vector 1) must decode or raise Iso8583Error, never
another exception, and whatever decodes must re-encode to the very same bytes (the MAC relies on that).
"""

from __future__ import annotations

import string
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from host.errors import Iso8583Error
from host.framing import frame, unframe
from host.profile import FIELDS, MTIS, FieldSpec, Kind
from host.protocol import FieldValue, Header, Message, Tpdu

SAMPLE = bytes.fromhex((Path(__file__).parents[1] / "data" / "cup_0200_sample.hex").read_text())
_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
_CAP = 120  # keeps generated messages under the 2048-byte frame limit


def _value(spec: FieldSpec) -> st.SearchStrategy[FieldValue]:
    top = min(spec.max_len, _CAP)
    lo, hi = (spec.max_len, spec.max_len) if spec.prefix == 0 else (0, top)
    if spec.kind is Kind.B:
        return st.binary(min_size=lo, max_size=hi)
    alphabet = {Kind.N: string.digits, Kind.Z: string.digits + "D"}.get(spec.kind, _PRINTABLE)
    return st.text(alphabet, min_size=lo, max_size=hi)


@st.composite
def _messages(draw: st.DrawFn) -> Message:
    numbers = draw(st.sets(st.sampled_from(sorted(FIELDS)), max_size=12))
    fields = {n: draw(_value(FIELDS[n])) for n in numbers}
    tpdu = Tpdu(draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 0xFFFF)))
    header = Header(
        draw(st.text(string.digits, min_size=2, max_size=2)),
        "31",
        draw(st.integers(0, 9)),
        draw(st.integers(0, 9)),
        draw(st.text(string.digits, min_size=6, max_size=6)),
    )
    return Message(draw(st.sampled_from(sorted(MTIS))), fields, tpdu, header)


@given(_messages())
@settings(max_examples=300)
def test_unframe_of_frame_is_identity(msg: Message) -> None:
    wire = frame(msg)
    back = unframe(wire)
    assert back == msg
    assert frame(back) == wire


def _decode_or_error(data: bytes) -> None:
    try:
        msg = unframe(data)
    except Iso8583Error as exc:
        assert exc.offset is None or 0 <= exc.offset <= len(data)
        return
    assert frame(msg) == data  # decoding is strict: nothing is normalised away


@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    _decode_or_error(data)


@given(st.sets(st.sampled_from(sorted(FIELDS))), st.binary(min_size=0, max_size=400))
@settings(max_examples=300)
def test_random_fields_behind_a_valid_envelope_and_bitmap(numbers: set[int], body: bytes) -> None:
    bitmap = sum(1 << (64 - n) for n in numbers).to_bytes(8, "big")
    payload = SAMPLE[2:13] + bytes.fromhex("0200") + bitmap + body
    _decode_or_error(len(payload).to_bytes(2, "big") + payload)


_mutation = st.one_of(
    st.tuples(st.just("set"), st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, len(SAMPLE)), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, len(SAMPLE) - 1), st.just(0)),
)


@given(st.lists(_mutation, min_size=1, max_size=4), st.booleans())
@settings(max_examples=500)
def test_mutated_real_0200(mutations: list[tuple[str, int, int]], fix_prefix: bool) -> None:
    data = bytearray(SAMPLE)
    for kind, pos, value in mutations:
        pos = min(pos, len(data) - (kind != "insert"))
        if kind == "set":
            data[pos] = value
        elif kind == "insert":
            data.insert(pos, value)
        elif len(data) > 3:
            del data[pos]
    if fix_prefix and len(data) >= 2:  # an honest prefix, so the mutation reaches the body
        data[:2] = (len(data) - 2).to_bytes(2, "big")
    _decode_or_error(bytes(data))
