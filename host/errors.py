"""Errors of the host link's ISO 8583 layer (ISO 8583:1987; the CUP POS profile, DOMAIN_FACTS section A).

Each error says *where* a message is wrong, as a field number and a byte offset, and *why*, in a short phrase.
It never holds the message bytes, a decoded value or a partly decoded message (unlike pyiso8583's
``DecodeError``, which keeps both), so an error may be logged or shown without leaking a PAN or track data.

``offset`` counts bytes from the start of the buffer that was being decoded: for :func:`host.framing.unframe`
that is the whole frame, its 2-byte length prefix included. For the structured-field parsers of
:mod:`host.fields` it counts from the start of the field's value.
"""

from __future__ import annotations

from config.errors import PosError

__all__ = ["FrameError", "Iso8583Error", "KeyCheckError", "MacError"]


class Iso8583Error(PosError, ValueError):
    """A malformed or inconsistent ISO 8583 message, field or frame.

    >>> str(Iso8583Error("bad BCD", field=4, offset=23))
    'bad BCD at offset 23, field 4'
    >>> str(Iso8583Error("unknown MTI", offset=13)), str(Iso8583Error("not digits", field=22))
    ('unknown MTI at offset 13', 'not digits in field 22')
    """

    def __init__(self, reason: str, *, field: int | None = None, offset: int | None = None) -> None:
        self.reason = reason
        self.field = field
        self.offset = offset
        if offset is not None:
            text = f"{reason} at offset {offset}" + (f", field {field}" if field is not None else "")
        elif field is not None:
            text = f"{reason} in field {field}"
        else:
            text = reason
        super().__init__(text)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.reason, self.field, self.offset))


def _rebuild(cls: type[Iso8583Error], reason: str, field: int | None, offset: int | None) -> Iso8583Error:
    return cls(reason, field=field, offset=offset)


class FrameError(Iso8583Error):
    """The envelope is wrong: the length prefix, the TPDU, the 6-byte header, or the frame size."""


class MacError(Iso8583Error):
    """Field 64 is missing or does not match the MAC computed over the message (response code A0)."""


class KeyCheckError(Iso8583Error):
    """A working key of the sign-on key block (field 62) does not match its check value."""
