"""Structured fields of the CUP POS profile: amounts, fields 22, 53, 55, 60, 61 and 63 (DOMAIN_FACTS A).

Each structure is a frozen dataclass with ``to_field()`` and ``from_field()``, the field value being what
:class:`host.protocol.Message` holds (a digit string, or bytes for fields 55 and 63). Sources: the CUP POS
terminal specification (2010) as DOMAIN_FACTS section A summarises it, and the production implementation it
cites (Centerm ``BaseField22/53/60/61.java``). Amounts are int fen (1/100 CNY), never floats. Field 48
(settlement totals) is in :mod:`host.settlement`, field 62 (the sign-on key block) in :mod:`host.keyblock`.

A parser raises :class:`host.errors.Iso8583Error` with ``field`` set and a reason naming the subfield.

>>> f60 = Field60.from_field("22000024000600")
>>> f60.type_code, f60.batch, f60.network_code, f60.reader_capability, f60.ic_condition, f60.partial_approval
('22', 24, '000', 6, 0, 0)
>>> PosEntryMode.from_field("071")
PosEntryMode(method=<EntryMethod.CONTACTLESS: 7>, pin=<PinCapability.PIN_ENTERED: 1>)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from emv import tlv
from emv.errors import TlvError
from host.errors import Iso8583Error
from host.profile import is_bcd

__all__ = [
    "CARD_ORGANISATIONS",
    "IC_CONDITIONS",
    "MESSAGE_TYPE_CODES",
    "NETWORK_CODES",
    "READER_CAPABILITIES",
    "REQUEST_ICC_TAGS",
    "REVERSAL_ICC_TAGS",
    "EntryMethod",
    "Field60",
    "Field63",
    "OriginalTransaction",
    "PinAlgorithm",
    "PinCapability",
    "PinFormat",
    "PosEntryMode",
    "SecurityControl",
    "decode_icc_data",
    "encode_icc_data",
    "format_amount",
    "parse_amount",
]


def _digits(text: str, size: int, what: str, field: int) -> str:
    if len(text) != size or not is_bcd(text):
        raise Iso8583Error(f"{what} is not {size} digits", field=field)
    return text


# ---------------------------------------------------------------------------------------------------------
# Amounts (fields 4 and 48): int fen
# ---------------------------------------------------------------------------------------------------------


def format_amount(fen: int, digits: int = 12) -> str:
    """An amount in fen as the zero-padded digits of an ``n`` field (field 4: n12, ``000000000001`` = 0.01).

    >>> format_amount(1), format_amount(123456)
    ('000000000001', '000000123456')

    Raises:
        Iso8583Error: a negative amount, a non-int (a float or a Decimal), or one too large for ``digits``.
    """
    if type(fen) is not int or fen < 0 or fen >= 10**digits:
        raise Iso8583Error(f"amount is not an int fen in 0..{10**digits - 1}")
    return f"{fen:0{digits}d}"


def parse_amount(text: str) -> int:
    """The amount in fen of an ``n`` amount field.

    >>> parse_amount("000000000001"), parse_amount("000000123456")
    (1, 123456)

    Raises:
        Iso8583Error: empty or not all digits.
    """
    if not text or not is_bcd(text):
        raise Iso8583Error("amount is not digits")
    return int(text)


# ---------------------------------------------------------------------------------------------------------
# Field 22: POS entry mode
# ---------------------------------------------------------------------------------------------------------


class EntryMethod(enum.IntEnum):
    """22.1, the first two digits: how the card data was read (Centerm ``CheckCardPresent.java``)."""

    UNSPECIFIED = 0
    MANUAL = 1
    SWIPE = 2
    SCANNED = 3  # a customer-presented QR code
    CONTACT = 5
    CONTACTLESS = 7


class PinCapability(enum.IntEnum):
    """22.2, the third digit: 1 a PIN was entered (or can be), 2 no PIN (Centerm ``BaseField22.java``)."""

    UNSPECIFIED = 0
    PIN_ENTERED = 1
    NO_PIN = 2


@dataclass(frozen=True)
class PosEntryMode:
    """Field 22, n3, left-aligned on the wire (``071`` is sent as ``07 10``).

    >>> PosEntryMode(EntryMethod.CONTACT, PinCapability.NO_PIN).to_field()
    '052'
    """

    method: EntryMethod
    pin: PinCapability

    def to_field(self) -> str:
        return f"{self.method:02d}{self.pin:d}"

    @classmethod
    def from_field(cls, text: str) -> PosEntryMode:
        """Raises: Iso8583Error: not 3 digits, or an entry method or PIN code the profile does not define."""
        _digits(text, 3, "entry mode", 22)
        try:
            return cls(EntryMethod(int(text[:2])), PinCapability(int(text[2])))
        except ValueError:
            raise Iso8583Error("entry method or PIN capability not defined", field=22) from None


# ---------------------------------------------------------------------------------------------------------
# Field 53: security related control information
# ---------------------------------------------------------------------------------------------------------


class PinFormat(enum.IntEnum):
    """53.1: the PIN block format (2 = ANSI X9.8 / ISO 9564 format 0 with the PAN)."""

    NONE = 0
    WITHOUT_PAN = 1
    WITH_PAN = 2


class PinAlgorithm(enum.IntEnum):
    """53.2: the PIN (and track) encryption algorithm."""

    SINGLE_DES = 0
    DOUBLE_TDES = 6


@dataclass(frozen=True)
class SecurityControl:
    """Field 53, n16: PIN format, algorithm, track-encryption flag, then 13 reserved digits (``0``).

    >>> f53 = SecurityControl.from_field("2600000000000000")
    >>> f53.pin_format, f53.algorithm, f53.track_encrypted
    (<PinFormat.WITH_PAN: 2>, <PinAlgorithm.DOUBLE_TDES: 6>, False)
    >>> SecurityControl(PinFormat.NONE, PinAlgorithm.SINGLE_DES, track_encrypted=True).to_field()
    '0010000000000000'
    """

    pin_format: PinFormat
    algorithm: PinAlgorithm
    track_encrypted: bool = False
    reserved: str = "0" * 13

    def to_field(self) -> str:
        _digits(self.reserved, 13, "53.4 reserved", 53)
        return f"{self.pin_format:d}{self.algorithm:d}{int(self.track_encrypted)}{self.reserved}"

    @classmethod
    def from_field(cls, text: str) -> SecurityControl:
        """Raises: Iso8583Error: not 16 digits, or a format, algorithm or flag the profile does not define."""
        _digits(text, 16, "security control", 53)
        try:
            fmt, alg = PinFormat(int(text[0])), PinAlgorithm(int(text[1]))
        except ValueError:
            raise Iso8583Error("PIN format or algorithm not defined", field=53) from None
        if text[2] not in "01":
            raise Iso8583Error("track-encryption flag is not 0 or 1", field=53)
        return cls(fmt, alg, text[2] == "1", text[3:])


# ---------------------------------------------------------------------------------------------------------
# Field 60: message type code, batch, network management code, terminal capabilities
# ---------------------------------------------------------------------------------------------------------

MESSAGE_TYPE_CODES: Mapping[str, str] = MappingProxyType(
    {
        "00": "management",
        "01": "balance inquiry",
        "10": "pre-authorisation",
        "11": "pre-authorisation void",
        "20": "pre-authorisation completion",
        "21": "pre-authorisation completion void",
        "22": "purchase",
        "23": "purchase void",
        "24": "pre-authorisation completion advice",
        "25": "refund",
        "27": "EC offline refund",
        "30": "offline settlement",
        "32": "adjustment",
        "34": "adjustment with tip",
        "36": "IC offline upload",
    }
)
"""60.1, the transaction type code (DOMAIN_FACTS A; Centerm ``BaseField60.java``)."""

NETWORK_CODES: Mapping[str, str] = MappingProxyType(
    {
        "000": "financial",
        "001": "sign-on, single-length keys",
        "002": "sign-off",
        "003": "sign-on, double-length keys",
        "004": "sign-on, double-length keys and track key",
        "201": "settlement / batch upload",
        "202": "batch upload end, not balanced",
        "206": "batch upload end (variant)",
        "207": "batch upload end, balanced",
        "301": "echo test",
        "370": "CAPK download",
        "371": "CAPK download end",
        "372": "CAPK status upload",
        "380": "IC parameter download",
        "381": "IC parameter download end",
        "382": "IC parameter status upload",
        "401": "terminal master key download",
        "951": "script result upload",
        "960": "card BIN download",
        "961": "card BIN download end",
    }
)
"""60.3, the network management information code (DOMAIN_FACTS A; ``301`` echo test is [U])."""

READER_CAPABILITIES: Mapping[int, str] = MappingProxyType(
    {2: "magnetic stripe", 5: "magnetic stripe and contact IC", 6: "magnetic stripe, contact and contactless"}
)
"""60.4, the terminal's card reading capability."""

IC_CONDITIONS: Mapping[int, str] = MappingProxyType(
    {0: "normal", 1: "IC card read by its magnetic stripe", 2: "fallback from IC to magnetic stripe"}
)
"""60.5, the IC card condition code."""


@dataclass(frozen=True)
class Field60:
    """Field 60, n..17: 60.1 type code (n2), 60.2 batch (n6), 60.3 network code (n3), then one digit each
    for 60.4 reader capability, 60.5 IC condition and 60.6 partial-approval flag, then any further digits.

    The field may end after any subfield from 60.2 on; an absent subfield is None (``rest`` empty).

    >>> Field60("00", 1, "004").to_field()
    '00000001004'
    >>> Field60.from_field("00000001004").reader_capability is None
    True
    """

    type_code: str
    batch: int
    network_code: str | None = "000"
    reader_capability: int | None = None
    ic_condition: int | None = None
    partial_approval: int | None = None
    rest: str = ""

    def to_field(self) -> str:
        """Raises: Iso8583Error: a subfield out of range, or one present after an absent one."""
        _digits(self.type_code, 2, "60.1 type code", 60)
        if not 0 <= self.batch <= 999_999:
            raise Iso8583Error("60.2 batch outside 0..999999", field=60)
        if self.network_code is not None:
            _digits(self.network_code, 3, "60.3 network code", 60)
        singles = (self.reader_capability, self.ic_condition, self.partial_approval)
        if any(v is not None and not 0 <= v <= 9 for v in singles):
            raise Iso8583Error("60.4 to 60.6 are not one digit each", field=60)
        parts = [self.network_code, *(None if v is None else str(v) for v in singles), self.rest or None]
        present = [p for p in parts if p is not None]
        if parts[: len(present)] != present:
            raise Iso8583Error("subfield present after an absent one", field=60)
        out = f"{self.type_code}{self.batch:06d}" + "".join(present)
        if len(out) > 17 or not is_bcd(out):
            raise Iso8583Error("field is not at most 17 digits", field=60)
        return out

    @classmethod
    def from_field(cls, text: str) -> Field60:
        """Raises: Iso8583Error: not digits, or a length that splits a subfield (under 8 digits, 9 or 10)."""
        if not is_bcd(text) or len(text) < 8 or len(text) in (9, 10) or len(text) > 17:
            raise Iso8583Error("field is not 8, or 11 to 17, digits", field=60)
        singles: list[int | None] = [int(c) for c in text[11:14]]
        singles += [None] * (3 - len(singles))
        return cls(
            text[:2], int(text[2:8]), text[8:11] or None, singles[0], singles[1], singles[2], text[14:]
        )


# ---------------------------------------------------------------------------------------------------------
# Field 61: the original transaction
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OriginalTransaction:
    """Field 61, n..29: original batch (n6), original trace (n6), original date MMDD (n4), further digits.

    >>> OriginalTransaction(24, 403, "0830").to_field()
    '0000240004030830'
    >>> OriginalTransaction.from_field("000024000403")
    OriginalTransaction(batch=24, trace=403, date=None, rest='')
    """

    batch: int
    trace: int
    date: str | None = None
    rest: str = ""

    def to_field(self) -> str:
        """Raises: Iso8583Error: batch or trace outside 0..999999, a date not 4 digits, rest without date."""
        if not (0 <= self.batch <= 999_999 and 0 <= self.trace <= 999_999):
            raise Iso8583Error("original batch or trace outside 0..999999", field=61)
        out = f"{self.batch:06d}{self.trace:06d}"
        if self.date is not None:
            out += _digits(self.date, 4, "original date", 61)
        elif self.rest:
            raise Iso8583Error("digits after an absent original date", field=61)
        out += self.rest
        if len(out) > 29 or not is_bcd(out):
            raise Iso8583Error("field is not at most 29 digits", field=61)
        return out

    @classmethod
    def from_field(cls, text: str) -> OriginalTransaction:
        """Raises: Iso8583Error: not digits, or not 12, or 16 to 29, digits long."""
        if not is_bcd(text) or not (len(text) == 12 or 16 <= len(text) <= 29):
            raise Iso8583Error("field is not 12, or 16 to 29, digits", field=61)
        return cls(int(text[:6]), int(text[6:12]), text[12:16] or None, text[16:])


# ---------------------------------------------------------------------------------------------------------
# Field 63: operator code (requests) or card organisation (replies), then free data
# ---------------------------------------------------------------------------------------------------------

CARD_ORGANISATIONS: Mapping[str, str] = MappingProxyType(
    {"CUP": "UnionPay", "VIS": "Visa", "MCC": "Mastercard", "MAE": "Maestro", "JCB": "JCB", "AEX": "Amex"}
)
"""63.1 in replies: the international card organisation code (CUP POS specification, field 63)."""


@dataclass(frozen=True)
class Field63:
    """Field 63: a 3-character code (the operator code in requests, the card organisation in replies),
    then free data (in replies, the issuer's name, often GBK text; kept as bytes).

    >>> Field63.from_field(b"01 ")
    Field63(code='01 ', rest=b'')
    >>> Field63("CUP", "中国银联".encode("gbk")).to_field()[:3]
    b'CUP'
    """

    code: str
    rest: bytes = b""

    def to_field(self) -> bytes:
        """Raises: Iso8583Error: the code is not 3 printable ASCII characters."""
        if len(self.code) != 3 or not all(0x20 <= ord(c) < 0x7F for c in self.code):
            raise Iso8583Error("63.1 is not 3 printable ASCII characters", field=63)
        return self.code.encode("ascii") + self.rest

    @classmethod
    def from_field(cls, value: bytes) -> Field63:
        """Raises: Iso8583Error: fewer than 3 bytes, or a code that is not printable ASCII."""
        if len(value) < 3 or not all(0x20 <= b < 0x7F for b in value[:3]):
            raise Iso8583Error("63.1 is not 3 printable ASCII characters", field=63)
        return cls(value[:3].decode("ascii"), value[3:])


# ---------------------------------------------------------------------------------------------------------
# Field 55: ICC data, BER-TLV
# ---------------------------------------------------------------------------------------------------------

REQUEST_ICC_TAGS: tuple[int, ...] = (
    0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C, 0x9F02, 0x5F2A, 0x82,
    0x9F1A, 0x9F03, 0x9F33, 0x9F34, 0x9F35, 0x9F1E, 0x84, 0x9F09, 0x9F41, 0x9F63,
)  # fmt: skip
"""The field 55 tags of an online request, in order (DOMAIN_FACTS A; Centerm ``NewEmvTag.java``)."""

REVERSAL_ICC_TAGS: tuple[int, ...] = (0x95, 0x9F1E, 0x9F10, 0x9F36, 0xDF31)
"""The field 55 tags of a reversal (0400)."""


def decode_icc_data(value: bytes) -> tlv.Tlv:
    """Decode field 55 with :func:`emv.tlv.decode`.

    >>> decode_icc_data(bytes.fromhex("9F2701809F360201579A03190830")).find(0x9F36).hex()
    '0157'

    Raises:
        Iso8583Error: malformed BER-TLV; ``field`` 55, ``offset`` counted from the start of the value.
    """
    try:
        return tlv.decode(value)
    except TlvError as exc:
        raise Iso8583Error(f"ICC data: {exc.reason}", field=55, offset=exc.offset) from None


def encode_icc_data(items: Iterable[tuple[int, bytes]] | Mapping[int, bytes]) -> bytes:
    """Encode field 55 from ``(tag, value)`` pairs or a mapping, in order, with :func:`emv.tlv.encode`.

    >>> encode_icc_data([(0x9F27, b"\\x80"), (0x9F36, bytes.fromhex("0157"))]).hex().upper()
    '9F2701809F36020157'

    Raises:
        Iso8583Error: a malformed tag or an over-long value (``field`` 55).
    """
    try:
        return tlv.encode(items)
    except TlvError as exc:
        raise Iso8583Error(f"ICC data: {exc.reason}", field=55) from None
