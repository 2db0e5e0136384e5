"""Virtual EMV cards: APDU-level payment applications with real certificates and cryptograms.

EMV 4.4 Books 1-3. A card is personalised from a profile (``emv/cards/profiles/<name>.toml``) with keys
pre-generated as emulation data (``emv/cards/data``, TEST ONLY): its issuer certificate is signed by the
posemu test CA, whose public keys are the CAPKs of ``config/defaults/capk_posemu_test.txt`` (index E1 for
A000000003, A000000004 and A000000333), and its cryptograms use the issuer master keys of its profile, so
the kernel verifies the card and the host simulator verifies its ARQCs.

>>> "visa-cda" in list_profiles()
True
>>> card = load_card("pboc-sda")
>>> card.transmit(bytes.fromhex("00A404000E315041592E5359532E444446303100"))[-2:].hex()
'9000'
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

from emv.cards.card import Magstripe, VirtualCard
from emv.cards.errors import CardError, CardRemovedError, ProfileError
from emv.cards.personalise import CardImage, personalise
from emv.cards.profile import Profile, load_profile_data, parse_profile
from emv.cards.resources import list_profile_names

__all__ = [
    "CardError",
    "CardRemovedError",
    "Magstripe",
    "Profile",
    "ProfileError",
    "VirtualCard",
    "list_profiles",
    "load_card",
    "load_image",
    "load_profile",
]


def list_profiles() -> list[str]:
    """The names of the shipped card profiles, sorted."""
    return list_profile_names()


@functools.cache
def load_profile(name: str) -> Profile:
    """The parsed profile ``name`` (with its base merged), cached per process.

    Raises:
        ProfileError: no such profile, or a malformed or inconsistent one.
    """
    return parse_profile(name, load_profile_data(name))


@functools.cache
def load_image(name: str) -> CardImage:
    """The personalised image of profile ``name`` (certificates computed once per process).

    Raises:
        ProfileError: no such profile, or one that cannot be personalised.
    """
    return personalise(load_profile(name))


def load_card(name: str, *, random_bytes: Callable[[int], bytes] = os.urandom) -> VirtualCard:
    """A fresh card of profile ``name``: its own counters and PIN tries, the shared personalisation.

    Raises:
        ProfileError: no such profile, or one that cannot be personalised.
    """
    return VirtualCard(load_image(name), random_bytes=random_bytes)
