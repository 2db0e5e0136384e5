"""``posemu card read --reader URL [--json] [--timeout S]``: read a card's public data through any reader,
real or virtual: the applications (AID, label, priority), the selected one's masked PAN and expiry, and
the exchange trace (command headers and status words only). Uses :mod:`drivers.cardread`.

Works through the real PC/SC stack: ``posemu card read --reader pcsc://`` while a vpcd bridge serves a
virtual card. A device error (no card in time, card removed, no reader) exits 1 with its message.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    read = sub.add_parser("read", help="read a card's public data (PAN masked)")
    read.add_argument(
        "--reader", required=True, metavar="URL", help="pcsc://, nfc://..., virtual://reader?card="
    )
    read.add_argument("--json", action="store_true", help="print JSON")
    read.add_argument("--timeout", type=float, default=10.0, metavar="S", help="wait for a card (default 10)")


def run(args: argparse.Namespace) -> int:
    from drivers import open_device
    from drivers.base import CardReader, ContactlessReader
    from drivers.cardread import read_card
    from drivers.errors import BadDeviceUrl

    reader = open_device(args.reader)
    inner = getattr(reader, "inner", reader)  # a TracedReader (?trace=1) wraps the driver
    try:
        if isinstance(inner, ContactlessReader) and isinstance(reader, ContactlessReader):
            atr = reader.activate(args.timeout).ats
        elif isinstance(reader, CardReader):
            atr = reader.power_on(args.timeout)
        else:
            raise BadDeviceUrl(args.reader, f"is a {type(reader).__name__}, not a card reader")
        data = read_card(reader.transmit, atr)
    finally:
        close = getattr(reader, "close", None)
        if callable(close):
            close()
    if args.json:
        print(json.dumps(asdict(data), indent=2))
        return 0
    print(f"ATR/ATS      {data.atr or '-'}")
    for app in data.applications:
        mark = "*" if app.aid == data.selected else " "
        print(f"application {mark} {app.aid}  {app.label or '-'}  priority {app.priority or '-'}")
    if not data.applications:
        print("application  none found")
    print(f"PAN          {data.pan or '-'}")
    print(f"expiry       {data.expiry or '-'}")
    print(f"records      {data.records}")
    return 0
