"""Virtual contactless cards: the PPSE directory and a kernel's GET PROCESSING OPTIONS in front of the
``emv.cards`` application (EMV Contactless Book B 3.3.2 (PPSE), Book C-2, Book C-3; JR/T 0025.12 qPBOC).

A contactless profile is ``emv/cards/profiles/contactless/<name>.toml``: every section of a contact profile
(parsed and checked by :func:`emv.cards.profile.parse_profile`, personalised with its certificates by
:func:`emv.cards.personalise.personalise`), plus ``[contactless]``:

``kernel``
    ``"qpboc"``: the cryptogram and the fDDA signature come in the GPO response (:mod:`emv.cards.qpboc`);
    ``"c2"``: GPO gives AIP and AFL, then GENERATE AC with CDA, as the contact application does.
``kernel_id``
    the Kernel Identifier ``9F2A`` of the PPSE directory entry (omitted: none, the reader's default for the
    RID applies).
``ctq``, ``cvm``, ``always_online``
    qPBOC only: the Card Transaction Qualifiers base, the CVM the card asks for when the reader requires
    one (``online_pin``, ``signature``, ``cdcvm``), and the "card asks for online" fault.

``base = "<contactless profile>"`` merges another contactless profile first, as contact profiles do. The
contactless profiles are kept out of :func:`emv.cards.list_profiles` (the contact kernel's table covers
those) and listed by :func:`list_contactless_profiles`.

>>> card = load_contactless_card("qpboc-debit")
>>> card.transmit(bytes.fromhex("00A404000E325041592E5359532E444446303100"))[-2:].hex()
'9000'
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from emv.apdu import ApduError, Command
from emv.cards import files, qpboc
from emv.cards.card import ATR, COMMANDS, Handler
from emv.cards.errors import CardRemovedError, ProfileError
from emv.cards.personalise import CardImage, personalise
from emv.cards.profile import Profile, parse_profile
from emv.cards.resources import read_package_toml
from emv.cards.state import CardState, Session, Transaction
from emv.cards.sw import (
    SW_CLA_NOT_SUPPORTED,
    SW_FILE_NOT_FOUND,
    SW_INS_NOT_SUPPORTED,
    SW_NO_DIAGNOSIS,
    SW_OK,
    SW_WRONG_LENGTH,
    Reply,
)
from emv.dol import parse_dol
from emv.errors import EmvError
from emv.tlv import encode

__all__ = [
    "ATS",
    "PPSE_NAME",
    "ContactlessCard",
    "ContactlessImage",
    "ContactlessProfile",
    "list_contactless_profiles",
    "load_contactless_card",
    "load_contactless_image",
    "load_contactless_profile",
]

log = logging.getLogger(__name__)

PPSE_NAME = b"2PAY.SYS.DDF01"
ATS = bytes.fromhex("0578807002")  # ISO/IEC 14443-4 answer to select: FSCI 8, no historical bytes
FOLDER = "profiles/contactless"
CVMS = ("online_pin", "signature", "cdcvm")
_QPBOC_PDOL = (0x9F66, 0x9F02, 0x9F37, 0x5F2A)  # the TTQ and the terminal dynamic data of fDDA


@dataclass(frozen=True)
class ContactlessProfile:
    """A contact profile and its ``[contactless]`` section; the repr shows the name only."""

    profile: Profile = field(repr=False)
    kernel: str
    kernel_id: int | None
    ctq: bytes
    cvm: str
    always_online: bool

    @property
    def name(self) -> str:
        return self.profile.name

    def __repr__(self) -> str:
        return f"ContactlessProfile({self.name!r}, {self.kernel})"


def list_contactless_profiles() -> list[str]:
    """The names of the shipped contactless profiles, sorted."""
    folder = resources.files("emv.cards").joinpath(FOLDER)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def _load_data(name: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    if name in seen:
        raise ProfileError(name, "base", "forms a cycle")
    data = read_package_toml(FOLDER, name)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ProfileError(name, "base", "is not a profile name")
    return _merge(_load_data(base, (*seen, name)), data)


def _section(name: str, profile: Profile, table: Any) -> ContactlessProfile:
    if not isinstance(table, dict):
        raise ProfileError(name, "contactless", "is missing or not a table")
    kernel = table.get("kernel")
    if kernel not in ("qpboc", "c2"):
        raise ProfileError(name, "contactless.kernel", "is not 'qpboc' or 'c2'")
    kernel_id = table.get("kernel_id")
    if kernel_id is not None and (not isinstance(kernel_id, int) or not 1 <= kernel_id <= 0x3F):
        raise ProfileError(name, "contactless.kernel_id", "is not an EMVCo kernel identifier 1..63")
    cvm = table.get("cvm", "online_pin")
    if cvm not in CVMS:
        raise ProfileError(name, "contactless.cvm", f"is not one of {', '.join(CVMS)}")
    try:
        ctq = bytes.fromhex(table.get("ctq", "0000"))
    except (TypeError, ValueError):
        raise ProfileError(name, "contactless.ctq", "is not hex") from None
    if len(ctq) != 2:
        raise ProfileError(name, "contactless.ctq", "is not 2 bytes")
    always_online = table.get("always_online", False)
    if not isinstance(always_online, bool):
        raise ProfileError(name, "contactless.always_online", "is not true or false")
    if kernel == "qpboc":
        asked = {tag for tag, _ in parse_dol(profile.pdol)}
        missing = [f"{t:02X}" for t in _QPBOC_PDOL if t not in asked]
        if missing:
            raise ProfileError(name, "application.pdol", f"lacks {' '.join(missing)}, which qPBOC needs")
    return ContactlessProfile(profile, kernel, kernel_id, ctq, cvm, always_online)


@functools.cache
def load_contactless_profile(name: str) -> ContactlessProfile:
    """The parsed contactless profile ``name`` (with its base merged), cached per process.

    Raises:
        ProfileError: no such profile, or a malformed or inconsistent one.
    """
    data = _load_data(name)
    profile = parse_profile(name, data)
    return _section(name, profile, data.get("contactless"))


@dataclass(frozen=True)
class ContactlessImage:
    """The personalised card and its PPSE answer; the repr shows the profile name only."""

    card: CardImage
    profile: ContactlessProfile
    ppse_fci: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"ContactlessImage({self.profile.name!r})"


def _ppse_fci(cl: ContactlessProfile) -> bytes:
    """``6F { 84 '2PAY.SYS.DDF01' A5 { BF0C { 61 { 4F 50 87 [9F2A] } } } }`` (Book B 3.3.2, Table 3-3)."""
    p = cl.profile
    entry: list[tuple[int, bytes]] = [(0x4F, p.aid), (0x50, p.label.encode("ascii"))]
    if p.priority is not None:
        entry.append((0x87, bytes((p.priority,))))
    if cl.kernel_id is not None:
        entry.append((0x9F2A, bytes((cl.kernel_id,))))
    return encode([(0x6F, [(0x84, PPSE_NAME), (0xA5, [(0xBF0C, [(0x61, entry)])])])])


@functools.cache
def load_contactless_image(name: str) -> ContactlessImage:
    """The personalised image of contactless profile ``name`` (certificates computed once per process).

    Raises:
        ProfileError: no such profile, or one that cannot be personalised.
    """
    cl = load_contactless_profile(name)
    return ContactlessImage(personalise(cl.profile), cl, _ppse_fci(cl))


class ContactlessCard:
    """A tapped card: ``transmit`` C-APDUs, ``remove()`` it from the field, ``verify_on_device()`` (a CDCVM
    device: the cardholder unlocked the phone). The same test-side API as :class:`emv.cards.VirtualCard`;
    every other command goes to the contact application's handlers (:data:`emv.cards.card.COMMANDS`)."""

    def __init__(self, image: ContactlessImage, *, random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        self._image = image
        self._session = Session(image.card, CardState.from_image(image.card), random_bytes)
        self._removed = False
        self._device_verified = False
        self._commands: dict[int, tuple[frozenset[int], Handler]] = dict(COMMANDS)
        self._commands[0xA4] = (frozenset((0x00,)), self._select)
        if image.profile.kernel == "qpboc":
            self._commands[0xA8] = (frozenset((0x80,)), self._gpo)
        self.trace: list[tuple[bytes, int]] = []

    @property
    def name(self) -> str:
        return self._image.profile.name

    @property
    def atr(self) -> bytes:
        """The contact ATR of the same chip (a dual-interface card)."""
        return ATR

    @property
    def ats(self) -> bytes:
        return ATS

    @property
    def image(self) -> CardImage:
        return self._image.card

    @property
    def profile(self) -> ContactlessProfile:
        return self._image.profile

    @property
    def state(self) -> CardState:
        return self._session.state

    def verify_on_device(self) -> None:
        """The cardholder verified on the device (CDCVM): the next tap gets "CDCVM performed"."""
        self._device_verified = True

    def remove(self) -> None:
        """Take the card out of the field: the next :meth:`transmit` raises :class:`CardRemovedError`."""
        self._removed = True

    def reset(self) -> bytes:
        """Put the card (back) in the field: nothing selected; returns the ATS."""
        self._removed = False
        self._session.tx = Transaction()
        return ATS

    def transmit(self, capdu: bytes) -> bytes:
        """Process one C-APDU and return the R-APDU (data and SW1 SW2).

        Raises:
            CardRemovedError: the card left the field.
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
        entry = self._commands.get(cmd.ins)
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

    def _select(self, s: Session, cmd: Command) -> Reply:
        if cmd.p1 == 0x04 and cmd.data == PPSE_NAME:
            if cmd.p2 != 0x00:
                return b"", SW_FILE_NOT_FOUND
            s.tx = Transaction()
            return self._image.ppse_fci, SW_OK
        return files.select(s, cmd)

    def _gpo(self, s: Session, cmd: Command) -> Reply:
        cl = self._image.profile
        return qpboc.get_processing_options(
            s,
            cmd,
            ctq_base=cl.ctq,
            cvm=cl.cvm,
            always_online=cl.always_online,
            device_verified=self._device_verified,
        )

    def __repr__(self) -> str:
        return f"ContactlessCard({self.name!r})"


def load_contactless_card(name: str, *, random_bytes: Callable[[int], bytes] = os.urandom) -> ContactlessCard:
    """A fresh contactless card of profile ``name``: its own counters, the shared personalisation.

    Raises:
        ProfileError: no such profile, or one that cannot be personalised.
    """
    return ContactlessCard(load_contactless_image(name), random_bytes=random_bytes)
