"""Terminal risk management: floor limit, random transaction selection, velocity checking
(EMV 4.4 Book 3 section 10.6; DOMAIN_FACTS.md B).
"""

from __future__ import annotations

from emv import apdu, tlv
from emv.kernel.context import (
    TSI_TRM_PERFORMED,
    TVR_FLOOR_LIMIT_EXCEEDED,
    TVR_LOWER_OFFLINE_EXCEEDED,
    TVR_MERCHANT_FORCED_ONLINE,
    TVR_NEW_CARD,
    TVR_RANDOM_SELECTED,
    TVR_UPPER_OFFLINE_EXCEEDED,
    Context,
    exchange,
)

__all__ = ["is_randomly_selected", "manage_risk"]


def is_randomly_selected(
    amount: int, floor: int, threshold: int, target: int, maximum: int, draw: int
) -> bool:
    """Random transaction selection for an amount under the floor limit (Book 3 10.6.2).

    ``draw`` is the random number 1..99. Below the threshold the probability is the target percentage;
    from the threshold to the floor limit it rises linearly to the maximum percentage. Integer arithmetic:
    ``draw <= target + (maximum - target) * (amount - threshold) / (floor - threshold)``.

    >>> [is_randomly_selected(1000, 10000, 5000, 20, 50, draw) for draw in (20, 21)]
    [True, False]
    >>> [is_randomly_selected(7500, 10000, 5000, 20, 50, draw) for draw in (35, 36)]
    [True, False]
    """
    if amount >= floor:
        return False
    if amount < threshold or floor <= threshold:
        return draw <= target
    return (draw - target) * (floor - threshold) <= (maximum - target) * (amount - threshold)


def _get_data(ctx: Context, tag: int) -> bytes | None:
    r = exchange(ctx, apdu.get_data(tag))
    if not r.ok:
        return None
    try:
        found = tlv.parse(r.data)
    except tlv.TlvError:
        return None
    value = found.get(tag)
    return value if value is not None and len(value) == 2 else None


def manage_risk(ctx: Context) -> None:
    """Floor limit with the transaction log, random selection, velocity; TSI "TRM performed"."""
    params = ctx.aid_params
    amount = ctx.txn.amount_minor
    if ctx.txn.force_online:
        ctx.set_tvr(TVR_MERCHANT_FORCED_ONLINE)
    if params is not None:
        logged = ctx.recent_amount(ctx.card.get(0x5A, b""))
        if amount + logged >= params.floor_limit:
            ctx.set_tvr(TVR_FLOOR_LIMIT_EXCEEDED)
        online_capable = ctx.params.terminal_type & 0x0F in (1, 2, 4, 5)
        if online_capable and is_randomly_selected(
            amount,
            params.floor_limit,
            params.random_threshold,
            params.random_target_percent,
            params.random_max_percent,
            ctx.rng.randint(1, 99),
        ):
            ctx.set_tvr(TVR_RANDOM_SELECTED)
    lower, upper = ctx.card.get(0x9F14), ctx.card.get(0x9F23)
    if lower is not None and upper is not None and len(lower) == 1 and len(upper) == 1:
        atc = _get_data(ctx, 0x9F36)
        last_online = _get_data(ctx, 0x9F13)
        if atc is None or last_online is None:
            ctx.set_tvr(TVR_LOWER_OFFLINE_EXCEEDED)
            ctx.set_tvr(TVR_UPPER_OFFLINE_EXCEEDED)
        else:
            n_atc, n_last = int.from_bytes(atc, "big"), int.from_bytes(last_online, "big")
            if n_last == 0:
                ctx.set_tvr(TVR_NEW_CARD)
            offline = n_atc - n_last
            if n_atc <= n_last or offline > lower[0]:
                ctx.set_tvr(TVR_LOWER_OFFLINE_EXCEEDED)
            if n_atc <= n_last or offline > upper[0]:
                ctx.set_tvr(TVR_UPPER_OFFLINE_EXCEEDED)
    ctx.set_tsi(TSI_TRM_PERFORMED)
