"""Hypothesis: emv.tlv round-trips generated trees and turns any bytes into a result or a TlvError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.corpus import build_corpus
from emv import tlv
from emv.errors import TlvError
from emv.tlv import _diagnose

# Well-formed BER tags of 1 to 3 bytes, primitive or constructed, never 00.
_first_single = st.integers(1, 0xFF).filter(lambda b: b & 0x1F != 0x1F)
_first_multi = st.integers(0, 7).map(lambda c: (c << 5) | 0x1F)  # class bits, constructed bit, 11111
_tags = st.one_of(
    _first_single,
    st.tuples(_first_multi, st.integers(0, 0x7F)).map(lambda p: p[0] << 8 | p[1]),
    st.tuples(_first_multi, st.integers(0x81, 0xFF), st.integers(0, 0x7F)).map(
        lambda p: p[0] << 16 | p[1] << 8 | p[2]
    ),
)
_primitive_tags = _tags.filter(lambda t: not tlv.is_constructed(t))
_constructed_tags = _tags.filter(tlv.is_constructed)
_values = st.one_of(st.binary(max_size=20), st.binary(min_size=120, max_size=300))


def _trees(max_leaves: int = 30) -> st.SearchStrategy[tlv.Tree]:
    leaf = st.tuples(_primitive_tags, _values)
    return st.recursive(
        st.lists(leaf, max_size=4),
        lambda children: st.lists(st.one_of(leaf, st.tuples(_constructed_tags, children)), max_size=4),
        max_leaves=max_leaves,
    )


@given(_trees())
def test_decode_of_encode_is_identity(tree: tlv.Tree) -> None:
    data = tlv.encode(tree)
    assert tlv.as_tree(tlv.decode(data)) == tree
    assert tlv.encode(tlv.as_tree(tlv.decode(data))) == data


@given(_trees(), st.data())
def test_padding_between_objects_changes_nothing(tree: tlv.Tree, draw: st.DataObject) -> None:
    def pad(t: tlv.Tree) -> bytes:
        out = b""
        for tag, value in t:
            out += b"\x00" * draw.draw(st.integers(0, 2))
            body = value if isinstance(value, bytes) else pad(value)
            out += tlv.encode_tag(tag) + tlv.encode_length(len(body)) + body
        return out + b"\x00" * draw.draw(st.integers(0, 2))

    assert tlv.as_tree(tlv.decode(pad(tree))) == tree


@given(st.dictionaries(_primitive_tags, st.binary(max_size=40), max_size=12))
def test_parse_of_unique_primitives(items: dict[int, bytes]) -> None:
    data = tlv.encode([(0x70, list(items.items()))])
    assert tlv.parse(data) == items


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_result_or_tlverror(data: bytes) -> None:
    try:
        result = tlv.decode(data)
    except TlvError as err:
        assert 0 <= err.offset <= len(data)
        # the slow diagnosis agrees that the data is malformed, at the same place
        try:
            _diagnose(data)
        except TlvError as slow:
            assert (slow.offset, slow.tag, slow.reason) == (err.offset, err.tag, err.reason)
        else:
            raise AssertionError("fast loop rejected data the diagnosis accepts") from None
    else:
        _diagnose(data)  # accepts it too
        tlv.as_tree(result)
    try:
        flat = tlv.parse(data)
    except TlvError:
        pass
    else:
        assert all(not tlv.is_constructed(t) for t in flat)


_corpus = [s.data for s in build_corpus(copies=2)]


@settings(max_examples=300)
@given(st.sampled_from(_corpus), st.data())
def test_mutated_card_data_gives_a_result_or_tlverror(data: bytes, draw: st.DataObject) -> None:
    buf = bytearray(data)
    for _ in range(draw.draw(st.integers(1, 4))):
        pos = draw.draw(st.integers(0, len(buf) - 1))
        buf[pos] = draw.draw(st.integers(0, 255))
    cut = draw.draw(st.integers(0, len(buf)))
    for candidate in (bytes(buf), bytes(buf[:cut])):
        try:
            tlv.decode(candidate)
        except TlvError:
            pass
        try:
            tlv.parse(candidate)
        except TlvError:
            pass
