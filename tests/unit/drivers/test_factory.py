"""open_device: three failures told apart, each naming the URL; options; lazy imports."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from types import MappingProxyType

import pytest

import drivers
from drivers import open_card_reader, open_clock, open_device, open_printer
from drivers.base import Clock, Printer
from drivers.errors import (
    BadDeviceUrl,
    CardRemoved,
    DeviceError,
    DeviceNotFound,
    DeviceTimeout,
    DriverUnavailable,
    PaperOut,
    PrinterDisconnected,
    PrinterError,
    UnknownScheme,
)


def test_unknown_scheme() -> None:
    with pytest.raises(UnknownScheme) as info:
        open_device("fax://0")
    assert info.value.url == "fax://0" and "fax" in str(info.value)
    assert not isinstance(info.value, (DriverUnavailable, DeviceNotFound))


def test_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drivers, "SCHEMES", MappingProxyType({"gone": "posemu_no_such_module:open"}))
    with pytest.raises(DriverUnavailable) as info:
        open_device("gone://x")
    assert info.value.url == "gone://x" and "posemu_no_such_module" in info.value.reason
    assert not isinstance(info.value, (UnknownScheme, DeviceNotFound))


@pytest.mark.skipif(importlib.util.find_spec("usb") is not None, reason="pyusb is installed here")
def test_usb_printer_without_pyusb() -> None:
    with pytest.raises(DriverUnavailable, match="usb"):
        open_device("escpos+usb://04b8:0202")


@pytest.mark.parametrize(
    "url",
    [
        "msr:///dev/posemu-no-such-tty",
        "scanner:///dev/posemu-no-such-tty",
        "escpos+file:///posemu/no/such/dir/lp0",
        "virtual://fridge",
        "clock://atomic",
    ],
)
def test_absent_device(url: str) -> None:
    with pytest.raises(DeviceNotFound) as info:
        open_device(url)
    assert info.value.url == url
    assert not isinstance(info.value, (UnknownScheme, DriverUnavailable))


@pytest.mark.parametrize(
    "url",
    [
        "virtual://printer?paper=66",
        "virtual://reader?colour=red",
        "msr://loop://?baud=fast",
        "virtual://clock?at=noon",
    ],
)
def test_bad_options(url: str) -> None:
    with pytest.raises(BadDeviceUrl):
        open_device(url)


def test_typed_openers_check_the_protocol() -> None:
    assert isinstance(open_printer("virtual://printer"), Printer)
    with pytest.raises(BadDeviceUrl, match="not a CardReader"):
        open_card_reader("virtual://clock")
    assert isinstance(open_clock("virtual://clock"), Clock)


def test_loop_url_opens() -> None:
    reader = open_device("msr://loop://")
    assert type(reader).__name__ == "SerialMagstripe"
    reader.close()  # type: ignore[attr-defined]


def test_error_family() -> None:
    assert issubclass(DeviceTimeout, TimeoutError) and issubclass(DeviceTimeout, DeviceError)
    assert issubclass(PrinterDisconnected, PrinterError) and issubclass(PaperOut, PrinterError)
    from drivers.errors import DeviceDisconnected

    assert issubclass(PrinterDisconnected, DeviceDisconnected)
    e = PaperOut("virtual://printer", "paper out", 3)
    assert (e.url, e.reason, e.printed, str(e)) == (
        "virtual://printer",
        "paper out",
        3,
        "virtual://printer: paper out",
    )
    import pickle

    again = pickle.loads(pickle.dumps(CardRemoved("pcsc://0", "gone")))
    assert isinstance(again, CardRemoved) and again.url == "pcsc://0"


def test_import_drivers_is_light() -> None:
    code = (
        "import sys, drivers, drivers.base, drivers.errors, drivers.document;"
        "heavy = [m for m in ('smartcard', 'nfc', 'serial', 'escpos', 'PIL', 'usb') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""
