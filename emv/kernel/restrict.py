"""Processing restrictions: application version, usage control, effective and expiry dates
(EMV 4.4 Book 3 section 10.4). They only set TVR bits; terminal action analysis decides.
"""

from __future__ import annotations

import datetime as dt

from emv.kernel.context import (
    TVR_EXPIRED,
    TVR_NOT_EFFECTIVE,
    TVR_SERVICE_NOT_ALLOWED,
    TVR_VERSIONS_DIFFER,
    Context,
    bcd_value,
)

__all__ = ["card_date", "restrict"]

ATM_TYPES = {0x14, 0x15, 0x16}  # terminal types of ATMs (Book 4 Annex A1)


def card_date(raw: bytes) -> dt.date | None:
    """A YYMMDD BCD card date: years 00-49 are 20xx, 50-99 are 19xx (Book 3 10.4.3); None if invalid.

    >>> card_date(bytes.fromhex("280630")), card_date(bytes.fromhex("991231")), card_date(b"\\x28\\x13\\x01")
    (datetime.date(2028, 6, 30), datetime.date(1999, 12, 31), None)
    """
    text = raw.hex()
    if len(text) != 6 or not text.isdigit():
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    try:
        return dt.date((2000 if yy < 50 else 1900) + yy, mm, dd)
    except ValueError:
        return None


def _usage_allowed(ctx: Context, auc: bytes) -> bool:
    atm = ctx.params.terminal_type in ATM_TYPES
    if not auc[0] & (0x02 if atm else 0x01):
        return False
    country = bcd_value(ctx.card.get(0x5F28))
    if country is None:
        return True
    domestic = country == ctx.params.terminal_country
    kind = ctx.txn.transaction_type
    if kind == 0x01:  # cash
        return bool(auc[0] & (0x80 if domestic else 0x40))
    goods = bool(auc[0] & (0x20 if domestic else 0x10))
    services = bool(auc[0] & (0x08 if domestic else 0x04))
    if kind == 0x09:  # purchase with cashback
        return (goods or services) and bool(auc[1] & (0x80 if domestic else 0x40))
    return goods or services


def restrict(ctx: Context) -> None:
    """Set the TVR bits of Book 3 10.4 from the card's 9F08, 9F07, 5F25 and 5F24."""
    version = ctx.card.get(0x9F08)
    if version is not None and ctx.aid_params is not None and version != ctx.aid_params.app_version:
        ctx.set_tvr(TVR_VERSIONS_DIFFER)
    auc = ctx.card.get(0x9F07)
    if auc is not None and len(auc) == 2 and not _usage_allowed(ctx, auc):
        ctx.set_tvr(TVR_SERVICE_NOT_ALLOWED)
    today = ctx.txn.when.date()
    effective = ctx.card.get(0x5F25)
    if effective is not None:
        start = card_date(effective)
        if start is None or today < start:
            ctx.set_tvr(TVR_NOT_EFFECTIVE)
    end = card_date(ctx.card.get(0x5F24, b""))
    if end is None or today > end:
        ctx.set_tvr(TVR_EXPIRED)
