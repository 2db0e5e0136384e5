"""The Printer contract, over the virtual printer and the real escpos+tcp:// driver printing to the local
TCP printer server: identical bytes, status, paper out (before and mid-document) and a link that drops
mid-receipt, each a typed error with the count of operations sent, so the caller can retry the rest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from drivers import open_device
from drivers.base import PaperState, Printer, PrinterStatus
from drivers.errors import CoverOpen, PaperOut, PrinterDisconnected
from drivers.escpos import encode_document
from tests.component.receipt import SALE_SLIP


@dataclass
class Rig:
    name: str
    printer: Printer
    printed: Callable[[], bytes]
    set_paper: Callable[[PaperState], None]
    set_cover_open: Callable[[bool], None]
    run_out_mid: Callable[[], None]
    text: Callable[[], str]


@pytest.fixture(params=["virtual", "escpos-tcp"])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    if request.param == "virtual":
        from drivers.virtual.printer import VirtualPrinter

        v = VirtualPrinter()
        yield Rig("virtual", v, lambda: v.output, v.set_paper, v.set_cover_open, lambda: v.run_out_after(5),
                  v.render_text)  # fmt: skip
        return
    from drivers.bridges.printer import PrinterServer

    server = PrinterServer()
    _init, chunks = encode_document(SALE_SLIP)
    printer = open_device(server.url)
    assert isinstance(printer, Printer)
    yield Rig(
        "escpos-tcp",
        printer,
        lambda: _without_status(server.received),
        server.set_paper,
        server.set_cover_open,
        lambda: server.paper_out_after(sum(len(c) for c in chunks[:5])),
        server.render_text,
    )
    printer.close()
    server.stop()


def _without_status(data: bytes) -> bytes:
    """The printed bytes without the driver's DLE EOT queries."""
    out = bytearray(data)
    for n in (1, 2, 4):
        out = bytearray(bytes(out).replace(b"\x10\x04" + bytes((n,)), b""))
    return bytes(out)


def _wait_for(predicate: Callable[[], bool], timeout_s: float = 2.0) -> bool:
    import time

    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def test_prints_the_same_bytes(rig: Rig) -> None:
    init, chunks = encode_document(SALE_SLIP)
    rig.printer.print_document(SALE_SLIP)
    assert _wait_for(lambda: len(rig.printed()) >= len(init) + sum(map(len, chunks)))
    assert rig.printed() == init + b"".join(chunks)
    text = rig.text()
    assert "银联POS签购单" in text and "[QR: https://qr.95516.com/" in text and "[partial cut]" in text


def test_status_ok_and_near_end(rig: Rig) -> None:
    assert rig.printer.status(1.0) == PrinterStatus(online=True, paper="ok", cover_open=False)
    rig.set_paper("near_end")
    assert rig.printer.status(1.0).paper == "near_end"
    rig.printer.print_document(SALE_SLIP[:2])  # near end still prints


def test_paper_out_before_printing(rig: Rig) -> None:
    rig.set_paper("out")
    with pytest.raises(PaperOut) as info:
        rig.printer.print_document(SALE_SLIP)
    assert info.value.printed == 0 and info.value.url == rig.printer.url
    assert not rig.printer.status(1.0).ready


def test_paper_out_mid_document_then_retry(rig: Rig) -> None:
    rig.run_out_mid()
    with pytest.raises(PaperOut) as info:
        rig.printer.print_document(SALE_SLIP)
    printed = info.value.printed
    assert 0 < printed < len(SALE_SLIP)
    rig.set_paper("ok")  # paper reloaded: print the rest
    rig.printer.print_document(SALE_SLIP[printed:])


def test_cover_open(rig: Rig) -> None:
    rig.set_cover_open(True)
    with pytest.raises(CoverOpen):
        rig.printer.print_document(SALE_SLIP)
    rig.set_cover_open(False)
    rig.printer.print_document(SALE_SLIP[:1])


def test_disconnect_mid_receipt() -> None:
    from drivers.bridges.printer import PrinterServer

    with PrinterServer() as server:
        printer = open_device(server.url)
        assert isinstance(printer, Printer)
        server.drop_after(300)
        with pytest.raises(PrinterDisconnected) as info:
            printer.print_document(SALE_SLIP)
        assert 0 < info.value.printed < len(SALE_SLIP)
        printer.close()
        again = open_device(server.url)  # the caller reopens and retries
        assert isinstance(again, Printer)
        again.print_document(SALE_SLIP[info.value.printed :])
        again.close()


def test_virtual_disconnect() -> None:
    from drivers.virtual.printer import VirtualPrinter

    v = VirtualPrinter()
    v.disconnect()
    with pytest.raises(PrinterDisconnected):
        v.print_document(SALE_SLIP)
    with pytest.raises(PrinterDisconnected):
        v.status()
    v.reconnect()
    v.print_document(SALE_SLIP)


def test_unreachable_printer_is_not_found() -> None:
    from drivers.errors import DeviceNotFound

    with pytest.raises(DeviceNotFound) as info:
        open_device("escpos+tcp://127.0.0.1:1?timeout=1")
    assert info.value.url == "escpos+tcp://127.0.0.1:1?timeout=1"
