"""Terminal action analysis and card action analysis: the GENERATE AC commands
(EMV 4.4 Book 3 sections 10.7 and 10.8, 6.5.5; CDA per Book 2 6.6).

The terminal compares the TVR with the terminal action codes (TAC) and the card's issuer action codes
(IAC, 9F0E denial, 9F0F online, 9F0D default; absent: denial 00.., online and default FF..) and asks for
an AAC, an ARQC or a TC; the card answers a cryptogram of the same or a lower kind. CDA is requested with
a TC or ARQC when it was selected (AIP and terminal both support it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from emv import apdu, tlv
from emv.dol import build_dol, parse_dol
from emv.kernel.context import (
    TSI_CARD_RISK_PERFORMED,
    TVR_CDA_FAILED,
    TVR_DEFAULT_TDOL_USED,
    Context,
    TerminationError,
    exchange,
)
from emv.kernel.oda import OdaError, PublicKey, verify_cda

__all__ = ["AAC", "ARQC", "TC", "Cryptogram", "decide", "decide_default", "generate_ac"]

AAC, TC, ARQC = apdu.AC_AAC, apdu.AC_TC, apdu.AC_ARQC
_RANK = {AAC: 0, TC: 1, ARQC: 2}


@dataclass(frozen=True)
class Cryptogram:
    """The card's answer to GENERATE AC: kind (AAC/TC/ARQC from the CID), and whether CDA verified."""

    kind: int
    cid: bytes
    atc: bytes
    ac: bytes
    cda_failed: bool = False


def _matches(ctx: Context, tac: bytes, iac: bytes) -> bool:
    return any(t & (a | b) for t, a, b in zip(ctx.tvr, tac, iac, strict=True))


def _iac(ctx: Context, tag: int, absent: bytes) -> bytes:
    value = ctx.card.get(tag)
    return value if value is not None and len(value) == 5 else absent


def decide(ctx: Context) -> int:
    """The cryptogram the terminal asks for in the first GENERATE AC (Book 3 10.7)."""
    p = ctx.aid_params
    if p is None:
        return AAC
    if _matches(ctx, p.tac_denial, _iac(ctx, 0x9F0E, bytes(5))):
        return AAC
    online_capable = ctx.params.terminal_type & 0x0F in (1, 2, 4, 5)
    if online_capable:
        return ARQC if _matches(ctx, p.tac_online, _iac(ctx, 0x9F0F, b"\xff" * 5)) else TC
    return decide_default(ctx)


def decide_default(ctx: Context) -> int:
    """TC or AAC by the default action codes: offline-only terminals, and "unable to go online"."""
    p = ctx.aid_params
    if p is None:
        return AAC
    return AAC if _matches(ctx, p.tac_default, _iac(ctx, 0x9F0D, b"\xff" * 5)) else TC


def _cdol_data(ctx: Context, tag: int) -> bytes:
    raw = ctx.card.get(tag)
    if raw is None:
        raise TerminationError(f"CDOL {tag:02X} missing")
    try:
        dol = parse_dol(raw)
    except tlv.TlvError as exc:
        raise TerminationError(f"malformed CDOL {tag:02X} ({exc.reason})") from None
    if any(t == 0x98 for t, _ in dol):  # TC hash value over the TDOL data (Book 3 10.8, 5.4)
        tdol_raw = ctx.card.get(0x97)
        if tdol_raw is None:
            tdol_raw = ctx.params.default_tdol
            ctx.set_tvr(TVR_DEFAULT_TDOL_USED)
        try:
            tdol = parse_dol(tdol_raw)
        except tlv.TlvError:
            tdol = []
        ctx.terminal[0x98] = hashlib.sha1(build_dol(tdol, ctx.snapshot())).digest()
    return build_dol(dol, ctx.snapshot())


def generate_ac(ctx: Context, kind: int, second: bool, icc: PublicKey | None) -> Cryptogram:
    """Send GENERATE AC with CDOL1 (or CDOL2 when ``second``) data and check the answer.

    Raises:
        TerminationError: an error status, a malformed response, missing CID/ATC/AC, or a cryptogram of a
            higher kind than requested (Book 3 10.8).
    """
    cdol = _cdol_data(ctx, 0x8D if second else 0x8C)
    if not second:
        ctx.cdol1_data = cdol
    cda = ctx.oda_method == "CDA" and kind != AAC and icc is not None
    r = exchange(ctx, apdu.generate_ac(kind | (apdu.AC_CDA if cda else 0), cdol))
    if not r.ok:
        raise TerminationError(f"GENERATE AC answered {r.sw:04X}")
    ctx.set_tsi(TSI_CARD_RISK_PERFORMED)
    try:
        resp = tlv.decode(r.data)
    except tlv.TlvError as exc:
        raise TerminationError(f"malformed GENERATE AC response ({exc.reason})") from None
    top = resp.top()
    if len(top) != 1 or top[0].tag not in (0x80, 0x77):
        raise TerminationError("GENERATE AC response is not template 80 or 77")
    node = top[0]
    verified = False
    if node.tag == 0x80:
        body = node.value
        if len(body) < 11:
            raise TerminationError("GENERATE AC format 1 is too short")
        cid, atc, ac, iad = body[:1], body[1:3], body[3:11], body[11:]
        if iad:
            ctx.card[0x9F10] = iad
    else:
        try:
            found = tlv.parse(node.value)
        except tlv.TlvError as exc:
            raise TerminationError(f"GENERATE AC response: {exc.reason}") from None
        cid, atc = found.get(0x9F27, b""), found.get(0x9F36, b"")
        ac = found.get(0x9F26, b"")
        if 0x9F10 in found:
            ctx.card[0x9F10] = found[0x9F10]
        if cda and cid and cid[0] & 0xC0 != 0 and 0x9F4B in found and icc is not None:
            try:
                ac = verify_cda(ctx, icc, node, ctx.cdol1_data + (cdol if second else b""))
            except OdaError:
                return _cda_failed(ctx, cid, atc)
            verified = True
    if len(cid) != 1 or len(atc) != 2 or (len(ac) != 8 and not cda):
        raise TerminationError("GENERATE AC response lacks CID, ATC or AC")
    got = cid[0] & 0xC0
    if got not in _RANK:
        raise TerminationError("GENERATE AC returned an AAR or an unknown cryptogram type")
    if _RANK[got] > _RANK[kind]:
        raise TerminationError("card returned a higher cryptogram than requested")
    if cda and got != AAC and not verified:
        return _cda_failed(ctx, cid, atc)  # CDA requested, no signed dynamic data returned
    ctx.card[0x9F27], ctx.card[0x9F36], ctx.card[0x9F26] = cid, atc, ac
    return Cryptogram(got, cid, atc, ac)


def _cda_failed(ctx: Context, cid: bytes, atc: bytes) -> Cryptogram:
    ctx.set_tvr(TVR_CDA_FAILED)
    ctx.card[0x9F27], ctx.card[0x9F36] = cid, atc
    return Cryptogram(cid[0] & 0xC0, cid, atc, b"", cda_failed=True)
