"""Field 48 at day-end: settlement totals (0500/0510) and the batch-upload count (0320 end), CUP POS profile.

Layout (DOMAIN_FACTS section A; Centerm ``BaseField48.java``, ``SettlementTrade.java``): for domestic cards,
debit amount n12, debit count n3, credit amount n12, credit count n3 and a result digit, then the same 31
digits for foreign cards: 62 digits. A terminal sends result ``0``; the host's 0510 answers ``1`` balanced,
``2`` not balanced or ``3`` error, and either of the last two sends the terminal into batch upload (0320,
60.3 ``201``), closed by a 0320 whose field 48 is the total count (n4) and whose 60.3 is ``207`` when both
domestic and foreign totals balanced, else ``202``. Amounts are int fen.

>>> t = SettlementTotals(Totals(debit_fen=12345, debit_count=2))
>>> t.to_field()
'00000001234500200000000000000000000000000000000000000000000000'
>>> SettlementTotals.from_field(t.to_field()) == t
True
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from host.errors import Iso8583Error
from host.profile import is_bcd

__all__ = [
    "SettlementResult",
    "SettlementTotals",
    "Totals",
    "batch_end_network_code",
    "format_batch_count",
    "parse_batch_count",
]

_AMOUNT_MAX = 10**12 - 1
_COUNT_MAX = 999


class SettlementResult(enum.IntEnum):
    """The result digit of each half of field 48: ``0`` in the request, the host's verdict in the 0510."""

    REQUESTED = 0
    BALANCED = 1
    NOT_BALANCED = 2
    ERROR = 3


@dataclass(frozen=True)
class Totals:
    """Debit and credit totals of one card group, amounts in int fen."""

    debit_fen: int = 0
    debit_count: int = 0
    credit_fen: int = 0
    credit_count: int = 0

    def _digits(self) -> str:
        for value, top in (
            (self.debit_fen, _AMOUNT_MAX),
            (self.debit_count, _COUNT_MAX),
            (self.credit_fen, _AMOUNT_MAX),
            (self.credit_count, _COUNT_MAX),
        ):
            if type(value) is not int or not 0 <= value <= top:
                raise Iso8583Error(f"settlement total is not an int in 0..{top}", field=48)
        return f"{self.debit_fen:012d}{self.debit_count:03d}{self.credit_fen:012d}{self.credit_count:03d}"

    @classmethod
    def _from_digits(cls, text: str) -> Totals:
        return cls(int(text[0:12]), int(text[12:15]), int(text[15:27]), int(text[27:30]))


@dataclass(frozen=True)
class SettlementTotals:
    """Field 48 of a settlement request or reply: domestic and foreign totals with their result digits.

    >>> reply = SettlementTotals.from_field("0" * 30 + "1" + "0" * 30 + "2")
    >>> reply.domestic_result, reply.foreign_result, reply.needs_batch_upload
    (<SettlementResult.BALANCED: 1>, <SettlementResult.NOT_BALANCED: 2>, True)
    """

    domestic: Totals
    foreign: Totals = Totals()
    domestic_result: SettlementResult = SettlementResult.REQUESTED
    foreign_result: SettlementResult = SettlementResult.REQUESTED

    @property
    def needs_batch_upload(self) -> bool:
        """True when the host found either half not balanced or in error: the terminal uploads its batch."""
        return not {self.domestic_result, self.foreign_result}.isdisjoint(
            {SettlementResult.NOT_BALANCED, SettlementResult.ERROR}
        )

    @property
    def balanced(self) -> bool:
        """True when the host found both halves balanced."""
        return self.domestic_result == self.foreign_result == SettlementResult.BALANCED

    def to_field(self) -> str:
        """Raises: Iso8583Error: an amount or count that does not fit, or a result outside 0..3."""
        for result in (self.domestic_result, self.foreign_result):
            if result not in tuple(SettlementResult):
                raise Iso8583Error("settlement result outside 0..3", field=48)
        return (
            f"{self.domestic._digits()}{int(self.domestic_result)}"
            f"{self.foreign._digits()}{int(self.foreign_result)}"
        )

    @classmethod
    def from_field(cls, text: str) -> SettlementTotals:
        """Raises: Iso8583Error: not 62 digits, or a result digit outside 0..3."""
        if len(text) != 62 or not is_bcd(text):
            raise Iso8583Error("settlement totals are not 62 digits", field=48)
        try:
            results = SettlementResult(int(text[30])), SettlementResult(int(text[61]))
        except ValueError:
            raise Iso8583Error("settlement result outside 0..3", field=48) from None
        return cls(Totals._from_digits(text[:30]), Totals._from_digits(text[31:61]), *results)


def format_batch_count(count: int) -> str:
    """Field 48 of the batch-upload end message: the number of transactions uploaded, n4.

    >>> format_batch_count(7)
    '0007'

    Raises:
        Iso8583Error: a count outside 0..9999.
    """
    if type(count) is not int or not 0 <= count <= 9999:
        raise Iso8583Error("batch count outside 0..9999", field=48)
    return f"{count:04d}"


def parse_batch_count(text: str) -> int:
    """The transaction count of a batch-upload end message.

    >>> parse_batch_count("0007")
    7

    Raises:
        Iso8583Error: not 4 digits.
    """
    if len(text) != 4 or not is_bcd(text):
        raise Iso8583Error("batch count is not 4 digits", field=48)
    return int(text)


def batch_end_network_code(totals: SettlementTotals) -> str:
    """60.3 of the batch-upload end message: ``207`` when both halves balanced, else ``202``.

    >>> batch_end_network_code(SettlementTotals(Totals(), domestic_result=SettlementResult.NOT_BALANCED))
    '202'

    Raises:
        Nothing.
    """
    return "207" if totals.balanced else "202"
