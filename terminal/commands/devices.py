"""``posemu devices [--json] [--check URL]``: what is attached, and whether a device URL opens
(ARCHITECTURE.md section 3).

Lists PC/SC readers (through pcscd), nfcpy USB devices, serial ports and USB printers (pyusb, printer
class 07), each with the URL that opens it. A source that cannot be asked (pcscd not running, an extra
missing) is reported with the reason instead. ``--check URL`` opens the device, asks it what it can
(card presence, printer status), closes it and exits 0, or prints the typed error and exits 1.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--check", metavar="URL", help="open this device URL and report on it")


def _pcsc() -> dict[str, Any]:
    try:
        from drivers.pcsc import list_readers

        names = list_readers()
    except ModuleNotFoundError as exc:
        return {"source": "pcsc", "error": f"missing {exc.name} (install posemu[pcsc])", "devices": []}
    except Exception as exc:  # a DeviceError: pcscd not running
        return {"source": "pcsc", "error": str(exc), "devices": []}
    devices = [{"name": n, "url": f"pcsc://{i}"} for i, n in enumerate(names)]
    return {"source": "pcsc", "devices": devices}


def _serial() -> dict[str, Any]:
    try:
        from serial.tools import list_ports
    except ModuleNotFoundError as exc:
        return {"source": "serial", "error": f"missing {exc.name}", "devices": []}
    devices = [
        {"name": p.description or p.device, "url": f"msr://{p.device}", "also": f"scanner://{p.device}"}
        for p in sorted(list_ports.comports(), key=lambda p: p.device)
    ]
    return {"source": "serial", "devices": devices}


def _usb() -> list[dict[str, Any]]:
    try:  # pyusb: for nfcpy's USB devices and escpos+usb
        import usb.core  # type: ignore[import-not-found, unused-ignore]
    except ModuleNotFoundError as exc:
        reason = f"missing {exc.name} (pip install pyusb)"
        return [
            {"source": "nfc", "error": reason, "devices": []},
            {"source": "usb printers", "error": reason, "devices": []},
        ]
    nfc_ids = {(0x054C, 0x02E1), (0x054C, 0x06C1), (0x054C, 0x06C3), (0x072F, 0x2200), (0x04E6, 0x5591)}
    nfc, printers = [], []
    try:
        for dev in usb.core.find(find_all=True):
            ids = (dev.idVendor, dev.idProduct)
            url_ids = f"{dev.idVendor:04x}:{dev.idProduct:04x}"
            if ids in nfc_ids:
                nfc.append({"name": f"USB {url_ids}", "url": f"nfc://usb:{url_ids}"})
            elif any(i.bInterfaceClass == 7 for cfg in dev for i in cfg):
                printers.append({"name": f"USB printer {url_ids}", "url": f"escpos+usb://{url_ids}"})
    except Exception as exc:  # no libusb backend, or no permission
        return [{"source": "usb", "error": f"cannot list USB devices ({type(exc).__name__})", "devices": []}]
    return [{"source": "nfc", "devices": nfc}, {"source": "usb printers", "devices": printers}]


def list_devices() -> list[dict[str, Any]]:
    """Every source with its devices (or the reason it could not be asked)."""
    return [_pcsc(), _serial(), *_usb()]


def check(url: str) -> dict[str, Any]:
    """Open ``url``, ask what the device can tell, close it.

    Raises:
        DeviceError: the typed error of the driver.
    """
    from drivers import open_device
    from drivers.base import (
        Battery,
        CardReader,
        Clock,
        ContactlessReader,
        MagstripeReader,
        Printer,
        Scanner,
    )

    device = open_device(url)
    report: dict[str, Any] = {"url": url, "opened": type(device).__name__}
    try:
        if isinstance(device, CardReader | ContactlessReader):
            report["card_present"] = device.is_present()
        elif isinstance(device, Printer):
            s = device.status(2.0)
            report["status"] = {"online": s.online, "paper": s.paper, "cover_open": s.cover_open}
        elif isinstance(device, Clock):
            report["now"] = device.now().isoformat()
        elif isinstance(device, Battery):
            p = device.status()
            report["power"] = {"level_pct": p.level_pct, "charging": p.charging, "on_mains": p.on_mains}
        elif isinstance(device, MagstripeReader | Scanner):
            report["ready"] = True
    finally:
        close = getattr(device, "close", None)
        if callable(close):
            close()
    return report


def run(args: argparse.Namespace) -> int:
    if args.check:
        report = check(args.check)
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print(f"{args.check}: opened {report.pop('opened')}")
            for key, value in report.items():
                if key != "url":
                    print(f"  {key}: {value}")
        return 0
    sources = list_devices()
    if args.json:
        print(json.dumps(sources, indent=2))
        return 0
    for source in sources:
        head = source["source"]
        if "error" in source:
            print(f"{head}: {source['error']}")
            continue
        print(f"{head}: {len(source['devices'])} found")
        for dev in source["devices"]:
            print(f"  {dev['url']:<32} {dev['name']}")
    return 0
