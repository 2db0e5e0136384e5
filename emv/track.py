"""Magnetic stripe tracks 1 and 2 (ISO/IEC 7813:2006 formats, ISO/IEC 7811-2 character sets and LRC).

Track 1 (format B) is ``%B PAN ^ NAME ^ YYMM SVC discretionary ? LRC`` and track 2 is
``; PAN = YYMM SVC discretionary ? LRC``. Readers usually strip the sentinels and the LRC, so both are
accepted with or without them. Track 2 equivalent data (EMV tag 57, ISO 8583 field 35 in the CUP profile,
DOMAIN_FACTS.md F) writes the same digits as nibbles with ``D`` for the separator and, for a whole number
of bytes, one trailing ``F``.

Character sets (ISO/IEC 7811-2), as this module reads them from text:

- track 1 is 6 data bits plus odd parity per character, the characters 0x20-0x5F (space to ``_``): the data
  value of a character is ``ord(c) - 0x20``. ``%`` starts, ``^`` separates and ``?`` ends the data.
- track 2 is 4 data bits plus odd parity, the characters 0x30-0x3F (``0``-``9 : ; < = > ?``): the data
  value is ``ord(c) - 0x30``. ``;`` starts, ``=`` separates, ``?`` ends; ``: < >`` are control characters
  and never data.

The LRC is the XOR of the data bits of every character from the start sentinel to the end sentinel
inclusive; the LRC character has its own parity bit, which the text form does not show. [U]: that a reader
which passes the LRC on renders it as the character of the same set with that data value (``chr(0x20 +
lrc)`` on track 1, ``chr(0x30 + lrc)`` on track 2); DOMAIN_FACTS.md F marks the LRC rule itself [U].
The LRC catches any single substituted character but one case, which the text form cannot tell apart:
when the LRC character is ``?`` and the end sentinel itself is misread, the LRC reads as the end sentinel
of a track without LRC.

Other assumptions: the PAN has 12 to 19 digits (ISO/IEC 7812-1 caps it at 19; 12 is the shortest that
payment schemes issue [U]); expiry is ``YYMM`` in the 2000s [U]; expiry and service code are required
(ISO/IEC 7813 lets a lone separator stand for an absent one, which payment cards never use). Service code
meanings follow DOMAIN_FACTS.md F; a first digit 2 or 6 makes the card chip-first, and a swipe is then
refused unless the chip read has failed (:func:`swipe_decision`).

Secrets stay in redacting types: ``repr`` of a :class:`Pan` is ``Pan()`` and a track's ``repr`` shows
neither its name, expiry nor discretionary data. :class:`TrackError` names a position and a reason, never
the track text. Both tracks live in this one module (longer than STYLE.md's 400 lines for it) because they
share the PAN, the service code, the LRC and the swipe rule.

>>> t = parse_track2(";6224242900000113=28062013949031013?")
>>> t, t.pan.masked, t.service_code.requires_chip
(Track2(pan=Pan(), service_code=ServiceCode(digits='201')), '622424******0113', True)
>>> swipe_decision(t, chip_read_failed=False)
'insert_chip'
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Literal

from emv.errors import EmvError
from emv.redact import mask_pan

__all__ = [
    "Framing",
    "Pan",
    "ServiceCode",
    "SwipeDecision",
    "Track1",
    "Track2",
    "TrackError",
    "encode_track1",
    "encode_track2",
    "encode_track2_equivalent",
    "is_luhn_valid",
    "luhn_check_digit",
    "parse_track1",
    "parse_track2",
    "swipe_decision",
    "track_lrc",
]

log = logging.getLogger(__name__)

PAN_MIN, PAN_MAX = 12, 19
NAME_MIN, NAME_MAX = 2, 26
TRACK1_MAX = 79  # characters on the stripe, sentinels and LRC included (ISO/IEC 7813)
TRACK2_MAX = 40
_FRAME = 3  # start sentinel, end sentinel, LRC

_DIGITS = frozenset("0123456789")
_T1_CHARS = frozenset(chr(c) for c in range(0x20, 0x60))
_T1_DATA = _T1_CHARS - frozenset("%^?")  # what a name or discretionary data may hold
_UPPER_DF = str.maketrans("df", "DF")  # hex text of equivalent data may come in lower case

Framing = Literal["full", "sentinels", "bare"]
SwipeDecision = Literal["accept", "insert_chip", "fallback"]

# Service code digit meanings (DOMAIN_FACTS.md F; ISO/IEC 7813). Digits not listed are reserved.
SERVICE_INTERCHANGE = MappingProxyType(
    {
        "1": "international interchange",
        "2": "international interchange, integrated circuit",
        "5": "national interchange",
        "6": "national interchange, integrated circuit",
        "7": "private (no interchange except by bilateral agreement)",
        "9": "test",
    }
)
SERVICE_AUTHORIZATION = MappingProxyType(
    {
        "0": "normal",
        "2": "online authorisation by the issuer",
        "4": "online authorisation by the issuer except under bilateral agreement",
    }
)
SERVICE_SERVICES = MappingProxyType(
    {
        "0": "no restrictions, PIN required",
        "1": "no restrictions",
        "2": "goods and services only",
        "3": "ATM only, PIN required",
        "4": "cash only",
        "5": "goods and services only, PIN required",
        "6": "no restrictions, prompt for PIN if a PIN pad is present",
        "7": "goods and services only, prompt for PIN if a PIN pad is present",
    }
)


class TrackError(EmvError, ValueError):
    """Malformed track data: ``reason``, the 0-based ``position`` in the text read (``None`` when a value
    was built directly rather than parsed) and the ``field`` (``"pan"``, ``"expiry"``, ...), never the data.

    >>> str(TrackError("expiry month not 01-12", 19, "expiry"))
    'expiry month not 01-12 at position 19 (expiry)'
    """

    def __init__(self, reason: str, position: int | None = None, field: str | None = None) -> None:
        self.reason = reason
        self.position = position
        self.field = field
        message = reason
        if position is not None:
            message += f" at position {position}"
        if field is not None:
            message += f" ({field})"
        super().__init__(message)

    def __reduce__(self) -> tuple[type[TrackError], tuple[str, int | None, str | None]]:
        return (type(self), (self.reason, self.position, self.field))


def _at(base: int | None, offset: int) -> int | None:
    return None if base is None else base + offset


def is_luhn_valid(digits: str) -> bool:
    """Whether ``digits`` end in a correct Luhn (ISO/IEC 7812-1 Annex B) check digit.

    >>> is_luhn_valid("6224242900000113"), is_luhn_valid("6224242900000114"), is_luhn_valid("12a")
    (True, False, False)
    """
    if not digits or any(c not in _DIGITS for c in digits):
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


def luhn_check_digit(payload: str) -> str:
    """The Luhn check digit to append to ``payload`` (digits), e.g. to build a virtual card's PAN.

    Raises:
        TrackError: ``payload`` holds a non-digit.

    >>> luhn_check_digit("622424290000011")
    '3'
    """
    total = 0
    for i, c in enumerate(reversed(payload)):
        if c not in _DIGITS:
            raise TrackError("not a digit", len(payload) - 1 - i, "pan")
        d = ord(c) - 48
        if i % 2 == 0:  # the rightmost payload digit sits next to the check digit: doubled
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str(-total % 10)


def track_lrc(framed: str, track: Literal[1, 2]) -> str:
    """The LRC character of ``framed`` (start sentinel to end sentinel inclusive) on track 1 or 2.

    Raises:
        TrackError: a character outside the track's set.

    >>> track_lrc(";6224242900000113=28062013949031013?", 2)
    '='
    """
    base = 0x20 if track == 1 else 0x30
    lrc = 0
    for i, c in enumerate(framed):
        v = ord(c) - base
        if not 0 <= v < (64 if track == 1 else 16):
            raise TrackError(f"character outside the track {track} set", i)
        lrc ^= v
    return chr(base + lrc)


def _check_digits(value: str, base: int | None, name: str, lo: int, hi: int) -> None:
    for i, c in enumerate(value):
        if c not in _DIGITS:
            raise TrackError("not a digit", _at(base, i), name)
    if not lo <= len(value) <= hi:
        span = str(lo) if lo == hi else f"{lo}-{hi}"
        raise TrackError(f"{len(value)} digits, need {span}", _at(base, 0), name)


def _check_expiry(yymm: str, base: int | None) -> None:
    _check_digits(yymm, base, "expiry", 4, 4)
    if not "01" <= yymm[2:] <= "12":
        raise TrackError("expiry month not 01-12", _at(base, 2), "expiry")


def _check_t1_text(value: str, base: int | None, name: str, lo: int, hi: int) -> None:
    for i, c in enumerate(value):
        if c not in _T1_DATA:
            raise TrackError("character not allowed in track 1 data", _at(base, i), name)
    if not lo <= len(value) <= hi:
        raise TrackError(f"length {len(value)}, need {lo}-{hi}", _at(base, 0), name)


@dataclass(frozen=True)
class Pan:
    """A primary account number that never shows itself: ``repr`` and ``str`` give ``Pan()``.

    ``.masked`` gives the first six and last four digits, ``.digits`` the digits themselves.

    >>> p = Pan("6224242900000113")
    >>> p, f"{p}", p.masked, p.luhn_ok
    (Pan(), 'Pan()', '622424******0113', True)
    """

    digits: str = field(repr=False)

    def __post_init__(self) -> None:
        _check_digits(self.digits, None, "pan", PAN_MIN, PAN_MAX)

    @property
    def masked(self) -> str:
        return mask_pan(self.digits)

    @property
    def luhn_ok(self) -> bool:
        return is_luhn_valid(self.digits)


@dataclass(frozen=True)
class ServiceCode:
    """The three-digit service code (ISO/IEC 7813; DOMAIN_FACTS.md F) and the meaning of each digit.

    >>> sc = ServiceCode("201")
    >>> sc.requires_chip, sc.interchange, sc.authorization, sc.services
    (True, 'international interchange, integrated circuit', 'normal', 'no restrictions')
    """

    digits: str

    def __post_init__(self) -> None:
        _check_digits(self.digits, None, "service code", 3, 3)

    @property
    def requires_chip(self) -> bool:
        """First digit 2 or 6: the card has a chip, which the terminal must use when it can."""
        return self.digits[0] in "26"

    @property
    def interchange(self) -> str:
        return SERVICE_INTERCHANGE.get(self.digits[0], "reserved")

    @property
    def authorization(self) -> str:
        return SERVICE_AUTHORIZATION.get(self.digits[1], "reserved")

    @property
    def services(self) -> str:
        return SERVICE_SERVICES.get(self.digits[2], "reserved")

    @property
    def online_required(self) -> bool:
        return self.digits[1] in "24"

    @property
    def pin_required(self) -> bool:
        return self.digits[2] in "035"


class _Expiring:
    """Expiry and chip properties shared by both tracks (declared here, stored by the dataclasses)."""

    expiry_yymm: str
    service_code: ServiceCode

    @property
    def expiry_year(self) -> int:
        return 2000 + int(self.expiry_yymm[:2])

    @property
    def expiry_month(self) -> int:
        return int(self.expiry_yymm[2:])

    def is_expired(self, today: date) -> bool:
        """Whether the card has expired by ``today``: it is valid through the last day of its month."""
        return (today.year, today.month) > (self.expiry_year, self.expiry_month)

    @property
    def requires_chip(self) -> bool:
        return self.service_code.requires_chip


@dataclass(frozen=True)
class Track2(_Expiring):
    """Track 2 (ISO/IEC 7813): PAN, expiry ``YYMM``, service code, discretionary digits.

    ``repr`` shows the service code only. Building one checks every field (:class:`TrackError`).
    """

    pan: Pan
    expiry_yymm: str = field(repr=False)
    service_code: ServiceCode
    discretionary: str = field(repr=False)

    def __post_init__(self) -> None:
        _check_expiry(self.expiry_yymm, None)
        _check_digits(self.discretionary, None, "discretionary", 0, TRACK2_MAX)
        size = len(self.pan.digits) + 8 + len(self.discretionary)
        if size > TRACK2_MAX - _FRAME:
            raise TrackError(f"track 2 data of {size} characters exceeds {TRACK2_MAX - _FRAME}")


@dataclass(frozen=True)
class Track1(_Expiring):
    """Track 1 format B (ISO/IEC 7813): PAN, cardholder name, expiry ``YYMM``, service code, discretionary.

    ``repr`` shows the service code only. Building one checks every field (:class:`TrackError`).
    """

    pan: Pan
    name: str = field(repr=False)
    expiry_yymm: str = field(repr=False)
    service_code: ServiceCode
    discretionary: str = field(repr=False)

    def __post_init__(self) -> None:
        _check_t1_text(self.name, None, "name", NAME_MIN, NAME_MAX)
        _check_expiry(self.expiry_yymm, None)
        _check_t1_text(self.discretionary, None, "discretionary", 0, TRACK1_MAX)
        size = 1 + len(self.pan.digits) + 1 + len(self.name) + 8 + len(self.discretionary)
        if size > TRACK1_MAX - _FRAME:
            raise TrackError(f"track 1 data of {size} characters exceeds {TRACK1_MAX - _FRAME}")


def _unframe(text: str, track: Literal[1, 2]) -> tuple[str, int]:
    """The data between the sentinels (checking the LRC when present), and its position in ``text``."""
    start, sets = ("%", _T1_CHARS) if track == 1 else (";", frozenset(chr(c) for c in range(0x30, 0x40)))
    limit = TRACK1_MAX if track == 1 else TRACK2_MAX
    if not text.startswith(start):
        limit -= _FRAME
    if len(text) > limit:
        raise TrackError(f"longer than {limit} characters", limit)
    for i, c in enumerate(text):
        if c not in sets:
            raise TrackError(f"character outside the track {track} set", i)
    if not text.startswith(start):
        if "?" in text or start in text:
            raise TrackError("sentinel inside unframed data", text.index("?" if "?" in text else start))
        return text, 0
    end = text.find("?")
    if end < 0:
        raise TrackError("missing end sentinel", len(text))
    if start in text[1:end]:
        raise TrackError("start sentinel inside the data", text.index(start, 1))
    tail = text[end + 1 :]
    if len(tail) > 1:
        raise TrackError("data after the LRC", end + 2)
    if tail and track_lrc(text[: end + 1], track) != tail:
        raise TrackError("LRC mismatch", end + 1, "lrc")
    return text[1:end], 1


def parse_track1(text: str) -> Track1:
    """Parse track 1 format B, with or without sentinels; an LRC after the end sentinel is checked.

    Raises:
        TrackError: with the position and reason.

    >>> t = parse_track1("%B6224242900000113^ZHANG/SAN^28062010000000000000?")
    >>> t.pan.masked, t.expiry_year, t.service_code.digits
    ('622424******0113', 2028, '201')
    """
    data, base = _unframe(text, 1)
    if not data.startswith("B"):
        raise TrackError("format code is not B", base, "format code")
    fs1 = data.find("^")
    fs2 = data.find("^", fs1 + 1) if fs1 >= 0 else -1
    if fs2 < 0:
        raise TrackError("missing field separator ^", base + len(data))
    pan, name, rest = data[1:fs1], data[fs1 + 1 : fs2], data[fs2 + 1 :]
    _check_digits(pan, base + 1, "pan", PAN_MIN, PAN_MAX)
    _check_t1_text(name, base + fs1 + 1, "name", NAME_MIN, NAME_MAX)
    at = base + fs2 + 1
    _check_expiry(rest[:4], at)
    _check_digits(rest[4:7], at + 4, "service code", 3, 3)
    _check_t1_text(rest[7:], at + 7, "discretionary", 0, TRACK1_MAX)
    return Track1(Pan(pan), name, rest[:4], ServiceCode(rest[4:7]), rest[7:])


def parse_track2(data: str | bytes) -> Track2:
    """Parse track 2: magstripe text (``;...=...?LRC``, sentinels and LRC optional) or track 2 equivalent
    data (``...D...``, optional trailing ``F``) as hex text or as bytes (the value of tag 57).

    Raises:
        TrackError: with the position (in characters, or nibbles for equivalent data) and reason.

    >>> parse_track2("6224242900000113D28062013949031013").discretionary == "3949031013"
    True
    >>> parse_track2(bytes.fromhex("6224242900000113D28062013949031013")).expiry_yymm
    '2806'
    """
    if isinstance(data, bytes | bytearray | memoryview):
        return _parse_equivalent(bytes(data).hex().upper())
    if data.startswith(";") or "=" in data:
        body, base = _unframe(data, 2)
        return _parse_t2_body(body, base, "=")
    return _parse_equivalent(data.translate(_UPPER_DF))


def _parse_equivalent(text: str) -> Track2:
    if text.endswith("F"):
        text = text[:-1]
    if len(text) > TRACK2_MAX - _FRAME:
        raise TrackError(f"longer than {TRACK2_MAX - _FRAME} digits", TRACK2_MAX - _FRAME)
    return _parse_t2_body(text, 0, "D")


def _parse_t2_body(body: str, base: int, sep: str) -> Track2:
    fs = body.find(sep)
    if fs < 0:
        raise TrackError(f"missing field separator {sep}", base + len(body))
    pan, rest = body[:fs], body[fs + 1 :]
    _check_digits(pan, base, "pan", PAN_MIN, PAN_MAX)
    at = base + fs + 1
    _check_expiry(rest[:4], at)
    _check_digits(rest[4:7], at + 4, "service code", 3, 3)
    _check_digits(rest[7:], at + 7, "discretionary", 0, TRACK2_MAX)
    return Track2(Pan(pan), rest[:4], ServiceCode(rest[4:7]), rest[7:])


def _frame(data: str, track: Literal[1, 2], framing: Framing) -> str:
    if framing == "bare":
        return data
    framed = ("%" if track == 1 else ";") + data + "?"
    return framed + track_lrc(framed, track) if framing == "full" else framed


def encode_track1(track: Track1, framing: Framing = "full") -> str:
    """The track 1 image: ``full`` (sentinels and LRC, as on the stripe), ``sentinels``, or ``bare`` data.

    >>> t = Track1(Pan("6224242900000113"), "ZHANG/SAN", "2806", ServiceCode("201"), "0000")
    >>> encode_track1(t)
    '%B6224242900000113^ZHANG/SAN^28062010000?B'
    >>> encode_track1(t, "bare")[-11:], parse_track1(encode_track1(t)) == t
    ('28062010000', True)
    """
    data = f"B{track.pan.digits}^{track.name}^{track.expiry_yymm}{track.service_code.digits}"
    return _frame(data + track.discretionary, 1, framing)


def encode_track2(track: Track2, framing: Framing = "full") -> str:
    """The track 2 image: ``full`` (sentinels and LRC, as on the stripe), ``sentinels``, or ``bare`` data.

    >>> t = Track2(Pan("6224242900000113"), "2806", ServiceCode("201"), "3949031013")
    >>> encode_track2(t)[-4:], parse_track2(encode_track2(t)) == t
    ('13?=', True)
    """
    data = f"{track.pan.digits}={track.expiry_yymm}{track.service_code.digits}{track.discretionary}"
    return _frame(data, 2, framing)


def encode_track2_equivalent(track: Track2) -> str:
    """Track 2 equivalent data as hex text (``D`` separator, ``F``-padded to whole bytes): the value of
    tag 57 is ``bytes.fromhex`` of it; ISO 8583 field 35 carries the same digits.

    >>> encode_track2_equivalent(Track2(Pan("6224242900000113"), "2806", ServiceCode("201"), "394"))
    '6224242900000113D2806201394F'
    """
    text = f"{track.pan.digits}D{track.expiry_yymm}{track.service_code.digits}{track.discretionary}"
    return text + "F" * (len(text) % 2)


def swipe_decision(track: Track1 | Track2, chip_read_failed: bool) -> SwipeDecision:
    """What the terminal does with a swipe (DOMAIN_FACTS.md A "Fallback/force-chip"; F).

    ``"accept"`` a card without a chip (service code not 2xx/6xx); ``"insert_chip"`` for a chip card, which
    must be read by its chip; ``"fallback"`` for a chip card only after its chip read failed: the swipe is
    taken as a fallback and the terminal sets ISO 8583 field 60.5 to ``2``.

    >>> t = Track2(Pan("6224242900000113"), "2806", ServiceCode("201"), "")
    >>> swipe_decision(t, chip_read_failed=False), swipe_decision(t, chip_read_failed=True)
    ('insert_chip', 'fallback')
    >>> swipe_decision(Track2(t.pan, "2806", ServiceCode("101"), ""), chip_read_failed=False)
    'accept'
    """
    if not track.service_code.requires_chip:
        return "accept"
    if chip_read_failed:
        log.info("chip card swiped after a failed chip read: fallback")
        return "fallback"
    return "insert_chip"
