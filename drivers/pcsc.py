"""Contact card readers through PC/SC (pcsc-lite's pcscd) with pyscard's ``smartcard.scard`` layer
(ISO/IEC 7816-3 and -4; EMV 4.4 Book 1 section 9 for the T=0 ``61xx``/``6Cxx`` rules).

URL format::

    pcsc://                 the first reader pcscd lists
    pcsc://N                the reader at index N (0-based, in pcscd's order)
    pcsc://?name=ACR39      the first reader whose name contains "ACR39" (case-insensitive)
    options: trace=1 (log APDUs through drivers.trace.TracedReader)

Support table:

| feature                                   | support                                                  |
|-------------------------------------------|----------------------------------------------------------|
| reader by index or name substring         | yes                                                      |
| ATR, protocol T=0 or T=1 (pcscd chooses)  | yes                                                      |
| T=0 ``61xx`` GET RESPONSE, ``6Cxx`` retry | yes, on any protocol, at most 32 rounds per command      |
| insert / remove events                    | ``wait_event``: ``SCardGetStatusChange``, bounded wait   |
| card removed mid-APDU                     | :class:`CardRemoved` (waits <= 1 s for pcscd to notice)  |
| pcscd stopped, reader unplugged           | :class:`DeviceDisconnected`; reopen to retry             |
| extended APDUs, secure PIN entry, escapes | no                                                       |

pcscd polls a reader about every 0.4 s (vpcd included), so an insert or remove is seen 0-0.4 s late.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult

from drivers.base import CardEvent
from drivers.errors import (
    BadDeviceUrl,
    CardRemoved,
    DeviceDisconnected,
    DeviceError,
    DeviceNotFound,
    NoCard,
)

__all__ = ["PcscReader", "list_readers", "open_reader"]

log = logging.getLogger(__name__)

MAX_RESPONSE_ROUNDS = 32
_POLL_SLICE_MS = 250  # a long wait is cut into slices so close() is noticed


def _scard() -> Any:
    from smartcard import scard  # the pcsc extra; imported when a pcsc:// URL is opened

    return scard


def _gone_codes(sc: Any) -> frozenset[int]:
    return frozenset(
        {
            sc.SCARD_E_NO_SERVICE,
            sc.SCARD_E_SERVICE_STOPPED,
            sc.SCARD_E_UNKNOWN_READER,
            sc.SCARD_E_READER_UNAVAILABLE,
            sc.SCARD_E_INVALID_HANDLE,
            sc.SCARD_E_NO_READERS_AVAILABLE,
        }
    )


def _code(hresult: int) -> str:
    return f"0x{hresult & 0xFFFFFFFF:08X}"


def list_readers(url: str = "pcsc://") -> list[str]:
    """The reader names pcscd lists, in its order.

    Raises:
        DeviceNotFound: pcscd is not running. DriverUnavailable (via open_device): pyscard missing.
    """
    sc = _scard()
    hr, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
    if hr != sc.SCARD_S_SUCCESS:
        raise DeviceNotFound(url, f"no PC/SC service (pcscd not running?) {_code(hr)}")
    try:
        hr, names = sc.SCardListReaders(ctx, [])
        if hr == sc.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if hr != sc.SCARD_S_SUCCESS:
            raise DeviceNotFound(url, f"cannot list readers {_code(hr)}")
        return list(names)
    finally:
        sc.SCardReleaseContext(ctx)


def open_reader(parts: SplitResult) -> object:
    """The factory behind ``pcsc://`` (see the module docstring).

    Raises:
        DeviceNotFound: pcscd is not running, or no reader matches. BadDeviceUrl: a bad index or option.
    """
    from drivers import device_url, query_options

    url = device_url(parts)
    options = query_options(parts, frozenset({"name", "trace"}))
    names = list_readers(url)
    index_text = parts.netloc or parts.path.strip("/")
    if index_text:
        if not index_text.isdigit():
            raise BadDeviceUrl(url, f"reader index {index_text!r} is not a number")
        index = int(index_text)
        if index >= len(names):
            raise DeviceNotFound(url, f"no reader {index}: pcscd lists {len(names)}")
        name = names[index]
    else:
        wanted = options.get("name", "").lower()
        matching = [n for n in names if wanted in n.lower()]
        if not matching:
            what = f"named like {options['name']!r}" if wanted else "at all"
            raise DeviceNotFound(url, f"no reader {what}: pcscd lists {len(names)}")
        name = matching[0]
    reader = PcscReader(url, name)
    if options.get("trace") in ("1", "true", "yes"):
        from drivers.trace import TracedReader

        return TracedReader(reader)
    return reader


class PcscReader:
    """One PC/SC reader slot. Not thread-safe: one caller at a time (the terminal's device thread)."""

    def __init__(self, url: str, reader_name: str) -> None:
        self.url = url
        self.reader_name = reader_name
        self._sc = _scard()
        self._gone = _gone_codes(self._sc)
        hr, self._ctx = self._sc.SCardEstablishContext(self._sc.SCARD_SCOPE_USER)
        if hr != self._sc.SCARD_S_SUCCESS:
            raise DeviceNotFound(url, f"no PC/SC service {_code(hr)}")
        self._card: Any = None
        self._pci: Any = None
        self._state = self._sc.SCARD_STATE_UNAWARE
        self._present = False
        self._pending: list[CardEvent] = []
        self._closed = False
        self._present = bool(self._poll_state(0) & self._sc.SCARD_STATE_PRESENT)

    # -- presence -----------------------------------------------------------------------------------
    def _poll_state(self, timeout_ms: int) -> int:
        """One ``SCardGetStatusChange`` against the last known state; returns the event state
        (unchanged on timeout).

        Raises:
            DeviceDisconnected: pcscd or the reader went away.
        """
        sc = self._sc
        hr, states = sc.SCardGetStatusChange(self._ctx, timeout_ms, [(self.reader_name, self._state)])
        if hr == sc.SCARD_E_TIMEOUT:
            return int(self._state)
        if hr in self._gone or hr == sc.SCARD_E_CANCELLED:
            raise DeviceDisconnected(self.url, f"PC/SC service or reader gone {_code(hr)}")
        if hr != sc.SCARD_S_SUCCESS:
            raise DeviceError(self.url, f"status query failed {_code(hr)}")
        event_state = int(states[0][1])
        if event_state & (sc.SCARD_STATE_UNKNOWN | sc.SCARD_STATE_IGNORE):
            raise DeviceDisconnected(self.url, "reader unplugged")
        self._state = event_state & ~sc.SCARD_STATE_CHANGED
        return event_state

    def is_present(self) -> bool:
        self._present = bool(self._poll_state(0) & self._sc.SCARD_STATE_PRESENT)
        return self._present

    def wait_event(self, timeout_s: float) -> CardEvent | None:
        """The next insert or remove (pcscd notices within about 0.4 s), or None after ``timeout_s``.

        Raises:
            DeviceDisconnected: pcscd or the reader went away.
        """
        if self._pending:
            return self._pending.pop(0)
        deadline = time.monotonic() + max(timeout_s, 0.0)
        while True:
            before = self._state
            remaining_ms = int(max(deadline - time.monotonic(), 0.0) * 1000)
            state = self._poll_state(min(remaining_ms, _POLL_SLICE_MS))
            present = bool(state & self._sc.SCARD_STATE_PRESENT)
            counter_moved = (state >> 16) != (before >> 16) and before != self._sc.SCARD_STATE_UNAWARE
            if present != self._present:
                self._present = present
                if not present:
                    self._drop_card()
                return CardEvent("inserted" if present else "removed", self.url)
            if present and counter_moved and (state & self._sc.SCARD_STATE_CHANGED):
                # removed and inserted again between two polls: report both
                self._drop_card()
                self._pending.append(CardEvent("inserted", self.url))
                return CardEvent("removed", self.url)
            if time.monotonic() >= deadline or self._closed:
                return None

    # -- card -----------------------------------------------------------------------------------------
    def power_on(self, timeout_s: float) -> bytes:
        """Wait for a card, connect (T=0 or T=1, as pcscd negotiates) and return the ATR.

        Raises:
            NoCard: no card within ``timeout_s``. DeviceDisconnected: pcscd or the reader went away.
        """
        sc = self._sc
        self._drop_card()
        deadline = time.monotonic() + max(timeout_s, 0.0)
        while True:
            if self.is_present():
                hr, card, protocol = sc.SCardConnect(
                    self._ctx,
                    self.reader_name,
                    sc.SCARD_SHARE_SHARED,
                    sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1,
                )
                if hr == sc.SCARD_S_SUCCESS:
                    self._card = card
                    self._pci = sc.SCARD_PCI_T0 if protocol == sc.SCARD_PROTOCOL_T0 else sc.SCARD_PCI_T1
                    hr, _name, _state, _proto, atr = sc.SCardStatus(card)
                    if hr != sc.SCARD_S_SUCCESS:
                        self._drop_card()
                        raise CardRemoved(self.url, f"card left during power on {_code(hr)}")
                    return bytes(atr)
                if hr in self._gone:
                    raise DeviceDisconnected(self.url, f"PC/SC service or reader gone {_code(hr)}")
                # NO_SMARTCARD / REMOVED / UNPOWERED (re-inserted before pcscd noticed): wait and retry
                log.debug("%s connect answered %s, retrying", self.url, _code(hr))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NoCard(self.url, f"no card within {timeout_s:g} s")
            self._poll_state(int(min(remaining, 0.1 if self._present else 0.25) * 1000))

    def _drop_card(self) -> None:
        if self._card is not None:
            self._sc.SCardDisconnect(self._card, self._sc.SCARD_LEAVE_CARD)
            self._card = None

    def _exchange(self, apdu: bytes) -> bytes:
        sc = self._sc
        if self._card is None:
            raise CardRemoved(self.url, "no powered card: call power_on first")
        hr, response = sc.SCardTransmit(self._card, self._pci, list(apdu))
        if hr == sc.SCARD_S_SUCCESS and len(response) >= 2:
            return bytes(response)
        if hr == sc.SCARD_S_SUCCESS:  # no status word: vpcd's answer when the card left mid-command
            hr = sc.SCARD_E_NOT_TRANSACTED
        if hr in (sc.SCARD_W_REMOVED_CARD, sc.SCARD_E_NO_SMARTCARD, sc.SCARD_W_RESET_CARD):
            self._drop_card()
            raise CardRemoved(self.url, f"card removed {_code(hr)}")
        if hr in self._gone:
            self._drop_card()
            raise DeviceDisconnected(self.url, f"PC/SC service or reader gone {_code(hr)}")
        # NOT_TRANSACTED / COMM_ERROR: the card was pulled mid-command, or the link failed.
        self._drop_card()
        if self._wait_absent(1.0):
            raise CardRemoved(self.url, f"card removed during the command {_code(hr)}")
        raise DeviceError(self.url, f"transmission failed {_code(hr)}")

    def _wait_absent(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while True:
            state = self._poll_state(int(max(deadline - time.monotonic(), 0.0) * 1000))
            if not state & self._sc.SCARD_STATE_PRESENT:
                self._present = False
                self._pending.append(CardEvent("removed", self.url))
                return True
            if time.monotonic() >= deadline:
                return False

    def transmit(self, apdu: bytes) -> bytes:
        """Send a C-APDU; ``61xx`` triggers GET RESPONSE and ``6Cxx`` a resend with Le = xx.

        Raises:
            CardRemoved, DeviceDisconnected, DeviceError (see the module docstring).
        """
        return transmit_t0(self._exchange, apdu)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._drop_card()
        self._sc.SCardReleaseContext(self._ctx)

    def __enter__(self) -> PcscReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def transmit_t0(exchange: Callable[[bytes], bytes], apdu: bytes) -> bytes:
    """Run one command with the ISO/IEC 7816-4 T=0 response rules over ``exchange`` (bytes -> bytes).

    >>> script = {"00B2010C00": "6C10", "00B2010C10": "6105", "00C0000005": "70035A01019000"}
    >>> transmit_t0(lambda c: bytes.fromhex(script[c.hex().upper()]), bytes.fromhex("00B2010C00")).hex()
    '70035a01019000'
    """
    from emv.apdu import ApduError, Command

    response = exchange(apdu)
    collected = b""
    for _ in range(MAX_RESPONSE_ROUNDS):
        if len(response) < 2:
            break
        sw1, sw2 = response[-2], response[-1]
        if sw1 == 0x61:  # more data waits: fetch it (Le = sw2, 00 meaning 256)
            collected += response[:-2]
            response = exchange(bytes((0x00, 0xC0, 0x00, 0x00, sw2)))
        elif sw1 == 0x6C and len(response) == 2:  # wrong Le: resend with the exact length
            try:
                cmd = Command.parse(apdu)
            except ApduError:
                break
            apdu = Command(cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data, sw2).build()
            response = exchange(apdu)
        else:
            break
    return collected + response
