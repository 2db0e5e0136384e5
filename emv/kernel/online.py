"""Online processing, issuer-to-card script processing and completion
(EMV 4.4 Book 3 sections 10.9, 10.10 and 10.11; Book 2 8.2 and 9).

The host's reply brings the authorisation response code (8A), maybe issuer authentication data (91) and
issuer scripts (71 before the final GENERATE AC, 72 after). Issuer authentication runs by EXTERNAL
AUTHENTICATE when the AIP says so; otherwise 91 travels in the CDOL2 data and the card checks it in the
second GENERATE AC. Each script's result is 5 bytes (result and failed-command sequence nibbles, then the
script identifier 9F18), reported to the host in DF31 (UnionPay).
"""

from __future__ import annotations

from dataclasses import dataclass

from emv import apdu, tlv
from emv.kernel.context import (
    TSI_ISSUER_AUTH_PERFORMED,
    TSI_SCRIPT_PERFORMED,
    TVR_ISSUER_AUTH_FAILED,
    TVR_SCRIPT_FAILED_AFTER,
    TVR_SCRIPT_FAILED_BEFORE,
    Context,
    exchange,
)

__all__ = ["HostReply", "authenticate_issuer", "run_scripts"]

APPROVING_CODES = (b"00", b"11")  # approve in full (10, partial approval, is not supported: declined)


@dataclass(frozen=True)
class HostReply:
    """What the terminal passes back from the authorisation response (field 39 and field 55)."""

    response_code: bytes  # 2 ASCII characters, becomes 8A
    issuer_auth_data: bytes | None = None  # 91
    scripts: bytes = b""  # the 71/72 templates as received in field 55

    @property
    def approved(self) -> bool:
        return self.response_code in APPROVING_CODES


def authenticate_issuer(ctx: Context, reply: HostReply) -> None:
    """EXTERNAL AUTHENTICATE with 91 when the AIP supports issuer authentication (Book 3 10.9)."""
    data = reply.issuer_auth_data
    if not data:
        return
    ctx.terminal[0x91] = data
    if not ctx.aip()[0] & 0x04:
        return  # the card verifies the ARPC itself: 91 goes in the CDOL2 data
    r = exchange(ctx, apdu.external_authenticate(data))
    ctx.set_tsi(TSI_ISSUER_AUTH_PERFORMED)
    if not r.ok:
        ctx.set_tvr(TVR_ISSUER_AUTH_FAILED)


def run_scripts(ctx: Context, reply: HostReply, tag: int) -> bytes:
    """Send the commands of every ``tag`` (71 or 72) script in order; the 5-byte results, concatenated.

    A command answered with SW1 other than 90, 62 or 63 stops its script, which is then failed (TVR byte 5
    bit 6 for 71, bit 5 for 72). A malformed script template fails without a command sent.
    """
    if not reply.scripts:
        return b""
    try:
        scripts = tlv.decode(reply.scripts).find_all(tag)
    except tlv.TlvError:
        ctx.set_tvr(TVR_SCRIPT_FAILED_BEFORE if tag == 0x71 else TVR_SCRIPT_FAILED_AFTER)
        return b""
    results = bytearray()
    for script in scripts:
        ctx.set_tsi(TSI_SCRIPT_PERFORMED)
        ident = script.find(0x9F18) or bytes(4)
        commands = [c.value for c in script.children() if c.tag == 0x86]
        status = 0x20  # performed successfully
        for seq, command in enumerate(commands, 1):
            try:
                r = exchange(ctx, command)
            except ValueError:  # a malformed command in the script
                status = 0x10 | min(seq, 0x0F)
                break
            if r.sw1 not in (0x90, 0x62, 0x63):
                status = 0x10 | min(seq, 0x0F)
                break
        if not commands:
            status = 0x10
        if status & 0x10:
            ctx.set_tvr(TVR_SCRIPT_FAILED_BEFORE if tag == 0x71 else TVR_SCRIPT_FAILED_AFTER)
        results += bytes((status,)) + ident[:4].rjust(4, b"\x00")
    return bytes(results)
