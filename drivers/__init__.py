"""Devices by URL: ``open_device("pcsc://?name=ACR39")`` (ARCHITECTURE.md section 3; STYLE.md section 2).

``SCHEMES`` maps a URL scheme to ``"module:callable"``; the module is imported only when a URL of its
scheme is opened, so ``import drivers`` pulls in neither pyscard, nfcpy, pyserial nor python-escpos.

| scheme            | URL examples                                             | module               |
|-------------------|----------------------------------------------------------|----------------------|
| ``pcsc``          | ``pcsc://`` ``pcsc://1`` ``pcsc://?name=ACR39&trace=1``   | drivers.pcsc         |
| ``nfc``           | ``nfc://usb:072f:2200`` ``nfc://udp:127.0.0.1:50301``     | drivers.nfc          |
| ``msr``           | ``msr:///dev/ttyUSB0?baud=9600`` ``msr://socket://h:p``   | drivers.magstripe    |
| ``scanner``       | ``scanner:///dev/ttyACM0`` ``scanner://loop://``          | drivers.scanner      |
| ``escpos+tcp``    | ``escpos+tcp://10.0.0.9:9100?paper=80``                   | drivers.escpos       |
| ``escpos+usb``    | ``escpos+usb://04b8:0202``                                | drivers.escpos       |
| ``escpos+serial`` | ``escpos+serial:///dev/ttyS0?baud=19200``                 | drivers.escpos       |
| ``escpos+file``   | ``escpos+file:///dev/usb/lp0``                            | drivers.escpos       |
| ``clock``         | ``clock://system``                                        | drivers.system       |
| ``power``         | ``power://`` (Linux ``/sys/class/power_supply``)          | drivers.system       |
| ``tcp``           | ``tcp://127.0.0.1:5000`` (the acquirer host link)         | drivers.host         |
| ``virtual``       | ``virtual://reader?card=visa-cda`` ``virtual://printer``  | drivers.virtual      |

Three failures are told apart, each naming the URL: :class:`UnknownScheme` (no driver for the scheme),
:class:`DriverUnavailable` (its library, an extra, is not installed) and :class:`DeviceNotFound` (the
driver is there but the device is not). ``?trace=1`` wraps a reader in :class:`drivers.trace.TracedReader`.

>>> try:
...     open_device("fax://0")
... except UnknownScheme as exc:
...     print(exc)
fax://0: no driver for scheme 'fax'
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from types import MappingProxyType
from typing import Any
from urllib.parse import SplitResult, urlsplit

from drivers.base import Battery, CardReader, Clock, ContactlessReader, MagstripeReader, Printer, Scanner
from drivers.errors import BadDeviceUrl, DriverUnavailable, UnknownScheme

__all__ = [
    "SCHEMES",
    "device_url",
    "float_option",
    "open_battery",
    "open_card_reader",
    "open_clock",
    "open_contactless_reader",
    "open_device",
    "open_magstripe",
    "open_printer",
    "open_scanner",
    "query_options",
]

log = logging.getLogger(__name__)

SCHEMES = MappingProxyType(
    {
        "pcsc": "drivers.pcsc:open_reader",
        "nfc": "drivers.nfc:open_reader",
        "msr": "drivers.magstripe:open_reader",
        "scanner": "drivers.scanner:open_scanner",
        "escpos+tcp": "drivers.escpos:open_printer",
        "escpos+usb": "drivers.escpos:open_printer",
        "escpos+serial": "drivers.escpos:open_printer",
        "escpos+file": "drivers.escpos:open_printer",
        "clock": "drivers.system:open_clock",
        "power": "drivers.system:open_battery",
        "tcp": "drivers.host:open_tcp_host",  # the acquirer link (the host issue's drivers/host.py)
        "virtual": "drivers.virtual:open_device",
    }
)


def open_device(url: str) -> object:
    """Open the device a URL names.

    Raises:
        UnknownScheme: no driver for the scheme. DriverUnavailable: the driver's library is missing.
        DeviceNotFound: no such device. BadDeviceUrl: a malformed URL or option.
    """
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise BadDeviceUrl(url, f"not a URL ({exc})") from exc
    target = SCHEMES.get(parts.scheme)
    if target is None:
        raise UnknownScheme(url, f"no driver for scheme {parts.scheme!r}")
    module_name, _, func_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:  # an extra is missing; any other ImportError is a bug
        raise DriverUnavailable(url, f"missing {exc.name} (install posemu's extra for it)") from exc
    factory: Callable[[SplitResult], object] = getattr(module, func_name)
    device = factory(parts)
    log.info("opened %s as %s", url, type(device).__name__)
    return device


def _open_checked(url: str, kind: type[Any]) -> Any:
    device = open_device(url)
    if not isinstance(device, kind):
        close = getattr(device, "close", None)
        if callable(close):
            close()
        raise BadDeviceUrl(url, f"is a {type(device).__name__}, not a {kind.__name__}")
    return device


def open_card_reader(url: str) -> CardReader:
    """``open_device`` checked against :class:`drivers.base.CardReader` (the typed wrappers below alike).

    Raises:
        BadDeviceUrl: the URL names another kind of device. Others: as :func:`open_device`.
    """
    reader: CardReader = _open_checked(url, CardReader)
    return reader


def open_contactless_reader(url: str) -> ContactlessReader:
    reader: ContactlessReader = _open_checked(url, ContactlessReader)
    return reader


def open_magstripe(url: str) -> MagstripeReader:
    reader: MagstripeReader = _open_checked(url, MagstripeReader)
    return reader


def open_scanner(url: str) -> Scanner:
    scanner: Scanner = _open_checked(url, Scanner)
    return scanner


def open_printer(url: str) -> Printer:
    printer: Printer = _open_checked(url, Printer)
    return printer


def open_clock(url: str) -> Clock:
    clock: Clock = _open_checked(url, Clock)
    return clock


def open_battery(url: str) -> Battery:
    battery: Battery = _open_checked(url, Battery)
    return battery


def query_options(parts: SplitResult, allowed: frozenset[str]) -> dict[str, str]:
    """The URL's query as a dict (last value wins), refusing unknown keys.

    Raises:
        BadDeviceUrl: an option the driver does not know.

    >>> query_options(urlsplit("pcsc://?name=ACR&trace=1"), frozenset({"name", "trace"}))
    {'name': 'ACR', 'trace': '1'}
    """
    from urllib.parse import parse_qsl

    out = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(out) - allowed)
    if unknown:
        raise BadDeviceUrl(
            device_url(parts), f"unknown option {unknown[0]!r} (known: {', '.join(sorted(allowed))})"
        )
    return out


def float_option(url: str, options: dict[str, str], key: str, default: float) -> float:
    """A numeric option.

    Raises:
        BadDeviceUrl: not a number.
    """
    raw = options.get(key)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise BadDeviceUrl(url, f"option {key}={raw!r} is not a number") from exc


def device_url(parts: SplitResult) -> str:
    """The URL as written, with ``//`` kept (``SplitResult.geturl`` drops it when there is no host).

    >>> device_url(urlsplit("pcsc://?name=ACR")), device_url(urlsplit("msr:///dev/ttyS0"))
    ('pcsc://?name=ACR', 'msr:///dev/ttyS0')
    """
    url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return f"{url}?{parts.query}" if parts.query else url
