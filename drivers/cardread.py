"""Read a card's public data through any reader: the applications it offers, and the selected one's
masked PAN and expiry (EMV 4.4 Book 1 section 12 selection; Book 3 sections 6.5.8 and 10.2 for GPO and
READ RECORD). This is ``posemu card read``'s engine, not the payment kernel: it builds a PDOL with
neutral terminal data, authenticates nothing and keeps no sensitive value (the PAN leaves it masked).

Selection order: the PSE (``1PAY.SYS.DDF01``, contact) and its directory records, else the PPSE
(``2PAY.SYS.DDF01``, contactless), else a SELECT of each well-known AID (UnionPay, Visa, Mastercard,
JCB, Amex). The highest priority application is selected and read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from emv import apdu, tlv
from emv.dol import build_dol, parse_dol
from emv.redact import mask_pan

__all__ = ["KNOWN_AIDS", "Application", "CardData", "read_card"]

log = logging.getLogger(__name__)

KNOWN_AIDS = (
    "A000000333010101", "A000000333010102", "A000000333010103", "A000000333010106",
    "A0000000031010", "A0000000032010", "A0000000041010", "A0000000043060", "A0000000651010",
    "A00000002501",
)  # fmt: skip
PSE, PPSE = b"1PAY.SYS.DDF01", b"2PAY.SYS.DDF01"
MAX_RECORDS = 32

# neutral terminal data for a PDOL: CNY, China, an amount of 0, a fixed date and unpredictable number
_TERMINAL = {
    0x9F02: bytes(6), 0x9F03: bytes(6), 0x5F2A: b"\x01\x56", 0x9F1A: b"\x01\x56", 0x9C: b"\x00",
    0x9A: b"\x25\x01\x01", 0x9F37: b"\x12\x34\x56\x78", 0x9F66: b"\x26\x00\x00\x80", 0x95: bytes(5),
    0x9F35: b"\x22", 0x9F33: b"\xe0\xf8\xc8", 0x9F40: b"\x60\x00\xf0\xa0\x01",
}  # fmt: skip


@dataclass(frozen=True)
class Application:
    aid: str
    label: str
    priority: int


@dataclass
class CardData:
    """What ``posemu card read`` shows. ``pan`` is masked; ``trace`` holds headers and status words."""

    atr: str
    applications: list[Application] = field(default_factory=list)
    selected: str = ""
    pan: str = ""
    expiry: str = ""  # YYYY-MM
    name_present: bool = False
    records: int = 0
    trace: list[str] = field(default_factory=list)


def _label(node: tlv.TlvNode | tlv.Tlv) -> str:
    raw = node.find(0x50) or b""
    return raw.decode("ascii", "replace")


def read_card(transmit: Callable[[bytes], bytes], atr: bytes) -> CardData:
    """Select and read the card behind ``transmit`` (a reader's, after power on / activation).

    Raises:
        DeviceError: whatever the reader raises (card removed ...). ApduError: a response without SW.
    """
    out = CardData(atr=atr.hex().upper())

    def send(command: bytes) -> apdu.Response:
        out.trace.append(apdu.Command.parse(command).describe())
        r = apdu.Response.parse(transmit(command))
        out.trace[-1] += f" -> {r.sw:04X}"
        return r

    out.applications = _from_directory(send, PSE) or _from_directory(send, PPSE) or _from_aids(send)
    if not out.applications:
        return out
    chosen = sorted(out.applications, key=lambda a: a.priority or 16)[0]
    r = send(apdu.select(bytes.fromhex(chosen.aid)))
    if not r.ok:
        return out
    out.selected = chosen.aid
    try:
        fci = tlv.decode(r.data)
        pdol = parse_dol(fci.find(0x9F38) or b"")
    except (tlv.TlvError, ValueError):
        return out
    g = send(apdu.gpo(build_dol(pdol, _TERMINAL)))
    if not g.ok:
        return out
    found: dict[int, bytes] = {}
    try:
        gpo = tlv.decode(g.data)
    except tlv.TlvError:
        return out
    top = gpo.top()
    if top and top[0].tag == 0x80:
        afl = top[0].value[2:]
    else:
        afl = gpo.find(0x94) or b""
        _collect(gpo, found)
    for i in range(0, len(afl) - 3, 4):
        sfi, first, last = afl[i] >> 3, afl[i + 1], afl[i + 2]
        for record in range(first, min(last, first + MAX_RECORDS) + 1):
            rr = send(apdu.read_record(record, sfi))
            if not rr.ok:
                continue
            out.records += 1
            try:
                _collect(tlv.decode(rr.data), found)
            except tlv.TlvError:
                continue
    pan = found.get(0x5A, b"").hex().upper().rstrip("F")
    if not pan and 0x57 in found:
        pan = found[0x57].hex().upper().partition("D")[0]
    out.pan = mask_pan(pan) if pan else ""
    expiry = found.get(0x5F24, b"")
    if len(expiry) == 3:
        out.expiry = f"20{expiry[0]:02X}-{expiry[1]:02X}"
    out.name_present = 0x5F20 in found
    return out


def _collect(index: tlv.Tlv, found: dict[int, bytes]) -> None:
    for tag in (0x5A, 0x57, 0x5F24, 0x5F20):
        value = index.find(tag)
        if value is not None:
            found.setdefault(tag, value)


def _from_directory(send: Callable[[bytes], apdu.Response], name: bytes) -> list[Application]:
    r = send(apdu.select(name))
    if not r.ok:
        return []
    try:
        fci = tlv.decode(r.data)
    except tlv.TlvError:
        return []
    entries = list(fci.find_all(0x61))  # PPSE: the directory is in the FCI
    sfi = fci.find(0x88)
    if not entries and sfi and 1 <= sfi[0] <= 30:
        for record in range(1, MAX_RECORDS + 1):
            rr = send(apdu.read_record(record, sfi[0]))
            if not rr.ok:
                break
            try:
                entries += tlv.decode(rr.data).find_all(0x61)
            except tlv.TlvError:
                break
    apps = []
    for entry in entries:
        aid = entry.find(0x4F)
        if aid:
            prio = entry.find(0x87) or b"\x00"
            apps.append(Application(aid.hex().upper(), _label(entry), prio[0] & 0x0F))
    return apps


def _from_aids(send: Callable[[bytes], apdu.Response]) -> list[Application]:
    apps = []
    for aid in KNOWN_AIDS:
        r = send(apdu.select(bytes.fromhex(aid)))
        if not r.ok:
            continue
        try:
            fci = tlv.decode(r.data)
        except tlv.TlvError:
            continue
        df_name = (fci.find(0x84) or bytes.fromhex(aid)).hex().upper()
        prio = fci.find(0x87) or b"\x00"
        apps.append(Application(df_name, _label(fci), prio[0] & 0x0F))
    return apps
