"""Contactless readers on nfcpy: ISO/IEC 14443-4 (Type 4A and 4B) activation and APDU exchange
(EMV Contactless Book D; nfcpy 1.0.4 ``nfc.tag.tt4``).

URL format::

    nfc://usb:054c:06c3           an nfcpy device path (usb[:vid[:pid]], usb:bus:dev, tty:USB0:pn532 ...)
    nfc://udp:127.0.0.1:50301     nfcpy's udp driver (a virtual card served by drivers.bridges.nfcudp)
    options: targets=106A,106B (default; 106A only for udp), trace=1

Support table:

| feature                                   | support                                                      |
|-------------------------------------------|--------------------------------------------------------------|
| Type 4A (RATS) / Type 4B (ATTRIB)         | yes (nfcpy ``tt4``); other tag types are refused as NoCard   |
| APDU chaining both ways                   | yes (nfcpy's ISO-DEP initiator; FSC from the ATS)            |
| activation timeout (nfcpy's fixed 30 ms)  | retried until the caller's timeout                           |
| no card at all                            | NoCard; may come up to 1 s late (nfcpy's udp sense timeout)  |
| tap / remove events                       | ``wait_event``: activation, then presence checks (R(NAK))    |
| card leaves mid-APDU                      | :class:`CardRemoved` after nfcpy's retries (about FWT x 6)   |
| ATS bytes                                 | not exposed by nfcpy: ``Tap.ats`` is empty                   |
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import SplitResult

from drivers.base import CardEvent, Tap
from drivers.errors import CardRemoved, DeviceNotFound, DriverUnavailable, NoCard

__all__ = ["NfcReader", "open_reader"]

log = logging.getLogger(__name__)

PRESENCE_POLL_S = 0.05


class NfcReader:
    """A :class:`drivers.base.ContactlessReader` on an nfcpy ``ContactlessFrontend``."""

    def __init__(self, url: str, clf: Any, targets: list[str]) -> None:
        self.url = url
        self._clf = clf
        self._targets = targets
        self._tag: Any = None

    def activate(self, timeout_s: float) -> Tap:
        """Poll for a Type 4 card and activate it, retrying failed activations until ``timeout_s``.

        Raises:
            NoCard: none activated in time.
        """
        import nfc.tag.tt4

        self._tag = None
        deadline = time.monotonic() + max(timeout_s, 0.0)
        options = {
            "targets": self._targets,
            "on-connect": lambda tag: False,
            "interval": 0.02,
            "iterations": 1,
        }
        while True:
            try:
                tag = self._clf.connect(rdwr=options, terminate=lambda: time.monotonic() >= deadline)
            except Exception as exc:  # nfcpy raises assorted errors when nobody answers (udp: refused)
                log.debug("%s poll failed: %s", self.url, type(exc).__name__)
                tag = None
                time.sleep(0.01)
            if isinstance(tag, nfc.tag.tt4.Type4Tag):
                self._tag = tag
                technology = "B" if str(tag.target.brty).endswith("B") else "A"
                return Tap(bytes(tag.identifier), b"", technology)  # type: ignore[arg-type]
            if tag:
                log.info("%s: not an ISO 14443-4 card (%s), ignored", self.url, type(tag).__name__)
            if time.monotonic() >= deadline:
                raise NoCard(self.url, f"no ISO 14443-4 card within {timeout_s:g} s")

    def transmit(self, apdu: bytes) -> bytes:
        """One APDU exchange (chaining done by nfcpy).

        Raises:
            CardRemoved: no activated card, or it left the field.
        """
        import nfc.clf
        import nfc.tag

        if self._tag is None:
            raise CardRemoved(self.url, "no activated card: call activate first")
        try:
            return bytes(self._tag.transceive(bytearray(apdu)))
        except (nfc.tag.TagCommandError, nfc.clf.CommunicationError) as exc:
            self._tag = None
            raise CardRemoved(self.url, f"card left the field ({type(exc).__name__})") from exc

    def is_present(self) -> bool:
        if self._tag is None:
            return False
        try:
            present = bool(self._tag.is_present)
        except Exception:  # nfcpy's presence check raises on some link errors: the card is gone
            present = False
        if not present:
            self._tag = None
        return present

    def wait_event(self, timeout_s: float) -> CardEvent | None:
        """``tapped`` when a card is activated, ``removed`` when the activated one leaves, or None."""
        if self._tag is None:
            try:
                self.activate(timeout_s)
            except NoCard:
                return None
            return CardEvent("tapped", self.url)
        deadline = time.monotonic() + max(timeout_s, 0.0)
        while True:
            if not self.is_present():
                return CardEvent("removed", self.url)
            if time.monotonic() >= deadline:
                return None
            time.sleep(PRESENCE_POLL_S)

    def close(self) -> None:
        self._tag = None
        try:
            self._clf.close()
        except Exception:  # an unplugged device may fail to close: nothing left to release
            log.debug("%s close failed", self.url, exc_info=True)


def open_reader(parts: SplitResult) -> object:
    """The factory behind ``nfc://`` (see the module docstring).

    Raises:
        DriverUnavailable: nfcpy is not installed. DeviceNotFound: no device at the path.
    """
    from drivers import device_url, query_options

    url = device_url(parts)
    options = query_options(parts, frozenset({"targets", "trace"}))
    path = parts.netloc + parts.path
    if not path:
        raise DeviceNotFound(url, "no nfcpy device path (e.g. nfc://usb or nfc://udp:127.0.0.1:50301)")
    try:
        import nfc
    except ModuleNotFoundError as exc:
        raise DriverUnavailable(url, f"missing {exc.name} (install posemu[nfc])") from exc
    default = "106A" if path.startswith("udp") else "106A,106B"
    targets = [t for t in options.get("targets", default).split(",") if t]
    clf = nfc.ContactlessFrontend()
    try:
        opened = clf.open(path)
    except Exception as exc:  # nfcpy raises IOError/ValueError/usb errors for absent devices
        raise DeviceNotFound(url, f"cannot open {path} ({type(exc).__name__})") from exc
    if not opened:
        raise DeviceNotFound(url, f"no contactless device at {path}")
    reader = NfcReader(url, clf, targets)
    if options.get("trace") in ("1", "true", "yes"):
        from drivers.trace import TracedReader

        return TracedReader(reader)
    return reader
