"""Application selection: the PSE directory, then the list of AIDs (EMV 4.4 Book 1, section 12).

:func:`build_candidates` makes the candidate list with both methods: the Payment System Environment
('1PAY.SYS.DDF01', its directory records read from the SFI in the FCI) when the card has one, else a
SELECT of every terminal AID, exact or partial (SELECT next occurrence while the card answers), skipping
blocked applications (6283). :func:`choose` orders the candidates by priority (tag 87, b4-b1; 0 = none,
last) and asks the cardholder when there is a choice or a confirmation is required (b8).
:func:`final_select` selects the chosen AID and checks its FCI; a failure removes the candidate and the
caller selects the next ("select next", Book 1 12.4).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from emv import apdu, tlv
from emv.errors import EmvError
from emv.kernel.context import Context, Termination, exchange

log = logging.getLogger(__name__)

__all__ = ["Candidate", "SelectionError", "adopt_application", "build_candidates", "choose", "final_select"]

PSE = b"1PAY.SYS.DDF01"


class SelectionError(EmvError):
    """Selection cannot go on: ``fallback`` says whether the terminal may fall back to magstripe."""

    def __init__(self, reason: str, fallback: bool, kind: Termination = Termination.NO_APPLICATION) -> None:
        self.reason = reason
        self.fallback = fallback
        self.kind = kind
        super().__init__(reason)


@dataclass(frozen=True)
class Candidate:
    """A mutually supported application."""

    aid: bytes
    label: str
    priority: int  # 1 highest .. 15 lowest, 0 none
    confirm: bool  # cardholder confirmation required

    @property
    def rank(self) -> int:
        return self.priority if self.priority else 16


def _label(entry: tlv.TlvNode) -> str:
    raw = entry.find(0x9F12) or entry.find(0x50) or b""
    return raw.decode("ascii", "replace")


def _priority(raw: bytes | None) -> tuple[int, bool]:
    if not raw:
        return 0, False
    return raw[0] & 0x0F, bool(raw[0] & 0x80)


def _supported(ctx: Context, aid: bytes) -> bool:
    return ctx.params.aid_params(aid) is not None


def _from_pse(ctx: Context) -> list[Candidate] | None:
    """Candidates from the PSE directory; None when the card has no usable PSE (use the AID list)."""
    r = exchange(ctx, apdu.select(PSE))
    if r.sw == 0x6A81:
        raise SelectionError(
            "card blocked or SELECT not supported", fallback=False, kind=Termination.CARD_BLOCKED
        )
    if not r.ok:
        return None
    try:
        sfi = tlv.decode(r.data).find(0x88)
    except tlv.TlvError:
        return None
    if not sfi or not 1 <= sfi[0] <= 10:
        return None
    out: list[Candidate] = []
    for record in range(1, 256):
        rr = exchange(ctx, apdu.read_record(record, sfi[0]))
        if rr.sw == 0x6A83:
            break
        if not rr.ok:
            return None
        try:
            entries = tlv.decode(rr.data).find_all(0x61)
        except tlv.TlvError:
            return None  # a malformed directory: fall back to the list of AIDs (Book 1 12.3.2)
        for entry in entries:
            aid = entry.find(0x4F)
            if aid and _supported(ctx, aid):
                prio, confirm = _priority(entry.find(0x87))
                out.append(Candidate(aid, _label(entry), prio, confirm))
    return out


MAX_OCCURRENCES = 16  # a card answering 9000 to every SELECT next must not loop the terminal


def _from_aid_list(ctx: Context, blocked: list[bytes]) -> list[Candidate]:
    """SELECT each terminal AID, then SELECT next while partial selection allows it (Book 1 12.3.3).
    Applications that answer 6283 (blocked) are not candidates; their AIDs are added to ``blocked``."""
    out: list[Candidate] = []
    for params in ctx.params.aids:
        r = exchange(ctx, apdu.select(params.aid))
        for _ in range(MAX_OCCURRENCES):
            if not (r.ok or r.sw == 0x6283):  # 6283: the application is blocked, keep looking
                break
            try:
                fci = tlv.decode(r.data)
            except tlv.TlvError:
                break
            df_name = fci.find(0x84) or b""
            if r.sw == 0x6283:
                blocked.append(df_name)
            exact = df_name == params.aid
            if r.ok and (exact or (params.partial_selection and df_name.startswith(params.aid))):
                prio, confirm = _priority(fci.find(0x87))
                label = fci.find(0x9F12) or fci.find(0x50) or params.label.encode()
                out.append(Candidate(df_name, label.decode("ascii", "replace"), prio, confirm))
            if not params.partial_selection:
                break
            r = exchange(ctx, apdu.select(params.aid, next_occurrence=True))
    return out


def build_candidates(ctx: Context) -> list[Candidate]:
    """The candidate list (Book 1 12.3): PSE first, the list of AIDs when there is no usable PSE.

    Raises:
        SelectionError: the card is blocked (6A81), its applications are blocked (6283: no fallback), or no
            application is mutually supported (fallback to magstripe allowed).
    """
    found = _from_pse(ctx)
    blocked: list[bytes] = []
    if not found:
        found = _from_aid_list(ctx, blocked)
    if not found and blocked:
        raise SelectionError(
            "the card's application is blocked", fallback=False, kind=Termination.APP_BLOCKED
        )
    if not found:
        raise SelectionError("no mutually supported application", fallback=True)
    unique: dict[bytes, Candidate] = {}
    for c in found:
        unique.setdefault(c.aid, c)
    return list(unique.values())


def choose(ctx: Context, candidates: list[Candidate]) -> Candidate | None:
    """The application to select: the highest priority, or the cardholder's pick (Book 1 12.4)."""
    ordered = sorted(candidates, key=lambda c: c.rank)
    if len(ordered) == 1 and not ordered[0].confirm:
        return ordered[0]
    picked = ctx.ui.choose_application([c.label for c in ordered])
    if picked is None or not 0 <= picked < len(ordered):
        return None
    return ordered[picked]


def final_select(ctx: Context, candidate: Candidate) -> tlv.Tlv:
    """SELECT the chosen application and check its FCI (6F with 84 and A5, Book 1 11.3.4).

    Raises:
        SelectionError: the card refused the SELECT or the FCI is malformed (the caller tries the next).
    """
    r = exchange(ctx, apdu.select(candidate.aid))
    if not r.ok:
        raise SelectionError(f"final SELECT answered {r.sw:04X}", fallback=False)
    try:
        fci = tlv.decode(r.data)
    except tlv.TlvError as exc:
        raise SelectionError(f"malformed FCI ({exc.reason} at offset {exc.offset})", fallback=False) from None
    top = fci.top()
    if not top or top[0].tag != 0x6F or fci.find(0x84) is None or not fci.find_all(0xA5):
        raise SelectionError("FCI lacks 6F, 84 or A5", fallback=False)
    return fci


def adopt_application(ctx: Context, aid: bytes, fci: tlv.Tlv) -> None:
    """After the final SELECT: the card data from the FCI (84, 4F, 50, 87, 9F12, 5F2D, 9F11) and the
    terminal's parameters for the application (9F09, 9F06) (Book 1 12.4, Book 3 10.1)."""
    ctx.card.clear()
    ctx.card[0x84] = fci.find(0x84) or aid
    ctx.card[0x4F] = aid
    for tag in (0x50, 0x87, 0x9F12, 0x5F2D, 0x9F11):
        value = fci.find(tag)
        if value is not None:
            ctx.card[tag] = value
    ctx.aid_params = ctx.params.aid_params(aid)
    if ctx.aid_params is not None:
        ctx.terminal[0x9F09] = ctx.aid_params.app_version
        ctx.terminal[0x9F06] = ctx.aid_params.aid
