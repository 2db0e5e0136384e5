"""``posemu qr decode|encode``: EMVCo merchant-presented QR codes (EMV QRCPS MPM v1.1, via :mod:`emv.qr`).

``posemu qr decode [--json] STRING|-`` checks the CRC and every rule :mod:`emv.qr` enforces, then prints the
data objects ID by ID with their names (templates indented; ``--json`` adds the typed fields); a bad
payload exits 2 with the reason, the 0-based character position and the ID.

``posemu qr encode --merchant NAME --city CITY --mcc MCC [--amount FEN] [--static] [--account ID ...]
[--png FILE]`` prints the payload (IDs ascending, CRC last) and, with ``--png``, writes the QR symbol
(:func:`emv.qr.render_png`: ``segno``, imported only then; without it, exit 1 naming the package).
``--account`` takes an ID and a value for a primitive account (``02``-``25``, e.g. ``--account 15
VALUE``) or an ID and ``SUB=VALUE`` pairs for a template (``26``-``51``, e.g. ``--account 29
00=D15600000000 05=A93FO3230Q``; ``00`` is the globally unique identifier). Without ``--account`` the code
carries a demo UnionPay template of the shape of DOMAIN_FACTS.md test vector 14; a real terminal takes its
accounts from its configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emv.qr import MerchantAccount, Mpm

DEMO_ACCOUNT = ("29", ["00=D15600000000", "05=A93FO3230Q"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    dec = sub.add_parser(
        "decode", help="decode and check a payload", description="decode and check a payload"
    )
    dec.add_argument("payload", metavar="STRING|-", help="the payload, or - to read it from stdin")
    dec.add_argument("--json", action="store_true", help="print JSON")
    enc = sub.add_parser("encode", help="encode a payload", description="encode a payload (IDs ascending)")
    enc.add_argument("--merchant", required=True, metavar="NAME", help="merchant name (ID 59, ASCII, 1-25)")
    enc.add_argument("--city", required=True, help="merchant city (ID 60, ASCII, 1-15)")
    enc.add_argument("--mcc", required=True, help="merchant category code (ID 52), e.g. 5812")
    enc.add_argument("--amount", type=int, metavar="FEN", help="amount in minor units (ID 54): 2372 is 23.72")
    enc.add_argument("--static", action="store_true", help="a static code (01 = 11) instead of dynamic (12)")
    enc.add_argument(
        "--account",
        action="append",
        nargs="+",
        metavar="ID VALUE|SUB=VALUE",
        help="merchant account: 02-25 with one value, or 26-51 with SUB=VALUE pairs (00 = GUI); repeatable",
    )
    enc.add_argument("--currency", type=int, default=156, metavar="N", help="ISO 4217 numeric (ID 53)")
    enc.add_argument("--country", default="CN", help="ISO 3166-1 alpha-2 (ID 58)")
    enc.add_argument("--postcode", help="postal code (ID 61)")
    enc.add_argument("--bill", help="bill number (62.01; *** asks the payer)")
    enc.add_argument("--store", help="store label (62.03)")
    enc.add_argument("--reference", help="reference label (62.05)")
    enc.add_argument("--terminal-label", help="terminal label (62.07)")
    enc.add_argument("--language", default="ZH", help="alternate language (64.00, ISO 639), with --alt-name")
    enc.add_argument("--alt-name", help="merchant name in the alternate language (64.01, any script)")
    enc.add_argument("--alt-city", help="merchant city in the alternate language (64.02)")
    enc.add_argument("--png", metavar="FILE", help="also write the QR symbol as a PNG image")


def read_payload(arg: str) -> str:
    """The payload argument, or stdin for ``-`` (UTF-8, one trailing line break dropped).

    Raises:
        QrError: stdin is not UTF-8 (position = the first bad byte).
    """
    if arg != "-":
        return arg
    from emv.qr import QrError

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        text: str = sys.stdin.read()
    else:
        data: bytes = stream.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QrError("input is not UTF-8 (byte position)", exc.start) from None
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def _objects(oid: str, value: str) -> list[dict[str, Any]] | None:
    from emv import qr

    if not qr.is_template(oid):
        return None
    return [{"id": k, "name": qr.object_name(k, oid), "value": v} for k, v in qr.split_objects(value)]


def _note(mpm: Mpm, oid: str) -> str:
    from emv.qr import currency_exponent

    if oid == "01":
        return " (dynamic)" if mpm.is_dynamic else " (static)"
    if oid == "54" and mpm.amount_minor is not None:
        return f" ({mpm.amount_minor} minor units, exponent {currency_exponent(mpm.currency_n)})"
    if oid == "63":
        return " (checked)"
    return ""


def render_text(mpm: Mpm) -> list[str]:
    """One line per data object in payload order (ID, name, value), sub-objects indented.

    >>> from emv.qr import decode_mpm
    >>> render_text(decode_mpm("000201010211150456785204581253031565802CN5901A6001B63048538"))[1]
    '01  Point of Initiation Method                    11 (static)'
    """
    from emv.qr import object_name

    lines = []
    for oid, value in (*mpm.elements, ("63", f"{mpm.crc:04X}")):
        children = _objects(oid, value)
        if children is None:
            lines.append(f"{oid}  {object_name(oid):<46}{value}{_note(mpm, oid)}")
            continue
        lines.append(f"{oid}  {object_name(oid)}")
        lines += [f"    {c['id']}  {c['name']:<42}{c['value']}" for c in children]
    return lines


def render_json(mpm: Mpm) -> dict[str, Any]:
    """The objects (with names, templates as nested lists) and the typed fields."""
    from emv.qr import object_name

    objects = []
    for oid, value in (*mpm.elements, ("63", f"{mpm.crc:04X}")):
        entry: dict[str, Any] = {"id": oid, "name": object_name(oid), "value": value}
        children = _objects(oid, value)
        if children is not None:
            entry["objects"] = children
        objects.append(entry)
    fields = {
        "initiation": mpm.initiation,
        "dynamic": mpm.is_dynamic,
        "accounts": [{"id": a.id, "gui": a.gui, "value": a.value} for a in mpm.accounts],
        "mcc": mpm.mcc,
        "currency_n": mpm.currency_n,
        "amount_minor": mpm.amount_minor,
        "tip_indicator": mpm.tip_indicator,
        "fee_fixed_minor": mpm.fee_fixed_minor,
        "fee_percentage_bp": mpm.fee_percentage_bp,
        "country": mpm.country,
        "merchant_name": mpm.merchant_name,
        "merchant_city": mpm.merchant_city,
        "postal_code": mpm.postal_code,
        "crc": f"{mpm.crc:04X}",
    }
    return {"objects": objects, "fields": fields}


def parse_account(spec: list[str]) -> MerchantAccount:
    """A ``--account`` argument: ``ID VALUE`` (02-25) or ``ID SUB=VALUE...`` (26-51, with ``00``).

    Raises:
        QrError: an ID outside 02-51, a missing GUI, or a malformed ``SUB=VALUE``.

    >>> parse_account(["29", "00=D15600000000", "05=A93FO3230Q"]).value
    '0012D156000000000510A93FO3230Q'
    >>> parse_account(["15", "UPI-1"])
    MerchantAccount(id='15', value='UPI-1', fields=())
    """
    from emv.qr import MerchantAccount, QrError, is_template

    oid, rest = spec[0], spec[1:]
    if not (len(oid) == 2 and oid.isdigit() and "02" <= oid <= "51"):
        raise QrError("merchant account ID outside 02-51", None, oid)
    if not is_template(oid):
        if len(rest) != 1:
            raise QrError("a primitive account (02-25) takes exactly one value", None, oid)
        return MerchantAccount(oid, rest[0])
    pairs = []
    for item in rest:
        sub, eq, value = item.partition("=")
        if not eq or len(sub) != 2 or not sub.isdigit():
            raise QrError("template account values are SUB=VALUE with a two-digit SUB", None, oid)
        pairs.append((sub, value))
    gui = dict(pairs).get("00")
    if gui is None:
        raise QrError("template account without its globally unique identifier 00=...", None, oid)
    return MerchantAccount.template(oid, gui, *[p for p in pairs if p[0] != "00"])


def _encode(args: argparse.Namespace) -> str:
    from emv.qr import AdditionalData, LanguageTemplate, build_mpm

    accounts = [parse_account(spec) for spec in (args.account or [[DEMO_ACCOUNT[0], *DEMO_ACCOUNT[1]]])]
    additional = None
    if any(v is not None for v in (args.bill, args.store, args.reference, args.terminal_label)):
        additional = AdditionalData(
            bill_number=args.bill,
            store_label=args.store,
            reference_label=args.reference,
            terminal_label=args.terminal_label,
        )
    language = None
    if args.alt_name is not None:
        language = LanguageTemplate(args.language, args.alt_name, args.alt_city)
    return build_mpm(
        merchant_name=args.merchant,
        merchant_city=args.city,
        mcc=args.mcc,
        accounts=accounts,
        currency_n=args.currency,
        amount_minor=args.amount,
        dynamic=not args.static,
        country=args.country,
        postal_code=args.postcode,
        additional=additional,
        language=language,
    )


def run(args: argparse.Namespace) -> int:
    from emv.qr import decode_mpm

    if args.action == "encode":
        payload = _encode(args)
        if args.png:
            from emv.qr import render_png

            Path(args.png).write_bytes(render_png(payload))
        print(payload)
        return 0
    mpm = decode_mpm(read_payload(args.payload))
    if args.json:
        print(json.dumps(render_json(mpm), ensure_ascii=False, indent=2))
    else:
        print("\n".join(render_text(mpm)))
    return 0
