"""A fast path for framing CUP POS messages on a host's hot path (DOMAIN_FACTS section A framing; the field
formats of :data:`host.profile.FIELDS`).

:func:`host.framing.frame` and :func:`host.framing.unframe` (on pyiso8583) stay the reference and the
only source of errors. :func:`unframe_fast` and :func:`frame_fast` read the same field table in one
tight loop and give up (return the reference's result) at the first thing that is not plainly valid: a
bad length, TPDU, header digit, MTI, bitmap bit, BCD digit, pad nibble, character or size. So they
accept exactly what the reference accepts and produce the same messages and bytes (a hypothesis test
holds them to that), about three times faster: profiling the simulator under load showed pyiso8583
and its checks at a third of the server's time. STYLE.md section 4 asks for this kind of measured loop.

>>> from host.protocol import Message
>>> m = Message("0820", {11: "000007", 41: "10000019", 60: "00000001301"})
>>> wire = frame_fast(m)
>>> wire == frame(m), unframe_fast(wire) == unframe(wire)
(True, True)
"""

from __future__ import annotations

import re

from host.framing import MAX_LENGTH, PREFIX_SIZE, frame, unframe
from host.profile import FIELDS, MTIS, Kind
from host.protocol import HEADER_SIZE, TPDU_ID, TPDU_SIZE, FieldValue, Header, Message, Tpdu

__all__ = ["frame_fast", "unframe_fast"]

_N, _Z, _TEXT, _B = 0, 1, 2, 3
_KIND = {Kind.N: _N, Kind.Z: _Z, Kind.AN: _TEXT, Kind.ANS: _TEXT, Kind.B: _B}
# field number -> (kind, max length, length-prefix bytes, left aligned), in field order
_LAYOUT = tuple(
    (n, _KIND[f.kind], f.max_len, (f.prefix + 1) // 2, f.left_aligned) for n, f in sorted(FIELDS.items())
)
_BY_NUMBER = {n: rest for n, *rest in _LAYOUT}
_DEFINED = sum(1 << (64 - n) for n in FIELDS)
_BODY = PREFIX_SIZE + TPDU_SIZE + HEADER_SIZE
_MIN = TPDU_SIZE + HEADER_SIZE + 10
_DIGITS = re.compile("[0-9]*")
_TRACK = re.compile("[0-9D]*")
_TEXT_OK = re.compile("[\x20-\x7e]*")
_TEXT_OK_B = re.compile(b"[\x20-\x7e]*")
_MTI_BYTES = {bytes.fromhex(m): m for m in MTIS}


def _decode(data: bytes, max_length: int) -> Message | None:
    size = len(data) - PREFIX_SIZE
    if size < _MIN or size > max_length or int.from_bytes(data[:PREFIX_SIZE], "big") != size:
        return None
    if data[PREFIX_SIZE] != TPDU_ID:
        return None
    head = data[PREFIX_SIZE + TPDU_SIZE : _BODY].hex()
    if not head.isdigit():
        return None
    mti = _MTI_BYTES.get(data[_BODY : _BODY + 2])
    bits = int.from_bytes(data[_BODY + 2 : _BODY + 10], "big")
    if mti is None or bits & ~_DEFINED:
        return None
    fields: dict[int, FieldValue] = {}
    pos, end = _BODY + 10, len(data)
    for number, kind, max_len, prefix, left in _LAYOUT:
        if not bits >> (64 - number) & 1:
            continue
        if prefix:
            digits = data[pos : pos + prefix].hex()
            if len(digits) != 2 * prefix or not digits.isdigit():
                return None
            length, pos = int(digits), pos + prefix
            if length > max_len:
                return None
        else:
            length = max_len
        count = (length + 1) // 2 if kind <= _Z else length
        raw = data[pos : pos + count]
        pos += count
        if len(raw) != count:
            return None
        if kind == _B:
            fields[number] = raw
            continue
        if kind == _TEXT:
            if _TEXT_OK_B.fullmatch(raw) is None:
                return None
            fields[number] = raw.decode("ascii")
            continue
        text = raw.hex().upper()
        if length & 1:
            if left:
                if text[-1] != "0":
                    return None
                text = text[:-1]
            else:
                if text[0] != "0":
                    return None
                text = text[1:]
        if (_DIGITS if kind == _N else _TRACK).fullmatch(text) is None:
            return None
        fields[number] = text
    if pos != end:
        return None
    tpdu = Tpdu(int.from_bytes(data[3:5], "big"), int.from_bytes(data[5:7], "big"))
    header = Header(head[0:2], head[2:4], int(head[4]), int(head[5]), head[6:12])
    return Message(mti, fields, tpdu, header)


def unframe_fast(data: bytes, max_length: int = MAX_LENGTH) -> Message:
    """:func:`host.framing.unframe`, faster for the common case of a well-formed frame.

    Raises:
        FrameError, Iso8583Error: exactly as :func:`host.framing.unframe` (which then runs).
    """
    msg = _decode(bytes(data), max_length)
    return msg if msg is not None else unframe(data, max_length)


def _encode(msg: Message, max_length: int) -> bytes | None:
    if msg.mti not in MTIS:
        return None
    bits = 0
    parts = [msg.tpdu.to_bytes(), msg.header.to_bytes(), bytes.fromhex(msg.mti), b""]
    for number, value in msg.fields.items():
        kind, max_len, prefix, left = _BY_NUMBER[number]
        length = len(value)
        if length > max_len or (not prefix and length != max_len):
            return None
        if kind == _B:
            data = value if isinstance(value, bytes) else None
        elif not isinstance(value, str):
            return None
        elif kind == _TEXT:
            data = value.encode("ascii") if _TEXT_OK.fullmatch(value) is not None else None
        elif (_DIGITS if kind == _N else _TRACK).fullmatch(value) is None:
            return None
        else:
            data = bytes.fromhex(value + "0" if left else "0" + value) if length & 1 else bytes.fromhex(value)
        if data is None:
            return None
        bits |= 1 << (64 - number)
        if prefix:
            parts.append(bytes.fromhex(f"{length:0{2 * prefix}d}"))
        parts.append(data)
    parts[3] = bits.to_bytes(8, "big")
    payload = b"".join(parts)
    if len(payload) > max_length:
        return None
    return len(payload).to_bytes(PREFIX_SIZE, "big") + payload


def frame_fast(msg: Message, max_length: int = MAX_LENGTH) -> bytes:
    """:func:`host.framing.frame`, faster for the common case of a message with valid values.

    Raises:
        Iso8583Error, FrameError: exactly as :func:`host.framing.frame` (which then runs).
    """
    wire = _encode(msg, max_length)
    return wire if wire is not None else frame(msg, max_length)
