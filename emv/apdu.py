"""Command and response APDUs of the EMV card commands (EMV 4.4 Book 1 section 9, Book 3 section 6.5).

:class:`Command` builds and parses a C-APDU (short Lc/Le only, as EMV uses), :class:`Response` splits an
R-APDU into data and status word. The builders give the exact bytes DOMAIN_FACTS.md B lists, e.g.

>>> select(b"1PAY.SYS.DDF01").hex().upper()
'00A404000E315041592E5359532E444446303100'
>>> read_record(1, 1).hex().upper()
'00B2010C00'
>>> gpo(b"").hex().upper()
'80A8000002830000'
>>> Response.parse(bytes.fromhex("6F009000")).sw
36864
"""

from __future__ import annotations

from dataclasses import dataclass

from emv.errors import EmvError
from emv.tlv import encode_length

__all__ = [
    "SW_OK",
    "ApduError",
    "CardStatusError",
    "Command",
    "Response",
    "external_authenticate",
    "generate_ac",
    "get_challenge",
    "get_data",
    "gpo",
    "internal_authenticate",
    "read_record",
    "select",
    "verify",
]

SW_OK = 0x9000

# GENERATE AC reference control parameter, P1 (Book 3 Table 12)
AC_AAC = 0x00
AC_TC = 0x40
AC_ARQC = 0x80
AC_CDA = 0x10


class ApduError(EmvError, ValueError):
    """A malformed command or response APDU; ``offset`` is where, ``reason`` what."""

    def __init__(self, reason: str, offset: int) -> None:
        self.reason = reason
        self.offset = offset
        super().__init__(f"{reason} at offset {offset}")


class CardStatusError(EmvError):
    """The card answered a status word the step does not accept (carries SW1 SW2, never data)."""

    def __init__(self, command: str, sw1: int, sw2: int) -> None:
        self.command = command
        self.sw1 = sw1
        self.sw2 = sw2
        super().__init__(f"{command}: card answered {sw1:02X}{sw2:02X}")

    @property
    def sw(self) -> int:
        return self.sw1 << 8 | self.sw2


@dataclass(frozen=True, slots=True)
class Command:
    """A C-APDU: class, instruction, parameters, command data and expected length (None: no Le)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    def build(self) -> bytes:
        """The bytes of the command (case 1 to 4, short form).

        >>> Command(0x00, 0x84, 0, 0, le=8).build().hex()
        '0084000008'
        """
        if len(self.data) > 255:
            raise ApduError("command data longer than a short Lc allows (255 bytes)", 4)
        out = bytes((self.cla, self.ins, self.p1, self.p2))
        if self.data:
            out += bytes((len(self.data),)) + self.data
        if self.le is not None:
            out += bytes((self.le & 0xFF,))
        return out

    @classmethod
    def parse(cls, apdu: bytes) -> Command:
        """Split a short C-APDU into its parts (ISO/IEC 7816-4 cases 1 to 4).

        >>> c = Command.parse(bytes.fromhex("80AE800002112200"))
        >>> c.data.hex(), c.le
        ('1122', 0)

        Raises:
            ApduError: shorter than the header, or an Lc that disagrees with the length.
        """
        if len(apdu) < 4:
            raise ApduError("command shorter than its 4-byte header", len(apdu))
        cla, ins, p1, p2 = apdu[0], apdu[1], apdu[2], apdu[3]
        body = apdu[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, le=body[0])
        lc = body[0]
        if lc == 0 or len(body) not in (1 + lc, 2 + lc):
            raise ApduError("Lc does not match the command length", 4)
        le = body[1 + lc] if len(body) == 2 + lc else None
        return cls(cla, ins, p1, p2, bytes(body[1 : 1 + lc]), le)

    def describe(self) -> str:
        """CLA INS P1 P2 and lengths, never the data (for traces).

        >>> Command(0x00, 0xB2, 1, 0x0C, le=0).describe()
        '00 B2 01 0C Lc=0 Le=00'
        """
        le = "" if self.le is None else f" Le={self.le:02X}"
        return f"{self.cla:02X} {self.ins:02X} {self.p1:02X} {self.p2:02X} Lc={len(self.data)}{le}"


@dataclass(frozen=True, slots=True)
class Response:
    """An R-APDU: data and the status word."""

    data: bytes
    sw1: int
    sw2: int

    @property
    def sw(self) -> int:
        return self.sw1 << 8 | self.sw2

    @property
    def ok(self) -> bool:
        return self.sw1 == 0x90 and self.sw2 == 0x00

    @classmethod
    def parse(cls, rapdu: bytes) -> Response:
        """Split an R-APDU.

        Raises:
            ApduError: fewer than the two status bytes.
        """
        if len(rapdu) < 2:
            raise ApduError("response shorter than its status word", len(rapdu))
        return cls(bytes(rapdu[:-2]), rapdu[-2], rapdu[-1])

    def build(self) -> bytes:
        return self.data + bytes((self.sw1, self.sw2))

    def expect_ok(self, command: str) -> bytes:
        """The data if the status is 9000.

        Raises:
            CardStatusError: any other status word.
        """
        if not self.ok:
            raise CardStatusError(command, self.sw1, self.sw2)
        return self.data


def select(name: bytes, next_occurrence: bool = False) -> bytes:
    """SELECT by DF name, first or next occurrence (Book 1, 11.3)."""
    return Command(0x00, 0xA4, 0x04, 0x02 if next_occurrence else 0x00, name, 0).build()


def read_record(record: int, sfi: int) -> bytes:
    """READ RECORD ``record`` of file ``sfi`` (Book 1, 11.2)."""
    return Command(0x00, 0xB2, record, (sfi << 3) | 0x04, le=0).build()


def gpo(pdol_data: bytes) -> bytes:
    """GET PROCESSING OPTIONS with the PDOL related data in template 83 (Book 3, 6.5.8)."""
    return Command(0x80, 0xA8, 0x00, 0x00, b"\x83" + encode_length(len(pdol_data)) + pdol_data, 0).build()


def get_data(tag: int) -> bytes:
    """GET DATA for a 2-byte tag such as 9F36, 9F13, 9F17 (Book 3, 6.5.7)."""
    return Command(0x80, 0xCA, tag >> 8, tag & 0xFF, le=0).build()


def verify(pin_block: bytes | bytearray, enciphered: bool = False) -> bytes:
    """VERIFY with a plaintext (P2 80) or enciphered (P2 88) PIN block (Book 3, 6.5.12)."""
    if not 0 < len(pin_block) < 256:
        raise ApduError(f"VERIFY PIN data of {len(pin_block)} bytes (1 to 255)", 4)
    # case 3, built here rather than through Command so a clear block is copied once, into the APDU
    return bytes((0x00, 0x20, 0x00, 0x88 if enciphered else 0x80, len(pin_block))) + pin_block


def get_challenge() -> bytes:
    """GET CHALLENGE: 8 bytes from the card's random generator (Book 3, 6.5.6)."""
    return Command(0x00, 0x84, 0x00, 0x00, le=0).build()


def internal_authenticate(ddol_data: bytes) -> bytes:
    """INTERNAL AUTHENTICATE with the DDOL related data (Book 3, 6.5.9)."""
    return Command(0x00, 0x88, 0x00, 0x00, ddol_data, 0).build()


def external_authenticate(issuer_auth_data: bytes) -> bytes:
    """EXTERNAL AUTHENTICATE with the issuer authentication data (tag 91) (Book 3, 6.5.4)."""
    return Command(0x00, 0x82, 0x00, 0x00, issuer_auth_data).build()


def generate_ac(p1: int, cdol_data: bytes) -> bytes:
    """GENERATE AC: P1 = AAC 00 / TC 40 / ARQC 80, plus 10 to request CDA (Book 3, 6.5.5)."""
    return Command(0x80, 0xAE, p1, 0x00, cdol_data, 0).build()
