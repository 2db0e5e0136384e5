"""PIN blocks: ISO 9564-1:2017 formats 0, 1, 2 and 3 (clear, 8 bytes) and format 4 (AES, 16 bytes).

PINs and PANs are decimal strings, PIN blocks bytes. Format 0 and 3 blocks are bound to the PAN (the 12
rightmost digits without the check digit), format 1 and 2 are not; format 2 is the offline-PIN block of the
VERIFY command (EMV 4.4 Book 3, 6.5.12). Format 4 is built and enciphered in one step, because its clear
form must never leave the secure component (ISO 9564-1:2017, format 4). Errors name what is wrong with a PIN,
PAN or block, never its digits.
"""

from __future__ import annotations

import enum
import logging
import secrets

from emv.crypto import aes
from emv.crypto._validate import check_key, check_length, check_pan, check_pin, xor
from emv.crypto.errors import DataError, PanError, PinBlockError, PinError

log = logging.getLogger(__name__)

_HEX = "0123456789ABCDEF"


class PinBlockFormat(enum.IntEnum):
    """ISO 9564-1 clear PIN block formats (the control field, the first nibble)."""

    ISO_0 = 0  # PIN xor PAN, fill F (ANSI X9.8)
    ISO_1 = 1  # no PAN, transaction-unique fill
    ISO_2 = 2  # no PAN, fill F: the ICC offline PIN block
    ISO_3 = 3  # PIN xor PAN, random fill A-F


def _pan_field(pan: str) -> bytes:
    """ISO 9564-1:2017 format 0/3 PAN field: 0000 || 12 rightmost PAN digits without the check digit."""
    check_pan(pan)
    return bytes.fromhex("0000" + pan[:-1][-12:].rjust(12, "0"))


def _check_fill(fill: str, count: int, alphabet: str, fmt: PinBlockFormat) -> None:
    if len(fill) != count or any(c not in alphabet for c in fill.upper()):
        raise DataError("fill", f"is not {count} digits from {alphabet[0]}-{alphabet[-1]} for format {fmt}")


def encode_iso0_from_digits(digits: bytearray, pan: str) -> bytearray:
    """An ISO 9564-1 format 0 PIN block built straight from PIN digits kept in a wipeable buffer (ASCII
    digits as the keypad gave them): no ``str`` ever holds the PIN. The caller zeroes ``digits`` and the
    returned block after use (STYLE.md section 6).

    >>> encode_iso0_from_digits(bytearray(b"1234"), "4012345678909").hex().upper()
    '041274EDCBA9876F'

    Raises:
        PinError: the PIN is not 4 to 12 decimal digits.
        PanError: the PAN is not 8 to 19 decimal digits.
    """
    if not 4 <= len(digits) <= 12 or any(not 0x30 <= d <= 0x39 for d in digits):
        raise PinError("PIN", "is not 4 to 12 decimal digits")
    block = bytearray(b"\xff" * 8)
    block[0] = len(digits)  # control nibble 0, then the PIN length
    for k, d in enumerate(digits):
        nibble = d - 0x30
        pos = 2 + k
        if pos % 2:
            block[pos // 2] = (block[pos // 2] & 0xF0) | nibble
        else:
            block[pos // 2] = (nibble << 4) | (block[pos // 2] & 0x0F)
    for k, p in enumerate(_pan_field(pan)):
        block[k] ^= p
    return block


def encode_pin_block(
    pin: str, fmt: PinBlockFormat, pan: str | None = None, *, fill: str | None = None
) -> bytes:
    """Build an 8-byte ISO 9564-1 PIN block of format 0, 1, 2 or 3 (ISO 9564-1:2017, formats 0-3).

    Formats 0 and 3 need the PAN. Formats 1 and 3 take ``fill`` hex digits (14 minus the PIN length: any of
    0-F for format 1, A-F for format 3); without it the fill is random from :mod:`secrets`.

    >>> encode_pin_block("1234", PinBlockFormat.ISO_0, "4012345678909").hex().upper()
    '041274EDCBA9876F'
    >>> encode_pin_block("1234", PinBlockFormat.ISO_2).hex().upper()
    '241234FFFFFFFFFF'

    Raises:
        PinError: the PIN is not 4 to 12 decimal digits.
        PanError: the PAN is missing (formats 0 and 3) or not 8 to 19 decimal digits.
        DataError: an unknown format, or a ``fill`` the format does not take or that does not fit.
    """
    check_pin(pin)
    if fmt not in tuple(PinBlockFormat):
        raise DataError("PIN block format", f"{fmt} is not 0, 1, 2 or 3")
    fmt = PinBlockFormat(fmt)
    count = 14 - len(pin)
    if fmt in (PinBlockFormat.ISO_1, PinBlockFormat.ISO_3):
        alphabet = _HEX if fmt is PinBlockFormat.ISO_1 else "ABCDEF"
        if fill is None:
            fill = "".join(secrets.choice(alphabet) for _ in range(count))
        _check_fill(fill, count, alphabet, fmt)
    elif fill is not None:
        raise DataError("fill", f"is fixed for format {fmt}")
    else:
        fill = "F" * count
    block = bytes.fromhex(f"{fmt:X}{len(pin):X}{pin}{fill}")
    if fmt in (PinBlockFormat.ISO_0, PinBlockFormat.ISO_3):
        if pan is None:
            raise PanError("PAN", f"is required for format {fmt}")
        block = xor(block, _pan_field(pan))
    return block


def _parse_pin_field(nibbles: str, fill_alphabet: str, fmt: int) -> str:
    """Check a clear PIN field C N P..P F..F and return the PIN (ISO 9564-1:2017, PIN field)."""
    n = int(nibbles[1], 16)
    if not 4 <= n <= 12:
        raise PinBlockError("PIN block", f"PIN length nibble {n} outside 4..12")
    pin = nibbles[2 : 2 + n]
    if not pin.isdigit():
        raise PinBlockError("PIN block", "PIN field holds a nibble above 9")
    if any(c not in fill_alphabet for c in nibbles[2 + n :]):
        span = f"{fill_alphabet[0]}-{fill_alphabet[-1]}"
        raise PinBlockError("PIN block", f"fill is not from {span} (format {fmt})")
    return pin


def decode_pin_block(block: bytes, pan: str | None = None) -> str:
    """Recover the PIN from an 8-byte clear PIN block of format 0, 1, 2 or 3 (ISO 9564-1:2017, formats 0-3).

    The format comes from the control nibble; formats 0 and 3 need the PAN the block was built with.

    >>> decode_pin_block(bytes.fromhex("041274EDCBA9876F"), "4012345678909")
    '1234'
    >>> decode_pin_block(bytes.fromhex("1512345EDCBA9876"))
    '12345'

    Raises:
        DataError: the block is not 8 bytes.
        PanError: the PAN is missing (formats 0 and 3) or not 8 to 19 decimal digits.
        PinBlockError: an unknown format, a length nibble outside 4..12, a PIN nibble above 9, or a fill
            that does not match the format (which is also what a wrong PAN gives for formats 0 and 3).
    """
    check_length(block, (8,), "PIN block")
    fmt = block[0] >> 4
    if fmt not in tuple(PinBlockFormat):
        raise PinBlockError("PIN block", f"format nibble {fmt:X} is not 0, 1, 2 or 3")
    if fmt in (PinBlockFormat.ISO_0, PinBlockFormat.ISO_3):
        if pan is None:
            raise PanError("PAN", f"is required for format {fmt}")
        block = xor(block, _pan_field(pan))
    fill_alphabet = {0: "F", 1: _HEX, 2: "F", 3: "ABCDEF"}[fmt]
    return _parse_pin_field(block.hex().upper(), fill_alphabet, fmt)


def _iso4_pin_field(pin: str, random_part: bytes) -> bytes:
    """ISO 9564-1:2017 format 4 plaintext PIN field: 4 N P..P A..A (8 bytes) || 8 random bytes."""
    return bytes.fromhex(f"4{len(pin):X}{pin}".ljust(16, "A")) + random_part


def _iso4_pan_field(pan: str) -> bytes:
    """ISO 9564-1:2017 format 4 PAN field: M (PAN length - 12, at least 0) || PAN (12+ digits) || 0..0."""
    check_pan(pan)
    return bytes.fromhex(f"{max(len(pan) - 12, 0)}{pan.rjust(12, '0')}".ljust(32, "0"))


def encipher_iso4(key: bytes, pin: str, pan: str, *, random_part: bytes | None = None) -> bytes:
    """Build and encipher an ISO 9564-1:2017 format 4 PIN block: E_K(E_K(PIN field) xor PAN field).

    ``random_part`` is the 8 random bytes of the PIN field; leave it out outside known-answer tests.

    >>> key = bytes.fromhex("AF8CB133A78F8DC2D1359F18527593FB")  # X9.24-3 supplement, AES DUKPT PIN key #1
    >>> encipher_iso4(key, "1234", "4111111111111111",
    ...               random_part=bytes.fromhex("2F69ADDE2E9E7ACE")).hex().upper()
    'A912150391AB65A67E52883D81CE2D15'

    Raises:
        KeyLengthError: the key is not 16, 24 or 32 bytes.
        PinError: the PIN is not 4 to 12 decimal digits.
        PanError: the PAN is not 8 to 19 decimal digits.
        DataError: ``random_part`` is not 8 bytes.
    """
    check_key(key, aes.KEY_LENGTHS, "PIN key")
    check_pin(pin)
    if random_part is None:
        random_part = secrets.token_bytes(8)
    check_length(random_part, (8,), "random part")
    pan_field = _iso4_pan_field(pan)
    return aes.encrypt_ecb(key, xor(aes.encrypt_ecb(key, _iso4_pin_field(pin, random_part)), pan_field))


def decipher_iso4(key: bytes, block: bytes, pan: str) -> str:
    """Decipher an ISO 9564-1 format 4 PIN block and return the PIN (ISO 9564-1:2017, format 4).

    >>> key = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    >>> decipher_iso4(key, bytes.fromhex("E4BE5B623AF7E006AC319E5B93544564"), "1234567890123456")
    '1234'

    Raises:
        KeyLengthError: the key is not 16, 24 or 32 bytes.
        DataError: the block is not 16 bytes.
        PanError: the PAN is not 8 to 19 decimal digits.
        PinBlockError: the deciphered PIN field is not format 4 (also the symptom of a wrong key or PAN).
    """
    check_key(key, aes.KEY_LENGTHS, "PIN key")
    check_length(block, (16,), "PIN block")
    pan_field = _iso4_pan_field(pan)
    nibbles = aes.decrypt_ecb(key, xor(aes.decrypt_ecb(key, block), pan_field))[:8].hex().upper()
    if nibbles[0] != "4":
        raise PinBlockError("PIN block", f"deciphered control nibble {nibbles[0]} is not 4")
    return _parse_pin_field(nibbles, "A", 4)
