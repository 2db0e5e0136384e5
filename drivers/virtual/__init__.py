"""Virtual twins of every device, shipped in the wheel (ARCHITECTURE.md section 3; STYLE.md section 2).

Each satisfies the same Protocol as its real driver and adds a test-side API (Zephyr's ``uart_emul``,
escpos's ``Dummy.output``).

| URL                                    | class                      | test-side API                   |
|----------------------------------------|----------------------------|---------------------------------|
| ``virtual://reader[?card=PROFILE]``    | ``VirtualReader``          | ``insert(card)``, ``remove()``  |
| ``virtual://contactless[?card=P]``     | ``VirtualContactlessReader``| ``tap(card)``, ``remove()``    |
| ``virtual://msr``                      | ``VirtualMagstripe``       | ``swipe(...)``, ``swipe_raw()`` |
| ``virtual://scanner``                  | ``VirtualScanner``         | ``scan(code)``                  |
| ``virtual://printer[?paper=58|80]``    | ``VirtualPrinter``         | ``output``, ``render_*()``, paper|
| ``virtual://clock[?at=ISO-8601]``      | ``VirtualClock``           | ``set()``, ``advance()``        |
| ``virtual://battery[?level=N&...]``    | ``VirtualBattery``         | ``set()``                       |
| ``virtual://host[?db=FILE]``           | ``drivers.host.VirtualHostLink`` (the host issue)            |

``?trace=1`` wraps a reader in :class:`drivers.trace.TracedReader` (which logs redacted bodies for
virtual readers). ``?card=`` loads an ``emv.cards`` profile (``emv.cards.load_card``).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import SplitResult

from drivers.errors import BadDeviceUrl, DeviceNotFound, DriverUnavailable

__all__ = ["open_device"]

_OPTIONS = {
    "reader": frozenset({"card", "trace"}),
    "contactless": frozenset({"card", "trace"}),
    "msr": frozenset(),
    "scanner": frozenset(),
    "printer": frozenset({"paper"}),
    "clock": frozenset({"at"}),
    "battery": frozenset({"level", "charging", "mains"}),
}


def _load_card(url: str, profile: str) -> object:
    try:
        from emv.cards import load_card  # type: ignore[attr-defined, unused-ignore]
    except ImportError as exc:
        raise DriverUnavailable(url, "emv.cards.load_card is not available") from exc
    from emv.errors import EmvError

    try:
        card: object = load_card(profile)
    except (EmvError, LookupError, ValueError) as exc:
        raise DeviceNotFound(url, f"no virtual card profile {profile!r}") from exc
    return card


def open_device(parts: SplitResult) -> object:
    """The factory behind ``virtual://`` (see the table above).

    Raises:
        DeviceNotFound: an unknown virtual device or card profile. BadDeviceUrl: a bad option.
    """
    from drivers import device_url, float_option, query_options

    url = device_url(parts)
    kind = parts.netloc
    if kind == "host":  # the in-process acquirer simulator: the host issue's drivers/host.py
        from drivers.host import open_virtual_host  # type: ignore[import-not-found, unused-ignore]

        host: object = open_virtual_host(parts)
        return host
    if kind not in _OPTIONS:
        raise DeviceNotFound(url, f"no virtual device {kind!r} (known: {', '.join(_OPTIONS)})")
    options = query_options(parts, _OPTIONS[kind])
    if kind in ("reader", "contactless"):
        from drivers.virtual.reader import VirtualContactlessReader, VirtualReader

        reader: VirtualReader | VirtualContactlessReader
        if kind == "reader":
            reader = VirtualReader(url)
            if "card" in options:
                reader.insert(_load_card(url, options["card"]))
        else:
            reader = VirtualContactlessReader(url)
            if "card" in options:
                reader.tap(_load_card(url, options["card"]))
        if options.get("trace") in ("1", "true", "yes"):
            from drivers.trace import TracedReader

            return TracedReader(reader)
        return reader
    if kind in ("msr", "scanner"):
        from drivers.virtual.lines import VirtualMagstripe, VirtualScanner

        return VirtualMagstripe(url) if kind == "msr" else VirtualScanner(url)
    if kind == "printer":
        from drivers.escpos import PAPERS
        from drivers.virtual.printer import VirtualPrinter

        paper = PAPERS.get(options.get("paper", "58"))
        if paper is None:
            raise BadDeviceUrl(url, f"paper must be one of {', '.join(PAPERS)}")
        return VirtualPrinter(url, paper)
    from drivers.virtual.system import DEFAULT_START, VirtualBattery, VirtualClock

    if kind == "clock":
        try:
            start = dt.datetime.fromisoformat(options["at"]) if "at" in options else DEFAULT_START
        except ValueError as exc:
            raise BadDeviceUrl(url, "at= must be an ISO 8601 time") from exc
        if start.tzinfo is None:
            raise BadDeviceUrl(url, "at= needs a UTC offset")
        return VirtualClock(start)
    level = options.get("level")
    return VirtualBattery(
        level_pct=None if level == "none" else int(float_option(url, options, "level", 100)),
        charging=options.get("charging") == "1",
        on_mains=options.get("mains", "1") == "1",
    )
