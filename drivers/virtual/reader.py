"""Virtual card readers: a contact slot and a contactless field that take virtual cards in-process.

URL format::

    virtual://reader[?card=PROFILE]         contact slot (``emv.cards`` profile inserted at open)
    virtual://contactless[?card=PROFILE]    contactless field (the card is tapped at open)

Support table:

| feature                      | contact (``VirtualReader``) | contactless (``VirtualContactlessReader``) |
|------------------------------|-----------------------------|--------------------------------------------|
| test-side API                | ``insert(card)``, ``remove()`` | ``tap(card)``, ``remove()``             |
| events                       | inserted / removed          | tapped / removed                           |
| card removed mid-APDU        | :class:`CardRemoved`        | :class:`CardRemoved`                       |
| T=0 ``61xx`` / ``6Cxx``      | handled (as ``pcsc://``)    | handled                                    |
| ATR / ATS                    | ``card.atr``                | ``card.ats`` or a default Type 4A ATS      |

A card is any object with ``atr`` and ``transmit(bytes) -> bytes`` (``emv.cards`` cards, or a test's
small fake). A card whose ``transmit`` raises ``emv.cards.errors.CardRemovedError`` (after
``card.remove()``), or that is removed by another thread during ``transmit``, gives :class:`CardRemoved`.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from drivers.base import CardEvent, Tap
from drivers.errors import CardRemoved, NoCard

__all__ = ["VirtualContactlessReader", "VirtualReader"]

DEFAULT_ATS = bytes.fromhex("0578807002")
DEFAULT_UID = bytes.fromhex("08112233")


class _Slot:
    """A card holder with an event queue; every wait is bounded by its timeout."""

    arrive = "inserted"

    def __init__(self, url: str) -> None:
        self.url = url
        self._card: Any = None
        self._powered = False
        self._events: deque[CardEvent] = deque()
        self._cond = threading.Condition()
        self.apdus = 0

    def _put(self, card: Any) -> None:
        with self._cond:
            if self._card is not None:
                self._events.append(CardEvent("removed", self.url))
            self._card, self._powered = card, False
            self._events.append(CardEvent(self.arrive, self.url))  # type: ignore[arg-type]
            self._cond.notify_all()

    def remove(self) -> None:
        """Take the card away (a no-op when the slot is empty)."""
        with self._cond:
            if self._card is None:
                return
            self._card, self._powered = None, False
            self._events.append(CardEvent("removed", self.url))
            self._cond.notify_all()

    @property
    def card(self) -> Any:
        return self._card

    def is_present(self) -> bool:
        return self._card is not None

    def wait_event(self, timeout_s: float) -> CardEvent | None:
        with self._cond:
            self._cond.wait_for(lambda: bool(self._events), max(timeout_s, 0.0))
            return self._events.popleft() if self._events else None

    def _wait_card(self, timeout_s: float) -> Any:
        with self._cond:
            if not self._cond.wait_for(lambda: self._card is not None, max(timeout_s, 0.0)):
                raise NoCard(self.url, f"no card within {timeout_s:g} s")
            self._powered = True
            return self._card

    def transmit(self, apdu: bytes) -> bytes:
        """One exchange; T=0 ``61xx``/``6Cxx`` are handled as :mod:`drivers.pcsc` does.

        Raises:
            CardRemoved: no powered card, or it left during the command.
        """
        from drivers.pcsc import transmit_t0

        return transmit_t0(self._exchange, apdu)

    def _exchange(self, apdu: bytes) -> bytes:
        from emv.cards.errors import CardRemovedError

        card = self._card
        if card is None or not self._powered:
            raise CardRemoved(self.url, "no powered card")
        self.apdus += 1
        try:
            reply = bytes(card.transmit(bytes(apdu)))
        except CardRemovedError as exc:
            self.remove()
            raise CardRemoved(self.url, "card removed during the command") from exc
        if self._card is not card:
            raise CardRemoved(self.url, "card removed during the command")
        return reply

    def close(self) -> None:
        self.remove()
        with self._cond:
            self._events.clear()


class VirtualReader(_Slot):
    """``virtual://reader``: a contact slot (:class:`drivers.base.CardReader`)."""

    def insert(self, card: Any) -> None:
        """Insert ``card`` (a card already in the slot is removed first)."""
        self._put(card)

    def power_on(self, timeout_s: float) -> bytes:
        """Wait for a card and return its ATR.

        Raises:
            NoCard: none within ``timeout_s``.
        """
        card = self._wait_card(timeout_s)
        reset = getattr(card, "reset", None)  # emv.cards cards: a cold reset starts a new session
        return bytes(reset() if callable(reset) else card.atr)


class VirtualContactlessReader(_Slot):
    """``virtual://contactless``: an ISO 14443-4 field (:class:`drivers.base.ContactlessReader`)."""

    arrive = "tapped"

    def tap(self, card: Any) -> None:
        """Bring ``card`` into the field (it stays until :meth:`remove`)."""
        self._put(card)

    def activate(self, timeout_s: float) -> Tap:
        """Wait for a card in the field and activate it.

        Raises:
            NoCard: none within ``timeout_s``.
        """
        card = self._wait_card(timeout_s)
        ats = bytes(getattr(card, "ats", DEFAULT_ATS))
        uid = bytes(getattr(card, "uid", DEFAULT_UID))
        return Tap(uid, ats, "A")
