"""Input checks shared by the ``emv.crypto`` modules (STYLE.md section 5).

The checks raise the typed errors of :mod:`emv.crypto.errors` with messages that hold lengths and ranges only,
never the value checked, so a PIN or PAN cannot leak through an exception.
"""

from __future__ import annotations

from emv.crypto.errors import DataError, KeyLengthError, PanError, PinError

PAN_LENGTHS = range(8, 20)
PIN_LENGTHS = range(4, 13)


def _one_of(allowed: tuple[int, ...]) -> str:
    words = [str(n) for n in allowed]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def check_key(key: bytes, allowed: tuple[int, ...], name: str = "key") -> None:
    """Raise :class:`KeyLengthError` unless ``len(key)`` is one of ``allowed`` (in bytes).

    >>> check_key(bytes(16), (16,), "IMK")
    >>> check_key(bytes(12), (8, 16, 24), "MAK")
    Traceback (most recent call last):
    ...
    emv.crypto.errors.KeyLengthError: MAK length 12 bytes, expected 8, 16 or 24

    Raises:
        KeyLengthError: the key has another length.
    """
    if len(key) not in allowed:
        raise KeyLengthError(name, f"length {len(key)} bytes, expected {_one_of(allowed)}")


def check_length(value: bytes, allowed: tuple[int, ...], name: str) -> None:
    """Raise :class:`DataError` unless ``len(value)`` is one of ``allowed`` (in bytes).

    >>> check_length(bytes(7), (8,), "ARQC")
    Traceback (most recent call last):
    ...
    emv.crypto.errors.DataError: ARQC length 7 bytes, expected 8

    Raises:
        DataError: the value has another length.
    """
    if len(value) not in allowed:
        raise DataError(name, f"length {len(value)} bytes, expected {_one_of(allowed)}")


def is_decimal(text: str) -> bool:
    """Tell whether ``text`` is non-empty and only ASCII digits 0-9 (``str.isdigit`` accepts "²" and "٣").

    >>> is_decimal("0123"), is_decimal("12a"), is_decimal("٣"), is_decimal("")
    (True, False, False, False)
    """
    return text.isascii() and text.isdigit()


def check_pan(pan: str) -> None:
    """Raise :class:`PanError` unless ``pan`` is 8 to 19 decimal digits (ISO/IEC 7812-1).

    >>> check_pan("12345678901234567890")
    Traceback (most recent call last):
    ...
    emv.crypto.errors.PanError: PAN length 20 outside 8..19

    Raises:
        PanError: a non-digit character or a length outside 8..19.
    """
    if not is_decimal(pan):
        raise PanError("PAN", "has a character that is not a decimal digit")
    if len(pan) not in PAN_LENGTHS:
        raise PanError("PAN", f"length {len(pan)} outside 8..19")


def check_pin(pin: str) -> None:
    """Raise :class:`PinError` unless ``pin`` is 4 to 12 decimal digits (ISO 9564-1:2017, PIN length).

    >>> check_pin("123")
    Traceback (most recent call last):
    ...
    emv.crypto.errors.PinError: PIN length 3 outside 4..12

    Raises:
        PinError: a non-digit character or a length outside 4..12.
    """
    if not is_decimal(pin):
        raise PinError("PIN", "has a character that is not a decimal digit")
    if len(pin) not in PIN_LENGTHS:
        raise PinError("PIN", f"length {len(pin)} outside 4..12")


def xor(a: bytes, b: bytes) -> bytes:
    """XOR two byte strings of the same length.

    >>> xor(bytes.fromhex("F0F0"), bytes.fromhex("0FF0")).hex().upper()
    'FF00'

    Raises:
        DataError: the lengths differ.
    """
    if len(a) != len(b):
        raise DataError("XOR operand", f"lengths {len(a)} and {len(b)} differ")
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")
