"""The device Protocols: what the firmware asks of each kind of device (STYLE.md section 2).

Every driver, real or virtual, satisfies one of these ``@runtime_checkable`` Protocols, so a config that
swaps ``virtual://reader`` for ``pcsc://`` changes nothing above ``drivers/``. Each blocking call takes a
timeout in seconds and either returns, returns ``None`` ("nothing happened"), or raises a
:mod:`drivers.errors` error; nothing waits forever. The value types the Protocols exchange (events,
statuses) are frozen dataclasses here; the printer's document operations live in :mod:`drivers.document`.

| Protocol            | real drivers                   | virtual twin (test-side API)                   |
|---------------------|--------------------------------|------------------------------------------------|
| ``CardReader``      | ``pcsc://``                    | ``virtual://reader`` (insert, remove)          |
| ``ContactlessReader``| ``nfc://``                    | ``virtual://contactless`` (tap, remove)        |
| ``MagstripeReader`` | ``msr://``                     | ``virtual://msr`` (swipe, swipe_raw)           |
| ``Scanner``         | ``scanner://``                 | ``virtual://scanner`` (scan)                   |
| ``Printer``         | ``escpos+tcp|usb|serial|file://`` | ``virtual://printer`` (output, render)      |
| ``Clock``           | ``clock://system``             | ``virtual://clock`` (set, advance)             |
| ``Battery``         | ``power://`` (Linux sysfs)     | ``virtual://battery`` (set)                    |
| ``HostLink``        | the host issue's ``tcp://``    | the host issue's ``virtual://host``            |
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from drivers.document import PrintOp
    from emv.track import Track1, Track2

__all__ = [
    "Battery",
    "CardEvent",
    "CardReader",
    "Clock",
    "ContactlessReader",
    "HostLink",
    "MagstripeReader",
    "PowerStatus",
    "Printer",
    "PrinterStatus",
    "Scanner",
    "Swipe",
    "Tap",
]

CardEventKind = Literal["inserted", "removed", "tapped"]


@dataclass(frozen=True)
class CardEvent:
    """A card arrived (``inserted`` in a contact slot, ``tapped`` on a contactless field) or left."""

    kind: CardEventKind
    reader: str  # the reader's URL or name


@dataclass(frozen=True)
class Tap:
    """An activated ISO 14443-4 card: its UID (or PUPI) and ATS (or ATTRIB answer); ``technology``
    is ``"A"`` or ``"B"``."""

    uid: bytes
    ats: bytes
    technology: Literal["A", "B"] = "A"


@dataclass(frozen=True)
class Swipe:
    """One swipe. ``ok`` with the parsed tracks (track 2 at least), or not ``ok``: a partial or garbled
    read, whose ``reason`` says why and which the terminal answers with "swipe again". ``repr`` shows no
    card data (the tracks redact themselves)."""

    ok: bool
    track1: Track1 | None = None
    track2: Track2 | None = None
    reason: str = ""

    @property
    def kind(self) -> Literal["swipe", "swipe_again"]:
        return "swipe" if self.ok else "swipe_again"


PaperState = Literal["ok", "near_end", "out", "unknown"]


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer reports. ``cover_open`` is None where the device cannot tell."""

    online: bool
    paper: PaperState = "unknown"
    cover_open: bool | None = None

    @property
    def ready(self) -> bool:
        return self.online and self.paper != "out" and not self.cover_open


@dataclass(frozen=True)
class PowerStatus:
    """Battery and supply. ``level_pct`` is None without a battery (mains only)."""

    level_pct: int | None
    charging: bool = False
    on_mains: bool = True
    details: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def low(self) -> bool:
        """Below 10 % on battery: the terminal refuses new sales until charged."""
        return self.level_pct is not None and self.level_pct < 10 and not self.on_mains


@runtime_checkable
class CardReader(Protocol):
    """A contact (ISO 7816) card reader."""

    url: str

    def power_on(self, timeout_s: float) -> bytes:
        """Wait up to ``timeout_s`` for a card, power it and return its ATR.

        Raises:
            NoCard: none came in time. DeviceDisconnected: the reader or its service is gone.
        """
        ...

    def transmit(self, apdu: bytes) -> bytes:
        """Send a C-APDU and return the R-APDU including SW1 SW2 (T=0 61xx/6Cxx already handled).

        Raises:
            CardRemoved: the card left. DeviceDisconnected: the reader is gone. DeviceTimeout.
        """
        ...

    def is_present(self) -> bool:
        """Whether a card is in the slot now."""
        ...

    def wait_event(self, timeout_s: float) -> CardEvent | None:
        """The next insert or remove, or None when nothing happened within ``timeout_s``."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class ContactlessReader(Protocol):
    """An ISO 14443-4 (Type 4A/4B) proximity reader."""

    url: str

    def activate(self, timeout_s: float) -> Tap:
        """Wait up to ``timeout_s`` for a card in the field and activate it.

        Raises:
            NoCard: none came in time. DeviceDisconnected: the reader is gone.
        """
        ...

    def transmit(self, apdu: bytes) -> bytes:
        """Exchange one APDU with the activated card (chaining handled).

        Raises:
            CardRemoved: the card left the field. DeviceTimeout.
        """
        ...

    def is_present(self) -> bool: ...

    def wait_event(self, timeout_s: float) -> CardEvent | None:
        """``tapped`` or ``removed``, or None when nothing happened within ``timeout_s``."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class MagstripeReader(Protocol):
    """A magnetic stripe reader."""

    url: str

    def read_swipe(self, timeout_s: float) -> Swipe | None:
        """The next swipe (good or "swipe again"), or None when nobody swiped within ``timeout_s``.

        Raises:
            DeviceDisconnected: the port went away.
        """
        ...

    def close(self) -> None: ...


@runtime_checkable
class Scanner(Protocol):
    """A barcode/QR scanner that reports one code per line."""

    url: str

    def read_code(self, timeout_s: float) -> str | None:
        """The next scanned code, or None when nothing was scanned within ``timeout_s``.

        Raises:
            DeviceDisconnected: the port went away.
        """
        ...

    def close(self) -> None: ...


@runtime_checkable
class Printer(Protocol):
    """A receipt printer that prints documents made of :mod:`drivers.document` operations."""

    url: str

    def status(self, timeout_s: float = 1.0) -> PrinterStatus:
        """What the printer reports now (``paper="unknown"`` where the transport cannot ask).

        Raises:
            DeviceDisconnected: the printer is unreachable.
        """
        ...

    def print_document(self, ops: Sequence[PrintOp]) -> None:
        """Print ``ops`` in order.

        Raises:
            PaperOut, CoverOpen: with ``printed``, the number of operations sent before it stopped.
            PrinterDisconnected: the link dropped (``printed`` likewise). The caller may retry.
        """
        ...

    def close(self) -> None: ...


@runtime_checkable
class Clock(Protocol):
    """Wall time for receipts and the journal, and a monotonic time for timeouts."""

    def now(self) -> dt.datetime:
        """The local time, timezone-aware."""
        ...

    def monotonic(self) -> float: ...


@runtime_checkable
class Battery(Protocol):
    """The terminal's power supply."""

    def status(self) -> PowerStatus: ...


@runtime_checkable
class HostLink(Protocol):
    """The acquirer link (implemented by the host issue): one framed request, one framed response."""

    url: str

    def exchange(self, request: bytes, timeout_s: float) -> bytes:
        """Send a framed ISO 8583 message and return the framed reply.

        Raises:
            DeviceDisconnected: the link dropped. DeviceTimeout: no reply within ``timeout_s``.
        """
        ...

    def close(self) -> None: ...
