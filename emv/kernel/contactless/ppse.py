"""Combination selection: SELECT PPSE and the candidate list of AID-kernel combinations
(EMV Contactless Book B, 3.3.2 and 3.3.3).

The card's PPSE FCI is ``6F { 84 '2PAY.SYS.DDF01', A5 { BF0C { 61 ..., 61 ... } } }``; each directory entry
``61`` holds an ADF name ``4F``, maybe a label ``50``, an application priority indicator ``87`` and a kernel
identifier ``9F2A``. For each entry, in directory order, the Entry Point takes the requested kernel:

- ``9F2A`` absent, empty, or naming kernel 0: the default kernel of the ADF name's RID (Visa A000000003: 3,
  Mastercard A000000004: 2, UnionPay A000000333: 7, American Express A000000025: 4, JCB A000000065: 5,
  Discover A000000152: 6);
- byte 1 b8-b7 ``00`` or ``01`` (international): the short kernel identifier, byte 1 b6-b1;
- ``10`` or ``11`` (domestic kernel): not supported by this reader, the entry is skipped.

An entry whose ADF name matches a reader combination's AID (equal, or starting with it) for that kernel
is a candidate, unless pre-processing marked the combination "contactless application not allowed". The
candidates are ordered by priority (``87`` b4-b1, 1 highest; 0 or absent after every prioritised one),
then by their order in the directory (Book B 3.3.3.3). Extended selection (``9F29``) is not supported.

>>> requested_kernel(bytes.fromhex("A0000000041010"), None), requested_kernel(bytes.fromhex("A0000000031010"),
...     bytes.fromhex("03")), requested_kernel(bytes.fromhex("A000000333010101"), bytes.fromhex("810203"))
(2, 3, None)
"""

from __future__ import annotations

from dataclasses import dataclass

from emv import apdu, tlv
from emv.kernel.contactless.limits import Indicators
from emv.kernel.context import Context, TerminationError, exchange

__all__ = ["DEFAULT_KERNELS", "PPSE", "Candidate", "Directory", "read_directory", "requested_kernel"]

PPSE = b"2PAY.SYS.DDF01"
DEFAULT_KERNELS = {
    bytes.fromhex("A000000003"): 3,
    bytes.fromhex("A000000004"): 2,
    bytes.fromhex("A000000333"): 7,
    bytes.fromhex("A000000025"): 4,
    bytes.fromhex("A000000065"): 5,
    bytes.fromhex("A000000152"): 6,
}


@dataclass(frozen=True)
class Candidate:
    """A directory entry matched to a reader combination."""

    aid: bytes
    label: str
    priority: int  # 1 highest .. 15 lowest, 0 none
    order: int  # position in the directory
    kernel_id: int
    pre: Indicators

    @property
    def rank(self) -> tuple[int, int]:
        return (self.priority or 16, self.order)


@dataclass(frozen=True)
class Directory:
    """The candidates, best first, and how many entries matched a combination that is not allowed."""

    candidates: list[Candidate]
    not_allowed: int


def requested_kernel(adf_name: bytes, kernel_identifier: bytes | None) -> int | None:
    """The kernel a directory entry asks for (Book B 3.3.2.5), or None when this reader has no such kernel."""
    if kernel_identifier:
        kind = kernel_identifier[0] >> 6
        if kind >= 2:
            return None  # a domestic kernel
        short = kernel_identifier[0] & 0x3F
        if short:
            return short
    return DEFAULT_KERNELS.get(adf_name[:5])


def read_directory(ctx: Context, indicators: list[Indicators]) -> Directory:
    """SELECT PPSE and match its entries to the pre-processed combinations (Book B 3.3.2).

    Raises:
        TerminationError: the card has no PPSE, or its FCI is malformed (End Application).
    """
    r = exchange(ctx, apdu.select(PPSE))
    if not r.ok:
        raise TerminationError(f"SELECT PPSE answered {r.sw:04X}: no contactless payment application")
    try:
        fci = tlv.decode(r.data)
    except tlv.TlvError as exc:
        raise TerminationError(f"malformed PPSE FCI ({exc.reason} at offset {exc.offset})") from None
    top = fci.top()
    if len(top) != 1 or top[0].tag != 0x6F or fci.find(0x84) is None:
        raise TerminationError("PPSE FCI lacks 6F or 84")
    out: list[Candidate] = []
    refused = 0
    for order, entry in enumerate(fci.find_all(0x61)):
        aid = entry.find(0x4F)
        if aid is None or not 5 <= len(aid) <= 16:
            continue
        kernel = requested_kernel(aid, entry.find(0x9F2A))
        matching = [p for p in indicators if p.combination.kernel_id == kernel and p.combination.matches(aid)]
        if kernel is None or not matching:
            continue
        pre = max(matching, key=lambda p: len(p.combination.aid))  # the most specific reader AID
        if pre.not_allowed:
            refused += 1
            continue
        raw = entry.find(0x87)
        label = (entry.find(0x50) or b"").decode("ascii", "replace")
        out.append(Candidate(aid, label, raw[0] & 0x0F if raw else 0, order, kernel, pre))
    out.sort(key=lambda c: c.rank)
    return Directory(out, refused)
