"""``posemu iso8583 decode [--json] [--reveal] [--mac-key HEX] HEX|-``: a framed CUP POS message.

Prints the envelope (length prefix, TPDU, 6-byte header), the MTI and bitmap, and every field with its
ISO 8583:1987 name; structured fields of the CUP POS profile (DOMAIN_FACTS section A) are broken out (22, 48,
53, 60, 61, 62, 63) and field 55 is listed tag by tag with EMV names (EMV 4.4 Book 3, Annex A, via
:mod:`emv.tags`). The PAN (field 2), track data (35, 36), the PIN block (52) and sensitive EMV tags are
masked unless ``--reveal``. ``--mac-key`` checks field 64 and prints OK or FAIL (exit 1 on FAIL); a
malformed message exits 2 with the field and byte offset.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from host.protocol import Message

_MAC_ALGORITHMS = ("cup-ecb", "x9.19", "x9.9")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    dec = sub.add_parser("decode", help="decode a framed message (length prefix, TPDU, header, body)")
    dec.add_argument(
        "data", metavar="HEX|-", help="hex digits (spaces allowed), or - to read them from stdin"
    )
    dec.add_argument("--json", action="store_true", help="print JSON")
    dec.add_argument("--reveal", action="store_true", help="show PAN, track and PIN data in clear")
    dec.add_argument("--mac-key", metavar="HEX", help="MAK in clear (8, 16 or 24 bytes): check field 64")
    dec.add_argument(
        "--mac-alg", choices=_MAC_ALGORITHMS, default="cup-ecb", help="MAC algorithm (default cup-ecb)"
    )


def _read_hex(text: str, what: str) -> bytes:
    """Bytes of hex text (whitespace ignored); an error names the first bad position, counted in bytes."""
    from host.errors import Iso8583Error

    digits = "".join(text.split())
    for pos, ch in enumerate(digits):
        if ch not in "0123456789abcdefABCDEF":
            raise Iso8583Error(f"{what}: not a hex digit", offset=pos // 2)
    if len(digits) % 2:
        raise Iso8583Error(f"{what}: odd number of hex digits", offset=len(digits) // 2)
    return bytes.fromhex(digits)


def _show_bytes(value: bytes) -> str:
    """Printable ASCII as text, anything else as upper-case hex."""
    if value and all(0x20 <= b < 0x7F for b in value):
        return value.decode("ascii")
    return value.hex().upper()


def _show_value(number: int, value: str | bytes, reveal: bool) -> str:
    from emv.redact import mask_pan, mask_track2

    if not reveal and number == 2 and isinstance(value, str):
        return mask_pan(value)
    if not reveal and number in (35, 36) and isinstance(value, str):
        return mask_track2(value)
    if isinstance(value, str):
        return value
    if number == 52 and not reveal:
        return f"<{len(value)} bytes hidden>"
    if number == 55:
        return f"{len(value)} bytes" if not reveal else value.hex().upper()
    return _show_bytes(value)


def _icc_detail(value: bytes, reveal: bool) -> list[dict[str, str]] | str:
    from emv import tags
    from host.errors import Iso8583Error
    from host.fields import decode_icc_data

    try:
        nodes = decode_icc_data(value).top()
    except Iso8583Error as exc:  # its message holds a position, never bytes
        return f"not BER-TLV: {exc}"
    return [
        {
            "tag": f"{node.tag:02X}",
            "name": tags.name_of(node.tag),
            "value": tags.format_value(node.tag, node.value, reveal=reveal),
        }
        for node in nodes
    ]


def _field_detail(msg: Message, number: int, reveal: bool) -> dict[str, Any] | list[Any] | str | None:
    """The structured view of one field, or None when the field has none."""
    from host import fields, keyblock, settlement, transactions
    from host.errors import Iso8583Error

    value = msg.fields[number]
    try:
        if number == 4 and isinstance(value, str):
            return {"fen": fields.parse_amount(value), "yuan": f"{int(value) // 100}.{int(value) % 100:02d}"}
        if number == 22 and isinstance(value, str):
            mode = fields.PosEntryMode.from_field(value)
            return {"method": mode.method.name.lower(), "pin": mode.pin.name.lower()}
        if number == 39 and isinstance(value, str):
            return transactions.RESPONSE_CODES.get(value, "unknown response code")
        if number == 48 and isinstance(value, str) and msg.mti in ("0500", "0510"):
            totals = settlement.SettlementTotals.from_field(value)
            return {
                "domestic": vars(totals.domestic) | {"result": totals.domestic_result.name.lower()},
                "foreign": vars(totals.foreign) | {"result": totals.foreign_result.name.lower()},
            }
        if number == 48 and isinstance(value, str) and msg.mti == "0320" and len(value) == 4:
            return {"batch_count": settlement.parse_batch_count(value)}
        if number == 53 and isinstance(value, str):
            sc = fields.SecurityControl.from_field(value)
            return {
                "pin_format": sc.pin_format.name.lower(),
                "algorithm": sc.algorithm.name.lower(),
                "track_encrypted": sc.track_encrypted,
            }
        if number == 55 and isinstance(value, bytes):
            return _icc_detail(value, reveal)
        if number == 60 and isinstance(value, str):
            f60 = fields.Field60.from_field(value)
            out: dict[str, Any] = {
                "60.1": f"{f60.type_code} {fields.MESSAGE_TYPE_CODES.get(f60.type_code, 'unknown')}",
                "60.2": f"{f60.batch:06d}",
            }
            if f60.network_code is not None:
                out["60.3"] = f"{f60.network_code} {fields.NETWORK_CODES.get(f60.network_code, 'unknown')}"
            singles: tuple[tuple[str, int | None, Mapping[int, str]], ...] = (
                ("60.4", f60.reader_capability, fields.READER_CAPABILITIES),
                ("60.5", f60.ic_condition, fields.IC_CONDITIONS),
                ("60.6", f60.partial_approval, {}),
            )
            for key, digit, meanings in singles:
                if digit is not None:
                    out[key] = f"{digit} {meanings.get(digit, '')}".rstrip()
            if f60.rest:
                out["60.7"] = f60.rest
            return out
        if number == 61 and isinstance(value, str):
            orig = fields.OriginalTransaction.from_field(value)
            return {"batch": f"{orig.batch:06d}", "trace": f"{orig.trace:06d}", "date": orig.date}
        if number == 62 and isinstance(value, bytes) and msg.mti == "0810":
            block = keyblock.KeyBlock.from_field(value)
            keys = {"pik": block.pik, "mak": block.mak, "tdk": block.tdk}
            return {
                name: {"ciphertext": k.ciphertext.hex().upper(), "check_value": k.check_value.hex().upper()}
                for name, k in keys.items()
                if k is not None
            }
        if number == 63 and isinstance(value, bytes):
            f63 = fields.Field63.from_field(value)
            org = fields.CARD_ORGANISATIONS.get(f63.code)
            return {"code": f63.code + (f" ({org})" if org else ""), "rest": _show_bytes(f63.rest)}
        if number == 64 and isinstance(value, bytes):
            return {"hex": value.hex().upper()}
    except Iso8583Error as exc:
        return f"does not parse: {exc.reason}"
    return None


def describe(
    data: bytes, reveal: bool, mac_key: bytes | None = None, mac_alg: str = "cup-ecb"
) -> dict[str, Any]:
    """The decoded frame as JSON-ready data (the text output renders the same data).

    Raises:
        Iso8583Error: the frame is malformed (its message gives the field and byte offset).
    """
    from host.framing import unframe
    from host.profile import FIELDS

    msg = unframe(data)
    bitmap = sum(1 << (64 - n) for n in msg.fields)
    out: dict[str, Any] = {
        "length": len(data) - 2,
        "tpdu": {
            "hex": msg.tpdu.to_bytes().hex().upper(),
            "destination": f"{msg.tpdu.destination:04X}",
            "source": f"{msg.tpdu.source:04X}",
        },
        "header": {
            "hex": msg.header.to_bytes().hex().upper(),
            "app_type": msg.header.app_type,
            "version": msg.header.version,
            "terminal_status": msg.header.terminal_status,
            "processing": msg.header.processing,
            "processing_meaning": (
                req.name.lower() if (req := msg.header.requirement) is not None else "unknown"
            ),
            "sub_version": msg.header.sub_version,
        },
        "mti": msg.mti,
        "bitmap": f"{bitmap:016X}",
        "fields": [],
    }
    for number, value in msg.fields.items():
        entry: dict[str, Any] = {
            "field": number,
            "name": FIELDS[number].name,
            "value": _show_value(number, value, reveal),
        }
        detail = _field_detail(msg, number, reveal)
        if detail is not None:
            entry["detail"] = detail
        out["fields"].append(entry)
    if mac_key is not None:
        out["mac"] = _check_mac(msg, mac_key, mac_alg)
    return out


def _check_mac(msg: Message, mac_key: bytes, mac_alg: str) -> dict[str, Any]:
    from emv.crypto.errors import KeyLengthError
    from host.errors import MacError
    from host.mac import MacAlgorithm, MacProfile, verify_mac

    profile = MacProfile(MacAlgorithm(mac_alg))
    try:
        verify_mac(msg, mac_key, profile)
    except (MacError, KeyLengthError) as exc:
        return {"algorithm": mac_alg, "ok": False, "reason": str(exc)}
    return {"algorithm": mac_alg, "ok": True}


def render_text(desc: dict[str, Any]) -> list[str]:
    """Lines of the text output."""
    tpdu, head = desc["tpdu"], desc["header"]
    lines = [
        f"length   {desc['length']} (0x{desc['length']:04X})",
        f"tpdu     {tpdu['hex']}  destination {tpdu['destination']}, source {tpdu['source']}",
        f"header   {head['hex']}  app type {head['app_type']}, version {head['version']}, "
        f"status {head['terminal_status']}, processing {head['processing']} ({head['processing_meaning']}), "
        f"sub-version {head['sub_version']}",
        f"mti      {desc['mti']}",
        f"bitmap   {desc['bitmap']}  fields {' '.join(str(f['field']) for f in desc['fields'])}",
    ]
    for entry in desc["fields"]:
        lines.append(f"{entry['field']:>3}  {entry['name']:<44} {entry['value']}")
        detail = entry.get("detail")
        if isinstance(detail, list):
            lines += [f"{'':7}{d['tag']:<6} {d['name']:<40} {d['value']}" for d in detail]
        elif isinstance(detail, dict):
            lines += [f"{'':7}{key:<16} {_flat(item)}" for key, item in detail.items()]
        elif detail is not None:
            lines.append(f"{'':7}{detail}")
    if "mac" in desc:
        mac = desc["mac"]
        verdict = "OK" if mac["ok"] else f"FAIL ({mac['reason']})"
        lines.append(f"mac      {verdict}  [{mac['algorithm']}]")
    return lines


def _flat(item: object) -> str:
    if isinstance(item, dict):
        return ", ".join(f"{k} {v}" for k, v in item.items())
    return "-" if item is None else str(item)


def run(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.data == "-" else args.data
    data = _read_hex(text, "message")
    mac_key = _read_hex(args.mac_key, "--mac-key") if args.mac_key is not None else None
    desc = describe(data, args.reveal, mac_key, args.mac_alg)
    if args.json:
        print(json.dumps(desc, ensure_ascii=False, indent=2))
    else:
        print("\n".join(render_text(desc)))
    return 1 if "mac" in desc and not desc["mac"]["ok"] else 0
