"""ISO 8583 messages of the CUP POS profile: the message, its envelope, and the body codec on pyiso8583.

A :class:`Message` is the MTI, the fields by number, the TPDU and the 6-byte header (DOMAIN_FACTS section A;
ISO 8583:1987 for the MTI, bitmap and fields). :func:`encode_body` and :func:`decode_body` turn the part from
the MTI to the last field into bytes and back with :data:`host.profile.SPEC`; :mod:`host.framing` adds the
length prefix, TPDU and header. pyiso8583 reads lengths, pads and bitmaps; this module adds what it leaves
out: the set of message types, fields the profile does not define, BCD digits (pyiso8583 takes ``A``-``F``
in a BCD field as hex), printable ASCII, and errors that hold a position instead of the message.

Field values are ``str`` for ``n``, ``z``, ``an`` and ``ans`` fields (digits without the pad nibble, text
as sent) and ``bytes`` for ``b`` fields. Money stays a string of digits here; :mod:`host.fields` converts
amounts to int fen. Decoding is strict (pad nibbles must be ``0``), so ``encode_body(decode_body(b)) == b``
for every body that decodes: the MAC can be computed over a decoded message.

>>> msg = Message("0800", {11: "000001", 41: "10000019", 60: "00000001004"})
>>> body = encode_body(msg)
>>> body.hex().upper()
'0800002000000080001000000131303030303031390011000000010040'
>>> decode_body(body) == msg
True
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import iso8583

from host.errors import FrameError, Iso8583Error
from host.profile import FIELDS, MTIS, SPEC, FieldSpec, Kind, is_bcd

__all__ = [
    "HEADER_SIZE",
    "TPDU_ID",
    "TPDU_SIZE",
    "FieldValue",
    "Header",
    "Message",
    "ProcessingRequirement",
    "Tpdu",
    "decode_body",
    "encode_body",
    "field_segments",
    "reply_tpdu",
]

FieldValue = str | bytes
"""A field value: ``str`` for n, z, an and ans fields, ``bytes`` for b fields."""

TPDU_ID = 0x60
TPDU_SIZE = 5
HEADER_SIZE = 6
_PRINTABLE = frozenset(range(0x20, 0x7F))
_NOT_PRINTABLE_TEXT = re.compile("[^\x20-\x7e]")
_NOT_PRINTABLE = re.compile(b"[^\x20-\x7e]")
_NOT_BCD = re.compile(b"[^0-9]")
_NOT_TRACK = re.compile(b"[^0-9d]")  # bytes.hex() is lower case
_DEFINED_BITS = sum(1 << (64 - n) for n in FIELDS)
_VALUE_TYPES: Mapping[int, type] = MappingProxyType(
    {n: bytes if f.kind is Kind.B else str for n, f in FIELDS.items()}
)


# ---------------------------------------------------------------------------------------------------------
# The envelope: TPDU and header
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tpdu:
    """The transport protocol data unit: ``60``, destination address (2 bytes), source address (2 bytes).

    >>> Tpdu.from_bytes(bytes.fromhex("6000060000"))
    Tpdu(destination=6, source=0)
    >>> reply_tpdu(Tpdu(destination=6, source=0)).to_bytes().hex()
    '6000000006'
    """

    destination: int = 0
    source: int = 0

    def __post_init__(self) -> None:
        if not (0 <= self.destination <= 0xFFFF and 0 <= self.source <= 0xFFFF):
            raise FrameError("TPDU address outside 0000..FFFF")

    def to_bytes(self) -> bytes:
        return bytes((TPDU_ID,)) + self.destination.to_bytes(2, "big") + self.source.to_bytes(2, "big")

    @classmethod
    def from_bytes(cls, data: bytes, offset: int = 0) -> Tpdu:
        """Read the 5 bytes of a TPDU; ``offset`` is where they start, for error positions.

        Raises:
            FrameError: fewer than 5 bytes, or a first byte other than ``60``.
        """
        if len(data) < TPDU_SIZE:
            raise FrameError("frame ends inside the TPDU", offset=offset + len(data))
        if data[0] != TPDU_ID:
            raise FrameError("TPDU does not start with 60", offset=offset)
        return cls(int.from_bytes(data[1:3], "big"), int.from_bytes(data[3:5], "big"))


def reply_tpdu(tpdu: Tpdu) -> Tpdu:
    """The TPDU of a reply: the request's source and destination addresses swapped.

    >>> reply_tpdu(Tpdu(destination=0x0601, source=0x0000))
    Tpdu(destination=0, source=1537)
    """
    return Tpdu(destination=tpdu.source, source=tpdu.destination)


class ProcessingRequirement(enum.IntEnum):
    """What the host asks of the terminal in a reply header's processing-requirement nibble.

    Values from the CUP profile as a production terminal implements them (DOMAIN_FACTS A; Centerm
    ``ProcessRequestManager.java``).
    """

    NONE = 0
    DOWNLOAD_PARAMETERS = 1  # download terminal parameters
    UPLOAD_STATUS = 2  # upload terminal status
    SIGN_ON_AGAIN = 3  # sign on again (new working keys)
    UPDATE_CAPKS = 4  # download the CA public keys
    UPDATE_IC_PARAMETERS = 5  # download the IC card (AID) parameters
    TMS_DOWNLOAD = 6  # download through the TMS


@dataclass(frozen=True)
class Header:
    """The 6-byte BCD message header: app type, spec version, status and processing nibbles, sub-version.

    ``60 31 00 31 10 03`` is app type 60 (IC financial), version 31, terminal status 0 (normal), processing
    requirement 0 and sub-version ``311003``.

    >>> h = Header.from_bytes(bytes.fromhex("603100311003"))
    >>> h.app_type, h.version, h.terminal_status, h.processing, h.sub_version
    ('60', '31', 0, 0, '311003')
    >>> h.requirement, Header(processing=3).to_bytes().hex()
    (<ProcessingRequirement.NONE: 0>, '603103000000')
    """

    app_type: str = "60"
    version: str = "31"
    terminal_status: int = 0
    processing: int = ProcessingRequirement.NONE
    sub_version: str = "000000"

    def __post_init__(self) -> None:
        ok = (
            len(self.app_type) == 2
            and len(self.version) == 2
            and len(self.sub_version) == 6
            and is_bcd(self.app_type + self.version + self.sub_version)
            and 0 <= self.terminal_status <= 9
            and 0 <= self.processing <= 9
        )
        if not ok:
            raise FrameError("header needs 2+2 digits, two nibbles 0..9 and 6 digits")

    @property
    def requirement(self) -> ProcessingRequirement | None:
        """The processing requirement as an enum, or None for a value the profile does not define."""
        try:
            return ProcessingRequirement(self.processing)
        except ValueError:
            return None

    def to_bytes(self) -> bytes:
        digits = f"{self.app_type}{self.version}{self.terminal_status}{self.processing}{self.sub_version}"
        return bytes.fromhex(digits)

    @classmethod
    def from_bytes(cls, data: bytes, offset: int = 0) -> Header:
        """Read the 6 header bytes; ``offset`` is where they start, for error positions.

        Raises:
            FrameError: fewer than 6 bytes, or a nibble that is not a decimal digit.
        """
        if len(data) < HEADER_SIZE:
            raise FrameError("frame ends inside the header", offset=offset + len(data))
        digits = data[:HEADER_SIZE].hex()
        for i, c in enumerate(digits):
            if c not in "0123456789":
                raise FrameError("bad BCD in header", offset=offset + i // 2)
        return cls(digits[0:2], digits[2:4], int(digits[4]), int(digits[5]), digits[6:12])


# ---------------------------------------------------------------------------------------------------------
# The message
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Message:
    """One ISO 8583 message of the CUP POS profile: immutable, its fields kept in field-number order.

    Construction checks that every field is defined by the profile and has the right value type; the
    contents (digits, lengths) are checked when the message is encoded. ``repr`` lists field numbers only,
    never values, so a message may appear in a log line.

    >>> m = Message("0200", {4: "000000000001", 2: "6224242900000113"})
    >>> m
    Message(mti='0200', fields=[2, 4])
    >>> m[4], m.get(3), list(m.with_fields({3: "000000", 2: None}).fields)
    ('000000000001', None, [3, 4])

    Raises:
        Iso8583Error: a field the profile does not define, or a value of the wrong type (``field`` set).
    """

    mti: str
    fields: Mapping[int, FieldValue] = field(default_factory=dict)
    tpdu: Tpdu = Tpdu()
    header: Header = Header()

    def __post_init__(self) -> None:
        for number, value in self.fields.items():
            wanted = _VALUE_TYPES.get(number)
            if type(value) is not wanted:
                if wanted is None:
                    raise Iso8583Error("field not defined by the CUP profile", field=number)
                raise Iso8583Error(f"value must be {wanted.__name__}", field=number)
        object.__setattr__(self, "fields", MappingProxyType(dict(sorted(self.fields.items()))))

    def __repr__(self) -> str:
        return f"Message(mti={self.mti!r}, fields={list(self.fields)})"

    def __getitem__(self, number: int) -> FieldValue:
        return self.fields[number]

    def __contains__(self, number: object) -> bool:
        return number in self.fields

    def get(self, number: int) -> FieldValue | None:
        """The value of field ``number``, or None when the message does not carry it."""
        return self.fields.get(number)

    def with_fields(self, changes: Mapping[int, FieldValue | None]) -> Message:
        """A copy with fields set (or removed, for a None value); MTI, TPDU and header are kept."""
        merged = dict(self.fields)
        for number, value in changes.items():
            if value is None:
                merged.pop(number, None)
            else:
                merged[number] = value
        return Message(self.mti, merged, self.tpdu, self.header)


# ---------------------------------------------------------------------------------------------------------
# Body codec: MTI, bitmap and fields
# ---------------------------------------------------------------------------------------------------------


def _check_value(spec: FieldSpec, value: FieldValue) -> str:
    """The pyiso8583 text of one value, after checking its characters and length."""
    n = spec.number
    if isinstance(value, bytes):
        size = len(value)
        text = value.hex().upper()
    else:
        size = len(value)
        text = value
        if spec.kind is Kind.N and not is_bcd(value):
            raise Iso8583Error("value is not all decimal digits", field=n)
        if spec.kind is Kind.Z and not is_bcd(value, extra="D"):
            raise Iso8583Error("value is not digits and separator D", field=n)
        if spec.kind in (Kind.AN, Kind.ANS) and _NOT_PRINTABLE_TEXT.search(value) is not None:
            raise Iso8583Error("value is not printable ASCII", field=n)
    unit = "digits" if spec.is_bcd else "bytes"
    if spec.prefix == 0 and size != spec.max_len:
        raise Iso8583Error(f"value of {size} {unit}, field takes {spec.max_len}", field=n)
    if size > spec.max_len:
        raise Iso8583Error(f"value of {size} {unit}, field takes at most {spec.max_len}", field=n)
    return text


def _encode(msg: Message) -> dict[str, dict[str, bytes]]:
    if msg.mti not in MTIS:
        raise Iso8583Error("MTI not used by the CUP profile")
    doc = {"t": msg.mti}
    for number, value in msg.fields.items():
        doc[str(number)] = _check_value(FIELDS[number], value)
    failure: tuple[str, str] | None = None
    try:
        _, enc = iso8583.encode(doc, SPEC)
    except iso8583.EncodeError as exc:  # not reached after _check_value; kept as a located error
        failure = (exc.field, exc.msg)
    if failure is not None:  # raised outside the handler: the pyiso8583 error holds every value
        key, text = failure
        raise Iso8583Error(f"pyiso8583: {text}", field=int(key) if key.isdigit() else None)
    return enc


def encode_body(msg: Message) -> bytes:
    """The bytes of ``msg`` from the MTI to the last field (no length prefix, TPDU or header).

    >>> encode_body(Message("0820", {11: "000007"})).hex().upper()
    '08200020000000000000000007'

    Raises:
        Iso8583Error: an MTI outside :data:`host.profile.MTIS`, or a value with bad characters or length.
    """
    enc = _encode(msg)
    return b"".join(part["len"] + part["data"] for part in enc.values())


def field_segments(msg: Message) -> dict[int, bytes]:
    """Each field's bytes as encoded (length prefix and data), by field number.

    >>> field_segments(Message("0800", {11: "000001", 60: "00000001004"}))[60].hex()
    '0011000000010040'

    Raises:
        Iso8583Error: as :func:`encode_body`.
    """
    enc = _encode(msg)
    return {int(k): part["len"] + part["data"] for k, part in enc.items() if k.isdigit()}


def decode_body(
    data: bytes, base: int = 0, tpdu: Tpdu | None = None, header: Header | None = None
) -> Message:
    """Decode the bytes from the MTI to the last field; ``base`` is their offset in the frame.

    >>> decode_body(bytes.fromhex("08200020000000000000000007"))
    Message(mti='0820', fields=[11])
    >>> decode_body(bytes.fromhex("0820002000000000000000000A"), base=13)
    Traceback (most recent call last):
    ...
    host.errors.Iso8583Error: bad BCD at offset 25, field 11

    Raises:
        Iso8583Error: bad BCD in the MTI or a field, an MTI the profile does not use, a bitmap naming a
            field the profile does not define, a length or pad nibble that does not fit, text that is not
            printable ASCII, a field running past the end, or bytes after the last field. ``offset`` is
            ``base`` plus the position in ``data``; ``field`` is set once the error is inside a field.
    """
    data = bytes(data)
    if len(data) < 10:
        raise Iso8583Error("message ends before the end of the bitmap", offset=base + len(data))
    mti = data[:2].hex()
    if not is_bcd(mti):
        raise Iso8583Error("bad BCD in MTI", offset=base)
    if mti not in MTIS:
        raise Iso8583Error("unknown MTI", offset=base)
    bits = int.from_bytes(data[2:10], "big")
    for number in range(1, 65) if bits & ~_DEFINED_BITS else ():
        if bits >> (64 - number) & 1 and number not in FIELDS:
            reason = "secondary bitmap not used by the CUP profile" if number == 1 else "undefined field"
            raise Iso8583Error(reason, field=number, offset=base + 2 + (number - 1) // 8)
    failure: tuple[str, str, int, bytes, int] | None = None
    try:
        dec, enc = iso8583.decode(data, SPEC)
    except iso8583.DecodeError as exc:
        part = exc.doc_enc.get(exc.field, {})
        raw = part.get("data", b"")
        shift = (
            next((i for i, b in enumerate(raw) if b > 0x7F), 0)
            if exc.msg.startswith("Failed to decode")
            else 0
        )
        failure = (exc.msg, exc.field, exc.pos + shift, part.get("len", b""), len(raw))
    if failure is not None:  # raised outside the handler: the pyiso8583 error holds the whole message
        raise _decode_failure(*failure, base=base, size=len(data))
    pos = 10
    fields: dict[int, FieldValue] = {}
    for key, part in enc.items():
        if not key.isdigit():
            continue
        number = int(key)
        spec = FIELDS[number]
        start = pos + len(part["len"])
        pos = start + len(part["data"])
        if spec.kind is Kind.B:
            fields[number] = part["data"]
            continue
        bad = _first_bad(spec, part["data"])
        if bad is not None:
            reason = "bad BCD" if spec.is_bcd else "not printable ASCII"
            raise Iso8583Error(reason, field=number, offset=base + start + bad)
        fields[number] = dec[key]
    return Message(mti, fields, tpdu or Tpdu(), header or Header())


def _first_bad(spec: FieldSpec, raw: bytes) -> int | None:
    """Offset in ``raw`` of the first byte holding a character the field's kind does not allow."""
    if spec.is_bcd:
        found = (_NOT_TRACK if spec.kind is Kind.Z else _NOT_BCD).search(raw.hex().encode("ascii"))
        return None if found is None else found.start() // 2
    found = _NOT_PRINTABLE.search(raw)
    return None if found is None else found.start()


def _decode_failure(
    text: str, key: str, pos: int, prefix: bytes, got: int, base: int, size: int
) -> Iso8583Error:
    """Turn a pyiso8583 decode failure into a located error without any of the message's bytes."""
    number = int(key) if key.isdigit() else None
    if text.startswith("Extra data"):
        return Iso8583Error(f"{size - pos} extra byte(s) after the last field", offset=base + pos)
    if text.startswith("Field length is"):
        return Iso8583Error("message ends inside a length prefix", field=number, offset=base + pos)
    if "invalid BCD" in text:
        return Iso8583Error("bad BCD in length prefix", field=number, offset=base + pos)
    if "larger than maximum" in text:
        return Iso8583Error("length prefix over the field maximum", field=number, offset=base + pos)
    if text.startswith("Field data is") and number is not None:
        spec = FIELDS[number]
        declared = spec.max_len if spec.prefix == 0 else int(prefix.hex())
        need = (declared + 1) // 2 if spec.is_bcd else declared
        if got < need:
            return Iso8583Error("field runs past the end of the message", field=number, offset=base + pos)
        return Iso8583Error("pad nibble is not 0", field=number, offset=base + pos)
    if text.startswith("Failed to decode field"):
        return Iso8583Error("not ASCII text", field=number, offset=base + pos)
    return Iso8583Error("malformed field", field=number, offset=base + pos)
