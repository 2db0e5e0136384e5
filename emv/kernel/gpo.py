"""Initiate application processing and read application data (EMV 4.4 Book 3, 10.1 and 10.2).

:func:`initiate` builds the PDOL data (Book 3 5.4) from the terminal's data, sends GET PROCESSING OPTIONS
and reads the AIP and AFL from response format 1 (template 80) or 2 (template 77). 6985 means "conditions
of use not satisfied": the application is removed and selection goes on (:class:`GpoRefusedError`).
:func:`read_records` reads every record the AFL names, keeps the card's data objects (a repeated one
terminates: Book 3 10.2), and builds the static data to authenticate for ODA (records of SFI 1-10 without
their 70 tag and length, of SFI 11-30 whole, then the values of the tags in the 9F4A list).
"""

from __future__ import annotations

from emv import apdu, tlv
from emv.dol import build_dol, parse_dol
from emv.errors import EmvError
from emv.kernel.context import Context, TerminationError, exchange

__all__ = [
    "CONTACT_MANDATORY",
    "CONTACT_REPEATABLE",
    "GpoRefusedError",
    "afl_entries",
    "initiate",
    "read_records",
]


class GpoRefusedError(EmvError):
    """GPO answered 6985: remove the application from the candidate list and select another."""


def initiate(ctx: Context, fci: tlv.Tlv) -> None:
    """GET PROCESSING OPTIONS with the PDOL data; stores AIP (82) and AFL (94) in the card data.

    Raises:
        GpoRefusedError: 6985.
        TerminationError: another status word, a malformed response, or a missing AIP/AFL.
    """
    pdol = fci.find(0x9F38)
    try:
        dol = parse_dol(pdol) if pdol else []
    except tlv.TlvError as exc:
        raise TerminationError(f"malformed PDOL ({exc.reason})") from None
    ctx.pdol_data = build_dol(dol, ctx.snapshot()) if dol else b""
    r = exchange(ctx, apdu.gpo(ctx.pdol_data))
    if r.sw == 0x6985:
        raise GpoRefusedError("GET PROCESSING OPTIONS: conditions of use not satisfied")
    if not r.ok:
        raise TerminationError(f"GET PROCESSING OPTIONS answered {r.sw:04X}")
    try:
        resp = tlv.decode(r.data)
    except tlv.TlvError as exc:
        raise TerminationError(f"malformed GPO response ({exc.reason} at offset {exc.offset})") from None
    top = resp.top()
    if len(top) != 1:
        raise TerminationError("GPO response is not one template")
    if top[0].tag == 0x80:
        body = top[0].value
        if len(body) < 2 or (len(body) - 2) % 4:
            raise TerminationError("GPO format 1 has a bad length")
        ctx.card[0x82], ctx.card[0x94] = body[:2], body[2:]
    elif top[0].tag == 0x77:
        try:
            found = tlv.parse(top[0].value)
        except tlv.TlvError as exc:
            raise TerminationError(f"GPO format 2: {exc.reason}") from None
        if 0x82 not in found or 0x94 not in found:
            raise TerminationError("GPO format 2 lacks AIP or AFL")
        if len(found[0x82]) != 2:
            raise TerminationError("GPO format 2: the AIP is not 2 bytes")
        ctx.card.update(found)
    else:
        raise TerminationError("GPO response is neither template 80 nor 77")


def afl_entries(afl: bytes) -> list[tuple[int, int, int, int]]:
    """(SFI, first record, last record, records for ODA) per 4-byte AFL entry, checked (Book 3 10.2).

    >>> afl_entries(bytes.fromhex("0801010110010200"))
    [(1, 1, 1, 1), (2, 1, 2, 0)]

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


CONTACT_MANDATORY = (0x5A, 0x5F24, 0x8C, 0x8D)  # Book 3 10.2: PAN, expiry, CDOL1, CDOL2
CONTACT_REPEATABLE = frozenset((0x82, 0x94))  # AIP and AFL: a record may repeat the GPO response's


def read_records(
    ctx: Context,
    mandatory: tuple[int, ...] = CONTACT_MANDATORY,
    repeatable: frozenset[int] = CONTACT_REPEATABLE,
) -> None:
    """READ RECORD for every AFL entry; card data objects and the static data to authenticate.

    The contact kernel (and C-2) use the defaults. A GPO-cryptogram kernel (qPBOC / qVSDC, Book C-3 "Read
    Application Data") passes no mandatory object (the reader checks what it uses when it uses it) and no
    repeatable one: its records join the data of the GPO response, and Book C-3 requires every data object
    to be unique.

    Raises:
        TerminationError: a record missing or refused, malformed, not template 70 in SFI 1-10, a data object
            found twice (outside ``repeatable``), or one of ``mandatory`` absent.
    """
    for sfi, first, last, oda in afl_entries(ctx.card[0x94]):
        for record in range(first, last + 1):
            r = exchange(ctx, apdu.read_record(record, sfi))
            if not r.ok:
                raise TerminationError(f"READ RECORD {record} of SFI {sfi} answered {r.sw:04X}")
            try:
                rec = tlv.decode(r.data)
            except tlv.TlvError as exc:
                raise TerminationError(f"malformed record {record} of SFI {sfi} ({exc.reason})") from None
            top = rec.top()
            is70 = len(top) == 1 and top[0].tag == 0x70
            if sfi <= 10 and not is70:
                raise TerminationError(f"record {record} of SFI {sfi} is not a 70 template")
            if record - first < oda:
                if sfi <= 10:
                    ctx.static_data += top[0].value
                elif is70:
                    ctx.static_data += r.data
                else:
                    ctx.static_data_ok = False  # Book 3 10.3: an SFI 11-30 ODA record must be 70
            if is70:
                _keep(ctx, top[0], sfi, record, repeatable)
    for tag in mandatory:
        if tag not in ctx.card:
            raise TerminationError(f"mandatory data object {tag:02X} missing")
    tag_list = ctx.card.get(0x9F4A)
    if tag_list is not None:
        if tag_list != b"\x82":  # only the AIP may be listed (Book 3 10.3)
            ctx.static_data_ok = False
        else:
            ctx.static_data += ctx.card.get(0x82, b"")


def _keep(ctx: Context, template: tlv.TlvNode, sfi: int, record: int, repeatable: frozenset[int]) -> None:
    try:
        found = tlv.parse(template.value)
    except tlv.TlvError as exc:
        raise TerminationError(f"record {record} of SFI {sfi}: {exc.reason}") from None
    for tag, value in found.items():
        if tag in ctx.card and tag not in repeatable:
            raise TerminationError(f"data object {tag:02X} appears twice in the card's data")
        ctx.card[tag] = value
