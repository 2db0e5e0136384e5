"""Errors of the device layer (STYLE.md section 5; ARCHITECTURE.md section 3).

Every driver translates its library's exceptions at the boundary (``raise CardRemoved(...) from exc``):
no pyscard, nfcpy, pyserial or python-escpos exception leaves ``drivers/``. Each error names the device
URL it concerns (``.url``) and never carries APDU bodies, track data or printed text.

```text
DeviceError (PosError)
├── BadDeviceUrl (also ValueError)    a URL the factory cannot parse; UnknownScheme: no driver for it
├── DriverUnavailable                 the driver's extra (pyscard, nfcpy, pyusb ...) is not installed
├── DeviceNotFound                    no such device attached (no reader, no serial port, refused)
├── DeviceDisconnected                the device or its service went away while in use (pcscd stopped,
│                                     reader unplugged, serial port vanished, printer link dropped)
├── NoCard                            no card came within the timeout
├── CardRemoved                       the card left during or before a command
├── DeviceTimeout (also TimeoutError) a device did not answer in time
└── PrinterError                      the printer refused; PaperOut, CoverOpen, PrinterDisconnected
```

>>> str(UnknownScheme("nope://x", "no driver for scheme 'nope'"))
"nope://x: no driver for scheme 'nope'"
>>> issubclass(DeviceTimeout, TimeoutError), issubclass(PaperOut, PrinterError)
(True, True)
"""

# ruff: noqa: N818  (the names are STYLE.md section 5's error table)
from __future__ import annotations

from config.errors import PosError

__all__ = [
    "BadDeviceUrl",
    "CardRemoved",
    "CoverOpen",
    "DeviceDisconnected",
    "DeviceError",
    "DeviceNotFound",
    "DeviceTimeout",
    "DriverUnavailable",
    "NoCard",
    "PaperOut",
    "PrinterDisconnected",
    "PrinterError",
    "UnknownScheme",
]


class DeviceError(PosError):
    """A device could not do what was asked; ``url`` names the device, ``reason`` says what happened."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")

    def __reduce__(self) -> tuple[type[DeviceError], tuple[str, str]]:
        return (type(self), (self.url, self.reason))


class BadDeviceUrl(DeviceError, ValueError):
    """The device URL is malformed: a bad query value, a missing part."""


class UnknownScheme(BadDeviceUrl):
    """No driver is registered for the URL's scheme."""


class DriverUnavailable(DeviceError):
    """The driver needs a library (an extra) that is not installed; ``reason`` names the module."""


class DeviceNotFound(DeviceError):
    """The device is not attached, not listed, or refused the connection."""


class DeviceDisconnected(DeviceError):
    """The device, or the service behind it, went away while it was in use. Reopen to retry."""


class NoCard(DeviceError):
    """No card was presented within the timeout."""


class CardRemoved(DeviceError):
    """The card was removed (before or during a command). The caller may ask for it again."""


class DeviceTimeout(DeviceError, TimeoutError):
    """The device did not answer in time."""


class PrinterError(DeviceError):
    """The printer cannot print. ``printed`` counts the document's operations already sent."""

    def __init__(self, url: str, reason: str, printed: int = 0) -> None:
        super().__init__(url, reason)
        self.printed = printed


class PaperOut(PrinterError):
    """The paper ran out; reload it and print again."""


class CoverOpen(PrinterError):
    """The printer cover is open."""


class PrinterDisconnected(PrinterError, DeviceDisconnected):
    """The printer link dropped mid-document; ``printed`` operations were sent before."""
