"""Entry Point pre-processing: the reader limits of each combination and the TTQ of this transaction
(EMV Contactless Book B, 3.1.1; the configuration data of Book A, 5.7).

Before the field is switched on, every AID-kernel combination of the reader gets its pre-processing
indicators (Book B Table 3-1) from the amount authorised:

- *contactless application not allowed*: amount >= Reader Contactless Transaction Limit, or a zero amount
  the combination does not allow (or allows only online, and the reader is offline-only);
- *status check requested*: status check supported and the amount is one unit of the currency;
- *zero amount*: the amount is zero and the combination allows it;
- *reader CVM required limit exceeded*: amount >= Reader CVM Required Limit;
- *reader contactless floor limit exceeded*: amount > Reader Contactless Floor Limit.

The combination's copy of the Terminal Transaction Qualifiers ``9F66`` has byte 2 b8 (online cryptogram
required) and b7 (CVM required) reset, then b8 set for floor limit exceeded, status check or zero amount,
and b7 for CVM required limit exceeded (Book B 3.1.1.9 to 3.1.1.12; the same bits in JR/T 0025.12 qPBOC).
When no combination is allowed, the outcome is Try Another Interface (Book B 3.1.1.13).

>>> from emv.kernel.params import ContactlessParams, ReaderCombination
>>> cup = ReaderCombination(bytes.fromhex("A000000333"), 7, "UnionPay", 500000, 30000, 100000,
...                         bytes.fromhex("36004000"), False, False)
>>> [(p.ttq.hex(), p.not_allowed) for p in preprocess(ContactlessParams(cup.ttq, 0x60, 0x08, (cup,)), 150000)]
[('36c04000', False)]
"""

from __future__ import annotations

from dataclasses import dataclass

from emv.kernel.params import ContactlessParams, ReaderCombination

__all__ = ["TTQ_CVM_REQUIRED", "TTQ_ONLINE_CRYPTOGRAM", "Indicators", "is_contactless_allowed", "preprocess"]

TTQ_ONLINE_CRYPTOGRAM = (1, 0x80)  # byte 2 b8: online cryptogram required
TTQ_CVM_REQUIRED = (1, 0x40)  # byte 2 b7: CVM required


@dataclass(frozen=True)
class Indicators:
    """The pre-processing indicators of one combination and its TTQ for this transaction."""

    combination: ReaderCombination
    not_allowed: bool
    status_check: bool
    zero_amount: bool
    cvm_required: bool
    floor_exceeded: bool
    ttq: bytes

    @property
    def online_required(self) -> bool:
        """TTQ byte 2 b8: the card must answer with an online cryptogram."""
        return bool(self.ttq[1] & 0x80)


def _one(c: ReaderCombination, amount: int, unit: int, online_capable: bool) -> Indicators:
    zero = amount == 0
    not_allowed = (c.transaction_limit is not None and amount >= c.transaction_limit) or (
        zero and (not c.zero_amount_allowed or not online_capable)
    )
    status = c.status_check and amount == unit
    cvm = c.cvm_limit is not None and amount >= c.cvm_limit
    floor = c.floor_limit is not None and amount > c.floor_limit
    ttq = bytearray(c.ttq)
    ttq[1] &= 0x3F
    if floor or status or zero:
        ttq[1] |= 0x80
    if cvm:
        ttq[1] |= 0x40
    return Indicators(c, not_allowed, status, zero and not not_allowed, cvm, floor, bytes(ttq))


def preprocess(
    params: ContactlessParams, amount_minor: int, unit_minor: int = 100, online_capable: bool = True
) -> list[Indicators]:
    """Pre-processing of every combination, in the reader's order (Book B 3.1.1).

    ``unit_minor`` is one unit of the transaction currency in minor units (100 for an exponent of 2), for
    the status check; ``online_capable`` says whether a zero amount can go online.
    """
    return [_one(c, amount_minor, unit_minor, online_capable) for c in params.combinations]


def is_contactless_allowed(indicators: list[Indicators]) -> bool:
    """False when every combination is "not allowed": the outcome is Try Another Interface (3.1.1.13).

    >>> from emv.kernel.params import default_params
    >>> cl = default_params().contactless
    >>> is_contactless_allowed(preprocess(cl, 499999)), is_contactless_allowed(preprocess(cl, 500000))
    (True, False)
    """
    return any(not i.not_allowed for i in indicators)
