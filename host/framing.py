"""Framing of CUP POS messages on TCP: ``LEN(2) | TPDU(5) | header(6) | MTI | bitmap | fields``.

The layout is the one a public CUP 0200 parses with (DOMAIN_FACTS section A, test vector 1): a 2-byte
big-endian count of the bytes that follow, the TPDU (``60``, destination, source), the 6-byte BCD header,
then the ISO 8583:1987 body that :mod:`host.protocol` encodes. :func:`unframe` checks the envelope before
the body: a frame is one length prefix and exactly the bytes it counts, at most ``max_length`` of them
(2048 by default, far above the largest CUP POS message).

>>> from host.protocol import Message, Tpdu
>>> wire = frame(Message("0820", {11: "000007", 60: "00000001301"}, Tpdu(destination=6)))
>>> wire.hex().upper()
'00206000060000603100000000082000200000000000100000070011000000013010'
>>> unframe(wire).fields[60]
'00000001301'
"""

from __future__ import annotations

from host.errors import FrameError
from host.protocol import HEADER_SIZE, TPDU_SIZE, Header, Message, Tpdu, decode_body, encode_body

__all__ = ["BODY_OFFSET", "MAX_LENGTH", "PREFIX_SIZE", "frame", "read_length", "unframe"]

PREFIX_SIZE = 2
BODY_OFFSET = PREFIX_SIZE + TPDU_SIZE + HEADER_SIZE
"""Offset of the MTI in a frame: length prefix, TPDU and header come first."""
MAX_LENGTH = 2048
"""Default upper bound of the length prefix (the bytes after it)."""
_MIN_LENGTH = TPDU_SIZE + HEADER_SIZE + 2 + 8  # TPDU, header, MTI, bitmap


def read_length(prefix: bytes, max_length: int = MAX_LENGTH) -> int:
    """The length a 2-byte prefix announces, for a stream reader deciding how many bytes to read next.

    >>> read_length(bytes.fromhex("01AA"))
    426

    Raises:
        FrameError: not 2 bytes, too short to hold TPDU, header, MTI and bitmap, or over ``max_length``.
    """
    if len(prefix) != PREFIX_SIZE:
        raise FrameError("length prefix is not 2 bytes", offset=0)
    length = int.from_bytes(prefix, "big")
    if length > max_length:
        raise FrameError(f"length prefix {length} over the {max_length}-byte limit", offset=0)
    if length < _MIN_LENGTH:
        raise FrameError(f"length prefix {length} under the {_MIN_LENGTH}-byte minimum", offset=0)
    return length


def frame(msg: Message, max_length: int = MAX_LENGTH) -> bytes:
    """The bytes to send: length prefix, TPDU, header and body.

    >>> frame(Message("0820", {11: "000007"})).hex().upper()
    '0018600000000060310000000008200020000000000000000007'

    Raises:
        Iso8583Error: a value the profile does not accept (see :func:`host.protocol.encode_body`).
        FrameError: the message would be longer than ``max_length``.
    """
    payload = msg.tpdu.to_bytes() + msg.header.to_bytes() + encode_body(msg)
    if len(payload) > max_length:
        raise FrameError(f"message of {len(payload)} bytes over the {max_length}-byte limit")
    return len(payload).to_bytes(PREFIX_SIZE, "big") + payload


def unframe(data: bytes, max_length: int = MAX_LENGTH) -> Message:
    """Decode one whole frame, length prefix included.

    >>> unframe(bytes.fromhex("0018600000000060310000000008200020000000000000000007"))
    Message(mti='0820', fields=[11])
    >>> unframe(bytes.fromhex("0019600000000060310000000008200020000000000000000007"))
    Traceback (most recent call last):
    ...
    host.errors.FrameError: length prefix says 25 bytes, 24 follow at offset 0

    Raises:
        FrameError: the frame is over ``max_length``, its prefix counts more or fewer bytes than follow,
            it is too short for the TPDU, header, MTI and bitmap, the TPDU does not start with ``60``, or
            the header holds a nibble that is not a digit. ``offset`` counts from the prefix's first byte.
        Iso8583Error: the body is malformed (see :func:`host.protocol.decode_body`); ``offset`` counts from
            the frame's first byte and ``field`` names the field.
    """
    data = bytes(data)
    if len(data) < PREFIX_SIZE:
        raise FrameError("frame ends inside the length prefix", offset=len(data))
    if len(data) - PREFIX_SIZE > max_length:
        raise FrameError(f"frame of {len(data)} bytes over the {max_length}-byte limit", offset=0)
    length = read_length(data[:PREFIX_SIZE], max_length)
    if length != len(data) - PREFIX_SIZE:
        raise FrameError(f"length prefix says {length} bytes, {len(data) - PREFIX_SIZE} follow", offset=0)
    tpdu = Tpdu.from_bytes(data[PREFIX_SIZE:], offset=PREFIX_SIZE)
    header = Header.from_bytes(data[PREFIX_SIZE + TPDU_SIZE :], offset=PREFIX_SIZE + TPDU_SIZE)
    return decode_body(data[BODY_OFFSET:], base=BODY_OFFSET, tpdu=tpdu, header=header)
