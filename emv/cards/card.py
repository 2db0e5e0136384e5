"""The virtual EMV card: an APDU-level payment application behind ``transmit(capdu) -> rapdu``.

EMV 4.4 Book 1, 9-12 (answer to reset, APDUs, selection) and Book 3, 6.5 (the commands). A
:class:`VirtualCard` parses each C-APDU (:class:`emv.apdu.Command`), checks class and instruction against
:data:`COMMANDS`, and runs the handler of :mod:`emv.cards.files`, :mod:`~emv.cards.pin`,
:mod:`~emv.cards.dynamic`, :mod:`~emv.cards.genac`, :mod:`~emv.cards.issuer` or :mod:`~emv.cards.script`.
Every answer is an R-APDU with a status word, never an exception; the one exception is
:class:`CardRemovedError` after :meth:`VirtualCard.remove`, so a kernel can rehearse a card pulled out
mid-transaction. :attr:`VirtualCard.trace` records the header and status word of each exchange (no data).

Unknown instruction: 6D00. Known instruction in the wrong class: 6E00. An APDU that does not parse: 6700.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from emv.apdu import ApduError, Command
from emv.cards import dynamic, files, genac, issuer, pin, script
from emv.cards.errors import CardRemovedError
from emv.cards.personalise import CardImage
from emv.cards.state import CardState, Session, Transaction
from emv.cards.sw import SW_CLA_NOT_SUPPORTED, SW_INS_NOT_SUPPORTED, SW_NO_DIAGNOSIS, SW_WRONG_LENGTH, Reply
from emv.errors import EmvError
from emv.track import Track1, Track2, encode_track1, encode_track2

__all__ = ["ATR", "COMMANDS", "Magstripe", "VirtualCard"]

log = logging.getLogger(__name__)

ATR = bytes.fromhex("3B888001000000000000000009")
"""TS 3B direct convention; T0 88 (TD1, 8 historical bytes); TD1 80 (T=0, TD2 follows); TD2 01 (T=1);
eight historical bytes 00; TCK 09, present because T=1 is offered (ISO/IEC 7816-3, 8.2.5)."""

Handler = Callable[[Session, Command], Reply]

COMMANDS: Mapping[int, tuple[frozenset[int], Handler]] = MappingProxyType(
    {
        0xA4: (frozenset((0x00,)), files.select),
        0xB2: (frozenset((0x00,)), files.read_record),
        0xCA: (frozenset((0x80,)), files.get_data),
        0xA8: (frozenset((0x80,)), files.get_processing_options),
        0x84: (frozenset((0x00,)), files.get_challenge),
        0x20: (frozenset((0x00,)), pin.verify),
        0x88: (frozenset((0x00,)), dynamic.internal_authenticate),
        0xAE: (frozenset((0x80,)), genac.generate_ac),
        0x82: (frozenset((0x00,)), issuer.external_authenticate),
        0x1E: (frozenset((0x84,)), script.issuer_script),
        0x18: (frozenset((0x84,)), script.issuer_script),
        0x24: (frozenset((0x84,)), script.issuer_script),
        0xDA: (frozenset((0x04, 0x84)), script.issuer_script),
    }
)
"""Instruction -> (accepted classes, handler)."""


@dataclass(frozen=True)
class Magstripe:
    """The card's magnetic stripe: both tracks parsed, and their images as on the stripe; repr hides them.

    ``track1_image`` and ``track2_image`` carry sentinels and LRC (:func:`emv.track.encode_track1`).
    """

    track1: Track1
    track2: Track2
    track1_image: str = field(repr=False)
    track2_image: str = field(repr=False)

    def __str__(self) -> str:
        return repr(self)


class VirtualCard:
    """One personalised card: ``transmit`` C-APDUs, read ``atr``, ``remove()`` it, ``reset()`` it.

    ``random_bytes`` is the card's random source (GET CHALLENGE, ICC dynamic numbers); tests may pass a
    deterministic one.
    """

    def __init__(self, image: CardImage, *, random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        self._session = Session(image, CardState.from_image(image), random_bytes)
        self._removed = False
        self.trace: list[tuple[bytes, int]] = []

    @property
    def name(self) -> str:
        """The profile name."""
        return self._session.image.profile.name

    @property
    def atr(self) -> bytes:
        """The answer to reset (T=1; Book 1, 8)."""
        return ATR

    @property
    def state(self) -> CardState:
        """The card's non-volatile memory (counters, PIN tries, blocks), for tests and the host twin."""
        return self._session.state

    @property
    def image(self) -> CardImage:
        """What personalisation wrote (records, certificates), for tests."""
        return self._session.image

    def magstripe(self) -> Magstripe:
        """The track 1 and track 2 images of the card's stripe."""
        p = self._session.image.profile
        return Magstripe(p.track1, p.track2, encode_track1(p.track1), encode_track2(p.track2))

    def remove(self) -> None:
        """Pull the card out of the reader: the next :meth:`transmit` raises :class:`CardRemovedError`."""
        self._removed = True

    def reset(self) -> bytes:
        """Power the card (again): it is in the reader, nothing is selected; returns the ATR."""
        self._removed = False
        self._session.tx = Transaction()
        return ATR

    def transmit(self, capdu: bytes) -> bytes:
        """Process one C-APDU and return the R-APDU (data and SW1 SW2).

        Raises:
            CardRemovedError: the card was removed.
        """
        if self._removed:
            raise CardRemovedError()
        data, sw = self._process(bytes(capdu))
        self.trace.append((bytes(capdu[:4]), sw))
        log.debug("%s: %s -> %04X, %d bytes", self.name, bytes(capdu[:4]).hex().upper(), sw, len(data))
        return data + sw.to_bytes(2, "big")

    def _process(self, capdu: bytes) -> Reply:
        try:
            cmd = Command.parse(capdu)
        except ApduError:
            return b"", SW_WRONG_LENGTH
        entry = COMMANDS.get(cmd.ins)
        if entry is None:
            return b"", SW_INS_NOT_SUPPORTED
        classes, handler = entry
        if cmd.cla not in classes:
            return b"", SW_CLA_NOT_SUPPORTED
        try:
            return handler(self._session, cmd)
        except (EmvError, ValueError, LookupError) as exc:  # a card's "no precise diagnosis"
            log.warning("%s: %02X %02X failed: %s", self.name, cmd.cla, cmd.ins, type(exc).__name__)
            return b"", SW_NO_DIAGNOSIS

    def __repr__(self) -> str:
        return f"VirtualCard({self.name!r})"
