"""Physical devices, run on a rig: ``make hw URL=pcsc://0`` or
``pytest tests/hardware --reader-url pcsc://0 --nfc-url nfc://usb --printer-url escpos+usb://04b8:0202``.

Each test is marked ``hw`` and skipped without its option (tests/conftest.py). A person presents the card
(insert / tap) within the timeout; the printer test prints one short slip.
"""

from __future__ import annotations

import pytest

from drivers import open_card_reader, open_contactless_reader, open_printer
from drivers.cardread import read_card
from drivers.document import Cut, Qr, Text


@pytest.mark.hw("reader")
def test_contact_reader_reads_a_card(request: pytest.FixtureRequest) -> None:
    reader = open_card_reader(request.config.getoption("--reader-url"))
    try:
        atr = reader.power_on(30.0)  # insert a payment card
        assert atr[:1] in (b"\x3b", b"\x3f")
        data = read_card(reader.transmit, atr)
        assert data.applications, data.trace
    finally:
        reader.close()


@pytest.mark.hw("nfc")
def test_contactless_reader_reads_a_card(request: pytest.FixtureRequest) -> None:
    reader = open_contactless_reader(request.config.getoption("--nfc-url"))
    try:
        tap = reader.activate(30.0)  # tap a contactless payment card
        data = read_card(reader.transmit, tap.ats)
        assert data.applications, data.trace
    finally:
        reader.close()


@pytest.mark.hw("printer")
def test_printer_prints_and_reports(request: pytest.FixtureRequest) -> None:
    printer = open_printer(request.config.getoption("--printer-url"))
    try:
        assert printer.status(2.0).online
        printer.print_document([Text("posemu 硬件测试", align="center", bold=True), Qr("posemu"), Cut()])
    finally:
        printer.close()
