"""Faults on demand for the host simulator: rules chosen by message and card, or by a magic amount
(ARCHITECTURE.md section 5; the fault modes of issue 5).

A :class:`FaultRule` matches a request on every criterion it gives: the MTI, the terminal (TID), a PAN
range compared on the PAN's leading digits (``pan_from``..``pan_to``, e.g. a BIN), and an amount range
in fen (a magic amount is a range of one). The first matching rule, in id order, applies; ``remaining``
counts down the uses left (None: unlimited). The actions are what a terminal meets on a real network:

==============  ==========================================================================================
``delay``       the reply leaves ``delay_ms`` later (the request was processed; a terminal timing out
                reverses it)
``no_answer``   the request is processed, no reply is sent
``close``       the request is processed, the connection is closed without a reply
``garble``      the reply's bytes after the envelope are inverted: it no longer decodes
``bad_mac``     the reply's MAC (field 64) is wrong
``respond``     the request is not processed; the reply carries ``response_code``
``unbalanced``  a settlement (0500) is answered "not balanced" whatever the totals
==============  ==========================================================================================

>>> rule = FaultRule(1, "respond", amount_min=888851, amount_max=888851, response_code="51")
>>> rule.matches("0200", "10000019", "6224242900000113", 888851), rule.matches("0200", "x", None, 1)
(True, False)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FaultAction", "FaultError", "FaultRule", "first_match", "rule_from_config"]


class FaultAction(enum.StrEnum):
    DELAY = "delay"
    NO_ANSWER = "no_answer"
    CLOSE = "close"
    GARBLE = "garble"
    BAD_MAC = "bad_mac"
    RESPOND = "respond"
    UNBALANCED = "unbalanced"


class FaultError(ValueError):
    """A fault rule that cannot apply: an unknown action, or one without its parameter."""


@dataclass(slots=True)
class FaultRule:
    """One fault rule; every criterion left None matches anything."""

    id: int
    action: str
    mti: str | None = None
    tid: str | None = None
    pan_from: str | None = None
    pan_to: str | None = None
    amount_min: int | None = None
    amount_max: int | None = None
    delay_ms: int = 0
    response_code: str | None = None
    remaining: int | None = None

    def __post_init__(self) -> None:
        try:
            action = FaultAction(self.action)
        except ValueError:
            raise FaultError(f"unknown fault action {self.action!r}") from None
        if action is FaultAction.RESPOND and (
            self.response_code is None or len(self.response_code) != 2 or not self.response_code.isalnum()
        ):
            raise FaultError("a respond fault needs a 2-character response_code")
        if action is FaultAction.DELAY and not 0 < self.delay_ms <= 600_000:
            raise FaultError("a delay fault needs delay_ms in 1..600000")
        if (self.pan_from is None) != (self.pan_to is None):
            raise FaultError("a PAN range needs both pan_from and pan_to")
        if (
            self.pan_from is not None
            and self.pan_to is not None
            and (len(self.pan_from) != len(self.pan_to) or not (self.pan_from + self.pan_to).isdigit())
        ):
            raise FaultError("pan_from and pan_to are digit prefixes of the same length")

    def matches(self, mti: str, tid: str | None, pan: str | None, amount_fen: int | None) -> bool:
        """True when the request meets every criterion this rule gives."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.mti is not None and self.mti != mti:
            return False
        if self.tid is not None and self.tid != tid:
            return False
        if self.pan_from is not None and self.pan_to is not None:
            if pan is None:
                return False
            if not self.pan_from <= pan[: len(self.pan_from)] <= self.pan_to:
                return False
        if self.amount_min is not None or self.amount_max is not None:
            if amount_fen is None:
                return False
            if self.amount_min is not None and amount_fen < self.amount_min:
                return False
            if self.amount_max is not None and amount_fen > self.amount_max:
                return False
        return True


def first_match(
    rules: Iterable[FaultRule], mti: str, tid: str | None, pan: str | None, amount_fen: int | None
) -> FaultRule | None:
    """The first rule (lowest id) matching the request, or None."""
    for rule in sorted(rules, key=lambda r: r.id):
        if rule.matches(mti, tid, pan, amount_fen):
            return rule
    return None


def rule_from_config(rule_id: int, entry: Mapping[str, Any]) -> FaultRule:
    """A rule from a TOML ``[[faults]]`` table; ``amount`` is shorthand for a magic amount.

    >>> rule_from_config(3, {"amount": 888802, "action": "no_answer"}).amount_max
    888802

    Raises:
        FaultError: an unknown key or action, or a value of the wrong type.
    """
    known = {
        "action", "mti", "tid", "pan_from", "pan_to", "amount", "amount_min", "amount_max", "delay_ms",
        "response_code", "remaining",
    }  # fmt: skip
    unknown = set(entry) - known
    if unknown:
        raise FaultError(f"unknown fault key(s): {', '.join(sorted(unknown))}")
    values = dict(entry)
    amount = values.pop("amount", None)
    if amount is not None:
        values.setdefault("amount_min", amount)
        values.setdefault("amount_max", amount)
    for key in ("amount_min", "amount_max", "delay_ms", "remaining"):
        if key in values and (type(values[key]) is not int or values[key] < 0):
            raise FaultError(f"fault {key} is not a non-negative integer")
    for key in ("action", "mti", "tid", "pan_from", "pan_to", "response_code"):
        if key in values and not isinstance(values[key], str):
            raise FaultError(f"fault {key} is not a string")
    if "action" not in values:
        raise FaultError("fault rule without an action")
    return FaultRule(rule_id, **values)
