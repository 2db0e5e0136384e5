"""Read application data of a qPBOC / qVSDC tap: READ RECORD by the AFL of the GPO response
(EMV Contactless Book C-3, "Read Application Data"; JR/T 0025.12 qPBOC; record rules of EMV 4.4 Book 3 10.2
and the static data to authenticate of 10.3).

The same reading as the contact kernel's :func:`emv.kernel.gpo.read_records`, with the two differences
of a GPO-cryptogram kernel: no contact data object is mandatory (a qPBOC card needs no CDOLs and no CVM
list: the reader checks what it uses when it uses it), and the records join the data of the GPO response,
so a data object found in both, or twice in the records, terminates the tap (Book C-3 requires unique data
objects). Records of SFI 1-10 must be ``70`` templates; those the AFL marks for offline data
authentication feed the static data for fDDA (template value for SFI 1-10, whole record for 11-30),
followed by the AIP when the tag list ``9F4A`` names it.

>>> afl_entries(bytes.fromhex("0801010110010200"))
[(1, 1, 1, 1), (2, 1, 2, 0)]
"""

from __future__ import annotations

from emv import apdu, tlv
from emv.kernel.context import Context, TerminationError, exchange

__all__ = ["afl_entries", "read_records"]


def afl_entries(afl: bytes) -> list[tuple[int, int, int, int]]:
    """(SFI, first record, last record, records for ODA) per 4-byte AFL entry, checked (Book 3 10.2).

    Raises:
        TerminationError: a length that is not a non-zero multiple of 4, or an entry out of range.
    """
    if not afl or len(afl) % 4:
        raise TerminationError("AFL length is not a non-zero multiple of 4")
    out = []
    for k in range(0, len(afl), 4):
        sfi, first, last, oda = afl[k] >> 3, afl[k + 1], afl[k + 2], afl[k + 3]
        if not 1 <= sfi <= 30 or afl[k] & 0x07 or first == 0 or last < first or oda > last - first + 1:
            raise TerminationError(f"AFL entry {k // 4 + 1} is out of range")
        out.append((sfi, first, last, oda))
    return out


def read_records(ctx: Context) -> None:
    """READ RECORD for every entry of the AFL ``94`` in the card data; keeps the records' data objects.

    Raises:
        TerminationError: a record refused or malformed, an SFI 1-10 record not a ``70`` template, or a
            data object already known (from the GPO response or another record).
    """
    for sfi, first, last, oda in afl_entries(ctx.card[0x94]):
        for record in range(first, last + 1):
            r = exchange(ctx, apdu.read_record(record, sfi))
            if not r.ok:
                raise TerminationError(f"READ RECORD {record} of SFI {sfi} answered {r.sw:04X}")
            try:
                top = tlv.decode(r.data).top()
            except tlv.TlvError as exc:
                raise TerminationError(f"malformed record {record} of SFI {sfi} ({exc.reason})") from None
            is70 = len(top) == 1 and top[0].tag == 0x70
            if sfi <= 10 and not is70:
                raise TerminationError(f"record {record} of SFI {sfi} is not a 70 template")
            if record - first < oda:
                if sfi <= 10:
                    ctx.static_data += top[0].value
                elif is70:
                    ctx.static_data += r.data
                else:
                    ctx.static_data_ok = False
            if is70:
                _keep(ctx, top[0].value, sfi, record)
    tag_list = ctx.card.get(0x9F4A)
    if tag_list is not None:
        if tag_list != b"\x82":
            ctx.static_data_ok = False
        else:
            ctx.static_data += ctx.card.get(0x82, b"")


def _keep(ctx: Context, value: bytes, sfi: int, record: int) -> None:
    try:
        found = tlv.parse(value)
    except tlv.TlvError as exc:
        raise TerminationError(f"record {record} of SFI {sfi}: {exc.reason}") from None
    for tag in found:
        if tag in ctx.card:
            raise TerminationError(f"data object {tag:02X} appears twice in the card's data")
    ctx.card.update(found)
