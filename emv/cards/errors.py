"""Errors of the virtual EMV cards (STYLE.md section 5).

A virtual card answers every command with a status word, as a real card does; it raises only for what a
card cannot express in a status word: being pulled out of the reader (:class:`CardRemovedError`) and a
profile that cannot be personalised (:class:`ProfileError`). Messages name the profile and the field,
never a PAN, PIN or key.
"""

from __future__ import annotations

from emv.errors import EmvError

__all__ = ["CardError", "CardRemovedError", "ProfileError"]


class CardError(EmvError):
    """Base class of errors raised by ``emv.cards``."""


class CardRemovedError(CardError):
    """The card left the reader: a command was sent after :meth:`VirtualCard.remove`.

    >>> str(CardRemovedError())
    'card removed'
    """

    def __init__(self) -> None:
        super().__init__("card removed")


class ProfileError(CardError):
    """A card profile or its emulation data is missing, malformed or inconsistent.

    ``profile`` is the profile name, ``field`` the offending entry.

    >>> str(ProfileError("visa-cda", "cardholder.pan", "fails the Luhn check"))
    'profile visa-cda: cardholder.pan fails the Luhn check'
    """

    def __init__(self, profile: str, field: str, reason: str) -> None:
        self.profile = profile
        self.field = field
        self.reason = reason
        super().__init__(f"profile {profile}: {field} {reason}")

    def __reduce__(self) -> tuple[type[ProfileError], tuple[str, str, str]]:
        return (type(self), (self.profile, self.field, self.reason))
