"""Errors of the EMV crypto layer (EMV 4.4 Book 2; ISO 9564-1; ISO/IEC 9797-1; ANSI X9.24-1 and -3).

Each error names the input that is wrong (``field``) and why (``reason``), never its value: no key byte, PIN
digit, PAN digit or plaintext reaches a message or an attribute. Every subclass is also a ``ValueError``,
because each one reports an input the caller should not have passed.
"""

from __future__ import annotations

from emv.errors import EmvError


class CryptoError(EmvError):
    """Base class of errors raised by ``emv.crypto``.

    >>> err = CryptoError("PIN", "length 3 outside 4..12")
    >>> str(err), err.field, err.reason
    ('PIN length 3 outside 4..12', 'PIN', 'length 3 outside 4..12')
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field} {reason}")

    def __reduce__(self) -> tuple[type[CryptoError], tuple[str, str]]:
        return (type(self), (self.field, self.reason))


class KeyLengthError(CryptoError, ValueError):
    """A key whose length the algorithm does not accept ("IMK length 8 bytes, expected 16")."""


class DataError(CryptoError, ValueError):
    """Malformed non-secret input: a wrong length, data not in whole blocks, a missing data element."""


class PinError(CryptoError, ValueError):
    """A PIN that is not 4 to 12 decimal digits (ISO 9564-1:2017, PIN length)."""


class PanError(CryptoError, ValueError):
    """A PAN that is not 8 to 19 decimal digits (ISO/IEC 7812-1), or a PAN missing where one is needed."""


class PinBlockError(CryptoError, ValueError):
    """A PIN block that does not decode: unknown format, bad length nibble or fill (ISO 9564-1:2017)."""


class KsnError(CryptoError, ValueError):
    """A key serial number that is malformed, unused by the scheme or exhausted (ANSI X9.24-1 and -3)."""


class RsaError(CryptoError, ValueError):
    """RSA input that does not fit the key: wrong length, or a value not below the modulus (Book 2, A2.1)."""
