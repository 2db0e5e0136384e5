"""Masking of card data for display and logs (PCI DSS v4.0 requirement 3.4.1; STYLE.md section 6).

A PAN is shown with at most its first six and last four digits (the BIN and the last four); track data
keeps only its masked PAN, the separator and the length of what follows. These helpers are pure string
functions: they are the policy that :func:`emv.tags.format_value` and the logging code apply, not a
replacement for keeping secrets in redacting types.
"""

from __future__ import annotations

import logging
import re

__all__ = [
    "RedactingFilter",
    "install_log_redaction",
    "mask_digit_runs",
    "mask_pan",
    "mask_track1",
    "mask_track2",
]


def mask_pan(pan: str) -> str:
    """Mask a PAN to at most its first six and last four digits; a PAN under 13 digits is fully masked.

    >>> mask_pan("4761739001010010")  # PCI DSS: show at most the first six and last four
    '476173******0010'
    >>> mask_pan("6224242900000113")
    '622424******0113'
    >>> mask_pan("123456789012")
    '************'
    """
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:] if len(pan) >= 13 else "*" * len(pan)


def mask_track2(track2: str, separator: str = "D") -> str:
    """Mask track 2 data given as digits: the PAN as :func:`mask_pan` does, and all after the separator.

    ``track2`` is the hex/digit form of track 2 equivalent data (``separator`` ``"D"``, as in tag 57 and
    ISO 8583 field 35) or of the magnetic stripe (``"="``). Trailing ``F`` padding is dropped first. Data
    without a separator is masked as a whole, like a PAN.

    >>> mask_track2("6224242900000113D28062013949031013")
    '622424******0113D*****************'
    >>> mask_track2("4761739001010010=2212201000000000F", separator="=")
    '476173******0010=****************'
    >>> mask_track2("000000100000")
    '************'
    """
    digits = track2.rstrip("Ff")
    pan, sep, rest = digits.partition(separator)
    if not sep:
        return mask_pan(digits)
    return mask_pan(pan) + sep + "*" * len(rest)


def mask_track1(track1: str) -> str:
    """Mask track 1 data (ISO/IEC 7813 format B, without sentinels): keep the format code, mask the PAN.

    Everything after the first ``^`` (cardholder name, expiry, service code, discretionary data) becomes
    ``*``. Data without a ``^`` separator is masked entirely.

    >>> mask_track1("B6224242900000113^ZHANG/SAN^28062010000000000000")
    'B622424******0113^******************************'
    >>> mask_track1("no separator")
    '************'
    """
    head, sep, rest = track1.partition("^")
    if not sep:
        return "*" * len(track1)
    code, pan = (head[:1], head[1:]) if head[:1].isalpha() else ("", head)
    return code + mask_pan(pan) + sep + "*" * len(rest)


_DIGIT_RUN = re.compile(r"(?<![0-9A-Fa-f])(\d{13,19})(?=[^0-9]|$)(?:[D=]\d*)?")


def mask_digit_runs(text: str) -> str:
    """Mask every run of 13 to 19 digits as a PAN, with any track-2 tail after ``D`` or ``=``.

    The backstop of the logging policy: code never logs a PAN on purpose, and this catches one that slips.

    >>> mask_digit_runs("card 6224242900000113 trace 000403")
    'card 622424******0113 trace 000403'
    >>> mask_digit_runs("t2=6224242900000113D28062013949031013")
    't2=622424******0113D*****************'
    """

    def repl(m: re.Match[str]) -> str:
        whole = m.group(0)
        pan = m.group(1)
        return mask_pan(pan) + whole[len(pan) : len(pan) + 1] + "*" * max(0, len(whole) - len(pan) - 1)

    return _DIGIT_RUN.sub(repl, text)


class RedactingFilter(logging.Filter):
    """A logging filter that masks PAN-like digit runs in every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_digit_runs(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Add a :class:`RedactingFilter` to every handler of ``logger`` (default: the root logger).

    Only the application's entry point calls this (STYLE.md section 6); library code never configures
    logging.
    """
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
