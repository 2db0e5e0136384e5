"""BER-TLV as EMV uses it: the hot path of every card exchange (EMV 4.4 Book 3, Annex B).

Three entry points share one inner loop design:

- :func:`decode` gives the whole structure of the data as a :class:`Tlv`: a flat, pre-order index of every
  object (tag, value start, value end) over one immutable buffer. A template's children are the entries
  that follow it inside its span, so repeated templates (a PPSE directory's several ``61`` entries, several
  ``71``/``72`` issuer scripts) stay separate and in order, and nothing is parsed twice.
- :func:`parse` gives the flat ``{tag: value}`` map of the primitive objects of one record or response
  whose tags are unique; a duplicate is an error there.
- :func:`encode` builds TLV from ``(tag, value)`` pairs, values being bytes or nested pairs.

Rules followed (Annex B, ISO/IEC 8825-1 as EMV restricts it):

- tags are ints built from their bytes (``0x9F02``); a first byte whose low five bits are ``11111`` is
  followed by more tag bytes while b8 is set, so tags have 1, 2, 3 or more bytes;
- lengths are short form (``00``-``7F``) or long form ``81``, ``82``, ``83``; ``80`` (indefinite) and
  ``84``+ are errors;
- ``00`` bytes before, between and after objects are padding and skipped. ``FF`` is *not* padding: EMV
  contactless data uses ``FF8101``-style constructed tags;
- b6 of the first tag byte says constructed: its value is walked as nested objects.

Why by hand and not a library: this loop runs on every R-APDU, and the design (an index of offsets instead
of per-object containers, errors diagnosed off the hot path) is what makes it several times faster than
the Python peers (``make bench`` prints the figures).

>>> t = decode(bytes.fromhex("6F10840E325041592E5359532E4444463031"))
>>> [hex(tag) for tag in t.tags()], t.object_count
(['0x6f', '0x84'], 2)
>>> t.find(0x84)
b'2PAY.SYS.DDF01'
>>> as_tree(decode(bytes.fromhex("9C01017003950100")))
[(156, b'\\x01'), (112, [(149, b'\\x00')])]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Union

from emv.errors import TlvError

__all__ = [
    "Tlv",
    "TlvError",
    "TlvNode",
    "Tree",
    "as_tree",
    "decode",
    "encode",
    "encode_length",
    "encode_tag",
    "is_constructed",
    "parse",
]

Tree = list[tuple[int, Union[bytes, "Tree"]]]
"""The plain form of decoded data: ``[(tag, bytes | [children...]), ...]``."""

_Buffer = bytes | bytearray | memoryview


class _MalformedError(Exception):
    """Raised inside the fast loop; :func:`_diagnose` turns it into a precise :class:`TlvError`."""


def is_constructed(tag: int) -> bool:
    """True when b6 of the tag's first byte is set (Book 3, Annex B1).

    >>> is_constructed(0x70), is_constructed(0x9F02), is_constructed(0xFF8101), is_constructed(0xBF0C)
    (True, False, True, True)
    """
    return bool((tag >> ((tag.bit_length() - 1) & ~7)) & 0x20) if tag else False


# ---------------------------------------------------------------------------------------------------------
# decode: the flat pre-order index
# ---------------------------------------------------------------------------------------------------------


def decode(data: _Buffer) -> Tlv:
    """Decode every object of ``data`` into a :class:`Tlv` index.

    Raises:
        TlvError: the data is not well-formed BER-TLV; ``.offset`` is where the faulty object starts.
    """
    buf = data if type(data) is bytes else bytes(data)
    out = Tlv()
    out.data = buf
    try:
        _walk(buf, 0, len(buf), out)
    except (_MalformedError, IndexError):
        _diagnose(buf)  # raises the precise TlvError
        raise TlvError("malformed TLV", 0) from None  # pragma: no cover - _diagnose always raises
    except RecursionError:
        raise TlvError("templates nested too deeply", 0) from None
    return out


# What the first byte of an object says, looked up instead of computed in the hot loops (a tuple index
# is one specialised bytecode; `&` on ints is not specialised in CPython 3.11):
# 0 primitive with a one-byte tag, 2 primitive with more tag bytes, -1 constructed with a one-byte tag,
# -2 constructed with more tag bytes (constructed is negative: one comparison), 4 the '00' padding byte.
def _kind(first: int) -> int:
    if first == 0:
        return 4
    multi = first & 0x1F == 0x1F
    if first & 0x20:
        return -2 if multi else -1
    return 2 if multi else 0


_KIND = tuple(_kind(b) for b in range(256))


def _walk(data: bytes, i: int, end: int, out: list[int], kinds: tuple[int, ...] = _KIND) -> None:
    # The hot loop: per object it appends three ints (tag, value start, value end) and nothing else.
    # Bounds: every value end is checked against its template's end; a header running past the whole
    # buffer raises IndexError. Both send decode() to _diagnose(), so the loop itself stays minimal.
    # (``kinds`` is a default argument: a local from the first bytecode, no global lookup per template.)
    while i < end:
        t = data[i]
        i += 1
        k = kinds[t]
        if k:
            if k == 4:  # '00' padding before, between or after objects (Annex B)
                continue
            if k == 2 or k == -2:  # subsequent tag bytes follow while b8 is set
                b = data[i]
                i += 1
                t = t * 256 + b
                while b > 0x7F:
                    b = data[i]
                    i += 1
                    t = t * 256 + b
        n = data[i]
        i += 1
        if n > 0x7F:  # long form: 81, 82, 83
            n -= 0x80
            if n > 3 or not n:
                raise _MalformedError
            e = i + n
            n = int.from_bytes(data[i:e], "big")
            i = e
        e = i + n
        if e > end:
            raise _MalformedError
        out.append(t)
        out.append(i)
        out.append(e)
        if k < 0:
            _walk(data, i, e, out)
        i = e


def _diagnose(data: bytes, unique: bool = False) -> None:
    """Walk ``data`` slowly and raise the first error with its offset, tag and reason.

    The fast loops only notice that something is wrong; this finds where and why. It accepts exactly what
    they accept and returns None for well-formed data (tests cross-check the two). With ``unique``, a
    primitive tag seen twice is an error too (:func:`parse`). Iterative, so nesting depth is no limit.
    """
    stack = [len(data)]
    seen: set[int] = set()
    i = 0
    while stack:
        end = stack[-1]
        if i >= end:
            stack.pop()
            continue
        at = i
        t = data[i]
        i += 1
        if not t:
            continue
        if t & 0x1F == 0x1F:
            while True:
                if i >= end:
                    raise TlvError("truncated tag", at)
                b = data[i]
                i += 1
                t = t * 256 + b
                if not b & 0x80:
                    break
        if i >= end:
            raise TlvError("missing length", at, t)
        n = data[i]
        i += 1
        if n & 0x80:
            k = n - 0x80
            if not k:
                raise TlvError("indefinite length is not allowed", at, t)
            if k > 3:
                raise TlvError("length field longer than 3 bytes", at, t)
            if i + k > end:
                raise TlvError("truncated length", at, t)
            n = int.from_bytes(data[i : i + k], "big")
            i += k
        if i + n > end:
            raise TlvError("value overruns its template", at, t)
        if is_constructed(t):
            stack.append(i + n)
            continue
        if unique:
            if t in seen:
                raise TlvError("duplicate tag", at, t)
            seen.add(t)
        i += n


class Tlv(list[int]):
    """The result of :func:`decode`: a flat pre-order index of every object, over ``data``.

    The list itself holds three ints per object: tag, value start, value end (offsets into ``data``), in
    the order the objects occur, templates before their children. A template's descendants are the
    entries that follow it whose value starts at or before its value end (a later sibling has a header of
    two bytes at least after that end). Being the list itself keeps decoding to one allocation.
    """

    __slots__ = ("data",)
    data: bytes

    @property
    def object_count(self) -> int:
        """Number of objects, templates and primitives, at every depth."""
        return len(self) // 3

    def subtree_end(self, j: int) -> int:
        """Slot just past the descendants of the object at slot ``j`` (``j`` a multiple of 3)."""
        end = self[j + 2]
        j += 3
        n = len(self)
        while j < n and self[j + 1] <= end:
            j += 3
        return j

    def child_slots(self, j: int) -> list[int]:
        """Slots of the direct children of the template at slot ``j``, in order."""
        out = []
        k, stop = j + 3, self.subtree_end(j)
        while k < stop:
            out.append(k)
            k = self.subtree_end(k)
        return out

    def top(self) -> list[TlvNode]:
        """The top-level objects, in order."""
        out = []
        j, n = 0, len(self)
        while j < n:
            out.append(TlvNode(self, j))
            j = self.subtree_end(j)
        return out

    def tags(self) -> list[int]:
        """Every tag, pre-order, repeats included."""
        return self[0::3]

    def find_in(self, tag: int, start: int, stop: int) -> bytes | None:
        """Value of the first object ``tag`` among slots ``start`` to ``stop``, or None."""
        for k in range(start, stop, 3):
            if self[k] == tag:
                return self.data[self[k + 1] : self[k + 2]]
        return None

    def find(self, tag: int) -> bytes | None:
        """The value of the first object ``tag`` at any depth (pre-order), or None."""
        return self.find_in(tag, 0, len(self))

    def find_all(self, tag: int) -> list[TlvNode]:
        """Every object ``tag`` at any depth, in order (for repeated templates such as ``61``, ``71``)."""
        return [TlvNode(self, j) for j in range(0, len(self), 3) if self[j] == tag]

    def __repr__(self) -> str:
        return f"Tlv({self.object_count} objects, {len(self.data)} bytes)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tlv) and self.data == other.data and list.__eq__(self, other)

    __hash__ = None


class TlvNode:
    """One decoded object: its tag, and its value bytes or its children (a view into a :class:`Tlv`)."""

    __slots__ = ("slot", "tlv")

    def __init__(self, tlv: Tlv, slot: int) -> None:
        self.tlv = tlv
        self.slot = slot

    @property
    def tag(self) -> int:
        return self.tlv[self.slot]

    @property
    def constructed(self) -> bool:
        return is_constructed(self.tlv[self.slot])

    @property
    def value(self) -> bytes:
        """The value bytes (for a template, its encoded content)."""
        t, j = self.tlv, self.slot
        return t.data[t[j + 1] : t[j + 2]]

    @property
    def offset(self) -> int:
        """Offset of the value in the decoded buffer."""
        return self.tlv[self.slot + 1]

    def children(self) -> list[TlvNode]:
        """Direct children of a template, in order; ``[]`` for a primitive object."""
        if not self.constructed:
            return []
        return [TlvNode(self.tlv, k) for k in self.tlv.child_slots(self.slot)]

    def find(self, tag: int) -> bytes | None:
        """The value of the first object ``tag`` inside this template (depth-first), or None."""
        return self.tlv.find_in(tag, self.slot + 3, self.tlv.subtree_end(self.slot))

    def __repr__(self) -> str:
        t, j = self.tlv, self.slot
        kind = "template" if self.constructed else f"{t[j + 2] - t[j + 1]} bytes"
        return f"TlvNode({t[j]:02X}, {kind})"


def as_tree(result: Tlv | TlvNode | Sequence[TlvNode]) -> Tree:
    """Turn any decode result into plain nested lists ``[(tag, bytes | [children...]), ...]``.

    >>> as_tree(decode(bytes.fromhex("61034F0100610350014100")))
    [(97, [(79, b'\\x00')]), (97, [(80, b'A')])]
    """
    if isinstance(result, Tlv):
        nodes: Sequence[TlvNode] = result.top()
    elif isinstance(result, TlvNode):
        nodes = [result]
    else:
        nodes = result
    return [(n.tag, as_tree(n.children()) if n.constructed else n.value) for n in nodes]


# ---------------------------------------------------------------------------------------------------------
# parse: the flat map of one record or response
# ---------------------------------------------------------------------------------------------------------


def parse(data: _Buffer) -> dict[int, bytes]:
    """Index the primitive objects of ``data`` by tag, descending into templates.

    For one record or response whose tags are unique (Book 3, section 10.2 reads records this way).

    >>> parse(bytes.fromhex("770D9F2701809F3602000182027C00"))[0x9F27]
    b'\\x80'

    Raises:
        TlvError: malformed data, or a tag that occurs twice ("duplicate tag", at the second one).
    """
    buf = data if type(data) is bytes else bytes(data)
    out: dict[int, bytes] = {}
    try:
        _walk_map(buf, 0, len(buf), out)
    except (_MalformedError, IndexError):
        _diagnose(buf)
        raise TlvError("malformed TLV", 0) from None  # pragma: no cover
    except _DuplicateError:
        _diagnose(buf, unique=True)
        raise TlvError("malformed TLV", 0) from None  # pragma: no cover
    except RecursionError:
        raise TlvError("templates nested too deeply", 0) from None
    return out


class _DuplicateError(Exception):
    """A primitive tag seen twice by :func:`_walk_map`."""


def _walk_map(data: bytes, i: int, end: int, out: dict[int, bytes]) -> None:
    # The same loop as _walk, filling a dict of primitive values instead of the index.
    while i < end:
        t = data[i]
        i += 1
        if not t:
            continue
        c = t & 0x20
        if t & 0x1F == 0x1F:
            b = data[i]
            i += 1
            t = t << 8 | b
            while b & 0x80:
                b = data[i]
                i += 1
                t = t * 256 + b
        n = data[i]
        i += 1
        if n & 0x80:
            k = n - 0x80
            if k > 3 or not k:
                raise _MalformedError
            n = int.from_bytes(data[i : i + k], "big")
            i += k
        e = i + n
        if e > end:
            raise _MalformedError
        if c:
            _walk_map(data, i, e, out)
        elif t in out:
            raise _DuplicateError
        else:
            out[t] = data[i:e]
        i = e


# ---------------------------------------------------------------------------------------------------------
# encode
# ---------------------------------------------------------------------------------------------------------

_Value = Union[bytes, bytearray, memoryview, Sequence[tuple[int, "_Value"]], Mapping[int, "_Value"]]  # noqa: UP007


def encode_tag(tag: int) -> bytes:
    """The bytes of a tag, checking it is a well-formed BER tag (Annex B1).

    >>> encode_tag(0x9F02).hex(), encode_tag(0xDF8101).hex()
    ('9f02', 'df8101')

    Raises:
        TlvError: a tag of 0, or one whose bytes do not follow the subsequent-byte rules.
    """
    if tag <= 0:
        raise TlvError("tag must be a positive int", 0)
    raw = tag.to_bytes((tag.bit_length() + 7) // 8, "big")
    multi = raw[0] & 0x1F == 0x1F
    if (len(raw) > 1) != multi:
        raise TlvError("tag bytes do not follow BER rules", 0, tag)
    if multi and (any(not b & 0x80 for b in raw[1:-1]) or raw[-1] & 0x80):
        raise TlvError("tag bytes do not follow BER rules", 0, tag)
    return raw


def encode_length(length: int) -> bytes:
    """The BER length field: short form below 128, else ``81``/``82``/``83`` (Annex B2).

    >>> encode_length(5).hex(), encode_length(200).hex(), encode_length(300).hex()
    ('05', '81c8', '82012c')

    Raises:
        TlvError: a negative length or one above 0xFFFFFF.
    """
    if 0 <= length < 0x80:
        return bytes((length,))
    if length < 0:
        raise TlvError("negative length", 0)
    if length <= 0xFF:
        return bytes((0x81, length))
    if length <= 0xFFFF:
        return b"\x82" + length.to_bytes(2, "big")
    if length <= 0xFFFFFF:
        return b"\x83" + length.to_bytes(3, "big")
    raise TlvError("value longer than 3-byte length form allows", 0)


def encode(items: Iterable[tuple[int, _Value]] | Mapping[int, _Value]) -> bytes:
    """Encode ``(tag, value)`` pairs (or a mapping) in order.

    A value is bytes (primitive, or a template's already encoded content) or, for a constructed tag,
    nested pairs / a mapping.

    >>> encode([(0x9F02, bytes(6)), (0x70, [(0x5A, b"\\x47\\x61")])]).hex()
    '9f020600000000000070045a024761'

    Raises:
        TlvError: a malformed tag, nested items under a primitive tag, or a value too long.
    """
    pairs = items.items() if type(items) is dict or isinstance(items, Mapping) else items
    out = bytearray()
    for tag, value in pairs:
        # Tags the card emulator and field 55 use again and again are cached (checked once).
        raw_tag = _TAG_BYTES.get(tag)
        if raw_tag is None:
            raw_tag = encode_tag(tag)
            if len(_TAG_BYTES) < 4096:
                _TAG_BYTES[tag] = raw_tag
        out += raw_tag
        if type(value) is bytes:
            body = value
        elif isinstance(value, (bytes, bytearray, memoryview)):
            body = bytes(value)
        else:
            if not is_constructed(tag):
                raise TlvError("nested objects under a primitive tag", 0, tag)
            body = encode(value)
        n = len(body)
        if n < 0x80:
            out.append(n)
        else:
            out += encode_length(n)
        out += body
    return bytes(out)


_TAG_BYTES: dict[int, bytes] = {}
