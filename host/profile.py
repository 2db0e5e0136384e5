"""The CUP POS message profile as data: field formats, message types, and the pyiso8583 spec built from them.

Sources: the CUP POS terminal specification (2010) as DOMAIN_FACTS section A summarises it, with the field
formats of a production CUP terminal (Centerm ``assets/BASE/message/union_pay.xml``), and ISO 8583:1987 for
field names and message classes. Encodings:

- ``n`` numeric fields are BCD, two digits a byte. A fixed field of odd length is right-aligned with a leading
  ``0`` nibble, except field 22 which is left-aligned (``071`` travels as ``07 10``). A variable field of
  odd length is left-aligned with a trailing ``0`` nibble, except field 32, which Centerm right-aligns.
  Decoding accepts ``0`` only as the pad nibble, so that decode and encode are exact inverses.
- ``z`` track data (fields 35 and 36) is BCD with ``D`` as the field separator.
- ``an``/``ans`` fields are ASCII (printable characters only); ``b`` fields are raw bytes.
- LLVAR lengths are one BCD byte, LLLVAR lengths two; a length counts digits for ``n``/``z`` and bytes
  otherwise.

Field 59 is not in DOMAIN_FACTS's field list: it is defined here as LLLVAR ``ans`` as production CUP terminals
send it (the sample 0200 carries 153 ASCII bytes there). Field 54 (additional amounts, the balance in a
balance-inquiry reply) is added for the same reason. Fields 62 and 63 are ``ans`` in the specification but
are kept as bytes: field 62 carries key ciphertexts in the sign-on reply and field 63 GBK text in replies.

The pyiso8583 spec :data:`SPEC` is built once from :data:`FIELDS` and frozen: pyiso8583 only reads its spec,
so it gets the read-only mapping itself, never a copy that could drift.

>>> FIELDS[22].left_aligned, FIELDS[23].left_aligned, FIELDS[35].kind
(True, False, <Kind.Z: 'z'>)
>>> SPEC["2"]["len_type"], SPEC["55"]["len_type"], SPEC["2"]["len_count"]
(1, 2, 'nibbles')
>>> "0200" in MTIS, "0300" in MTIS
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__all__ = ["FIELDS", "MTIS", "SPEC", "FieldSpec", "Kind", "is_bcd"]


class Kind(StrEnum):
    """How a field's characters are encoded (ISO 8583:1987, 4.3 attributes; DOMAIN_FACTS A encodings)."""

    N = "n"  # digits, BCD
    Z = "z"  # track data: digits and the separator D, BCD
    AN = "an"  # alphanumeric, ASCII
    ANS = "ans"  # alphanumeric and special, ASCII
    B = "b"  # binary


@dataclass(frozen=True)
class FieldSpec:
    """One data element of the profile.

    ``max_len`` counts digits for ``n``/``z`` fields and bytes otherwise; for a fixed field it is the length.
    ``prefix`` is the number of length digits: 0 fixed, 2 LLVAR (one BCD byte), 3 LLLVAR (two BCD bytes).
    ``left_aligned`` places the digits of an odd-length BCD value first and the pad nibble last.
    ``sensitive`` marks cardholder data and PIN data that displays mask.
    """

    number: int
    name: str
    kind: Kind
    max_len: int
    prefix: int = 0
    left_aligned: bool = False
    sensitive: bool = False

    @property
    def is_bcd(self) -> bool:
        """True for ``n`` and ``z`` fields, which pack two characters a byte."""
        return self.kind in (Kind.N, Kind.Z)


def _f(
    number: int,
    name: str,
    kind: Kind,
    max_len: int,
    prefix: int = 0,
    left: bool = False,
    sensitive: bool = False,
) -> FieldSpec:
    return FieldSpec(number, name, kind, max_len, prefix, left, sensitive)


_N, _Z, _AN, _ANS, _B = Kind.N, Kind.Z, Kind.AN, Kind.ANS, Kind.B

FIELDS: Mapping[int, FieldSpec] = MappingProxyType(
    {
        f.number: f
        for f in (
            _f(2, "Primary account number", _N, 19, 2, left=True, sensitive=True),
            _f(3, "Processing code", _N, 6),
            _f(4, "Amount, transaction", _N, 12),
            _f(11, "System trace audit number", _N, 6),
            _f(12, "Time, local transaction", _N, 6),
            _f(13, "Date, local transaction", _N, 4),
            _f(14, "Date, expiration", _N, 4),
            _f(15, "Date, settlement", _N, 4),
            _f(22, "POS entry mode", _N, 3, left=True),
            _f(23, "Card sequence number", _N, 3),
            _f(25, "POS condition code", _N, 2),
            _f(26, "POS PIN capture code", _N, 2),
            _f(32, "Acquiring institution identification code", _N, 11, 2),
            _f(35, "Track 2 data", _Z, 37, 2, left=True, sensitive=True),
            _f(36, "Track 3 data", _Z, 104, 3, left=True, sensitive=True),
            _f(37, "Retrieval reference number", _AN, 12),
            _f(38, "Authorization identification response", _AN, 6),
            _f(39, "Response code", _AN, 2),
            _f(41, "Card acceptor terminal identification", _ANS, 8),
            _f(42, "Card acceptor identification code", _ANS, 15),
            _f(44, "Additional response data", _AN, 25, 2),
            _f(48, "Additional data, private", _N, 322, 3, left=True),
            _f(49, "Currency code, transaction", _AN, 3),
            _f(52, "PIN data", _B, 8, sensitive=True),
            _f(53, "Security related control information", _N, 16),
            _f(54, "Additional amounts", _AN, 20, 3),
            _f(55, "ICC data", _B, 999, 3),
            _f(59, "Reserved private: CUP custom data", _ANS, 999, 3),
            _f(60, "Reserved private: type code, batch, network", _N, 17, 3, left=True),
            _f(61, "Original message data", _N, 29, 3, left=True),
            _f(62, "Reserved private: terminal info or key block", _B, 999, 3),
            _f(63, "Reserved private: operator or card org", _B, 999, 3),
            _f(64, "Message authentication code", _B, 8),
        )
    }
)
"""The data elements of the CUP POS profile, by field number."""

MTIS: frozenset[str] = frozenset(
    {
        "0100", "0110", "0120", "0130",  # authorisation: pre-auth, pre-auth void; advice
        "0200", "0210", "0220", "0230",  # financial: purchase, void, completion, balance; refund, offline
        "0320", "0330",  # batch upload and its end
        "0400", "0410", "0420", "0430",  # reversal and reversal advice
        "0500", "0510",  # settlement
        "0620", "0630",  # script result notification
        "0800", "0810", "0820", "0830",  # sign-on, key download; sign-off, echo test
    }
)  # fmt: skip
"""The message types the CUP POS profile uses (ISO 8583:1987 classes 1 to 8; DOMAIN_FACTS A)."""

_LEN_TYPE = {0: 0, 2: 1, 3: 2}  # length digits -> BCD length bytes


def _iso_field(spec: FieldSpec) -> Mapping[str, Any]:
    out: dict[str, Any] = {
        "data_enc": "ascii" if spec.kind in (Kind.AN, Kind.ANS) else "b",
        "len_enc": "bcd",
        "len_type": _LEN_TYPE[spec.prefix],
        "max_len": spec.max_len,
        "desc": spec.name,
    }
    if spec.is_bcd:
        out["len_count"] = "nibbles"
        out["right_pad" if spec.left_aligned else "left_pad"] = "0"
    return MappingProxyType(out)


def _build_spec() -> Mapping[str, Mapping[str, Any]]:
    fixed_b = {"data_enc": "b", "len_enc": "bcd", "len_type": 0}
    spec: dict[str, Mapping[str, Any]] = {
        "h": MappingProxyType({**fixed_b, "max_len": 0, "desc": "Header (framed separately)"}),
        "t": MappingProxyType({**fixed_b, "max_len": 2, "desc": "Message type identifier, BCD"}),
        "p": MappingProxyType({**fixed_b, "max_len": 8, "desc": "Primary bitmap"}),
    }
    spec.update({str(n): _iso_field(f) for n, f in FIELDS.items()})
    return MappingProxyType(spec)


SPEC: Mapping[str, Mapping[str, Any]] = _build_spec()
"""The profile as a pyiso8583 spec, read-only (MTI and bitmap binary, no secondary bitmap)."""


def is_bcd(text: str, extra: str = "") -> bool:
    """True when every character of ``text`` is a decimal digit or one of ``extra``.

    >>> is_bcd("0710"), is_bcd("07A0"), is_bcd("6224D2806", extra="D"), is_bcd("")
    (True, False, True, True)
    """
    if not extra:
        return _DIGITS.issuperset(text)
    return _DIGITS.union(extra).issuperset(text)


_DIGITS = frozenset("0123456789")
