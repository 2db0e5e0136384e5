"""Data object lists: PDOL, CDOL1/2, DDOL, TDOL (EMV 4.4 Book 3, section 5.4).

A DOL is a list of tags with lengths and no values. The terminal answers it with the concatenated values,
each fitted to the length the card asked for:

- a value of format n that is too long keeps its rightmost bytes; one too short gets leading ``00``;
- a value of format cn, an, ans or b that is too long keeps its leftmost bytes; one too short is padded
  on the right, with ``FF`` for cn and ``00`` for the others;
- a tag the terminal does not have, does not know, or that is constructed gets ``00`` bytes.

>>> dol = parse_dol(bytes.fromhex("9F02069F37049F1A02"))
>>> dol
[(40706, 6), (40759, 4), (40730, 2)]
>>> build_dol(dol, {0x9F02: bytes.fromhex("0100"), 0x9F37: bytes.fromhex("1122334455")}).hex()
'000000000100112233440000'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from emv import tags
from emv.errors import DolError
from emv.tlv import is_constructed

__all__ = ["Dol", "DolError", "build_dol", "dol_length", "parse_dol"]

Dol = list[tuple[int, int]]
"""A parsed DOL: ``[(tag, length), ...]`` in the card's order."""


def parse_dol(data: bytes | bytearray | memoryview) -> Dol:
    """Read a DOL's tags and lengths (tags and lengths coded as in BER-TLV, Book 3 Annex B).

    ``00`` bytes between entries are skipped as padding.

    >>> parse_dol(bytes.fromhex("9F66049F0206DF810101"))
    [(40806, 4), (40706, 6), (14647553, 1)]

    Raises:
        DolError: a truncated tag or length, or a length form other than short, 81, 82.
    """
    buf = bytes(data)
    out: Dol = []
    i, end = 0, len(buf)
    while i < end:
        at = i
        t = buf[i]
        i += 1
        if not t:
            continue
        if t & 0x1F == 0x1F:
            while True:
                if i >= end:
                    raise DolError("truncated tag", at)
                b = buf[i]
                i += 1
                t = t << 8 | b
                if not b & 0x80:
                    break
        if i >= end:
            raise DolError("missing length", at, t)
        n = buf[i]
        i += 1
        if n & 0x80:
            k = n - 0x80
            if k not in (1, 2) or i + k > end:
                raise DolError("bad length field", at, t)
            n = int.from_bytes(buf[i : i + k], "big")
            i += k
        out.append((t, n))
    return out


def dol_length(dol: Dol) -> int:
    """Total length of the data a DOL asks for.

    >>> dol_length([(0x9F02, 6), (0x9F37, 4)])
    10
    """
    return sum(length for _, length in dol)


def _format_of(tag: int) -> str | None:
    found = tags.info(tag)
    return None if found is None else found.fmt


def build_dol(
    dol: Dol,
    source: Mapping[int, bytes],
    format_of: Callable[[int], str | None] = _format_of,
) -> bytes:
    """The DOL related data: each entry's value from ``source`` fitted to its length (Book 3, 5.4).

    ``format_of`` gives a tag's format (n, cn, an, ans, b); by default the EMV tag dictionary. A tag it
    does not know is treated as unknown to the terminal and zero-filled, as are constructed tags.

    >>> build_dol([(0x5F2A, 2), (0x9F02, 6)], {0x5F2A: b"\\x01\\x56", 0x9F02: b"\\x00\\x00\\x01\\x00"}).hex()
    '0156000000000100'
    """
    out = bytearray()
    for tag, length in dol:
        value = source.get(tag)
        fmt = None if is_constructed(tag) else format_of(tag)
        if value is None or fmt is None:
            out += bytes(length)
            continue
        have = len(value)
        if have == length:
            out += value
        elif fmt == "n":
            out += value[have - length :] if have > length else bytes(length - have) + value
        elif have > length:
            out += value[:length]
        else:
            out += value + (b"\xff" if fmt == "cn" else b"\x00") * (length - have)
    return bytes(out)
