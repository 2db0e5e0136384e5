"""Errors of the EMV layer (EMV 4.4 Book 3; STYLE.md section 5).

Each error says where the problem is (offset, tag, status word) and why, never the bytes it read.
"""

from __future__ import annotations

from config.errors import PosError


class EmvError(PosError):
    """Base class of errors raised by ``emv``."""


class TlvError(EmvError, ValueError):
    """Malformed BER-TLV data (EMV 4.4 Book 3, Annex B).

    ``offset`` is the byte offset in the decoded buffer where the faulty object (or field) starts,
    ``tag`` the tag being read when it is known (an int, else ``None``), ``reason`` a short phrase.

    >>> str(TlvError("value overruns its template", 5, 0x9F02))
    'value overruns its template at offset 5, tag 9F02'
    """

    def __init__(self, reason: str, offset: int, tag: int | None = None) -> None:
        self.reason = reason
        self.offset = offset
        self.tag = tag
        where = f"at offset {offset}"
        if tag is not None:
            where += f", tag {tag:02X}"
        super().__init__(f"{reason} {where}")

    def __reduce__(self) -> tuple[type[TlvError], tuple[str, int, int | None]]:
        return (type(self), (self.reason, self.offset, self.tag))


class DolError(TlvError):
    """A malformed data object list: tags and lengths without values (EMV 4.4 Book 3, section 5.4)."""
