"""The virtual twins' factory and test-side APIs, with the real virtual cards (emv.cards)."""

from __future__ import annotations

import logging
import threading

import pytest

from drivers import open_device
from drivers.base import CardReader, ContactlessReader, MagstripeReader, Printer, Scanner
from drivers.cardread import read_card
from drivers.errors import CardRemoved, DeviceNotFound, NoCard
from drivers.trace import TracedReader


def test_reader_with_a_profile_card() -> None:
    reader = open_device("virtual://reader?card=pboc-sda")
    assert isinstance(reader, CardReader)
    atr = reader.power_on(0.1)
    data = read_card(reader.transmit, atr)
    assert data.selected == "A000000333010101" and data.pan == "622424******0113"
    assert data.expiry == "2030-08" and data.name_present


def test_unknown_profile() -> None:
    with pytest.raises(DeviceNotFound, match="no virtual card profile"):
        open_device("virtual://reader?card=no-such-card")


def test_card_remove_mid_session() -> None:
    from emv.cards import load_card

    reader = open_device("virtual://reader")
    assert isinstance(reader, CardReader)
    card = load_card("visa-cda")
    reader.insert(card)  # type: ignore[attr-defined]
    reader.power_on(0.1)
    card.remove()  # the virtual card's own "pulled out"
    with pytest.raises(CardRemoved):
        reader.transmit(bytes.fromhex("00A404000E315041592E5359532E444446303100"))
    assert not reader.is_present()


def test_power_on_waits_for_an_insert_from_another_thread() -> None:
    from emv.cards import load_card

    reader = open_device("virtual://reader")
    assert isinstance(reader, CardReader)
    with pytest.raises(NoCard):
        reader.power_on(0.05)
    timer = threading.Timer(0.05, lambda: reader.insert(load_card("mc-dda")))  # type: ignore[attr-defined]
    timer.start()
    assert reader.power_on(2.0)[:1] == b"\x3b"
    timer.join()


def test_contactless_and_trace(caplog: pytest.LogCaptureFixture) -> None:
    reader = open_device("virtual://contactless?card=visa-cda&trace=1")
    assert isinstance(reader, TracedReader) and isinstance(reader.inner, ContactlessReader)
    tap = reader.activate(0.1)
    with caplog.at_level(logging.DEBUG, logger="drivers.trace"):
        read_card(reader.transmit, tap.ats)
    assert "00 A4 04 00" in caplog.text and "-> 9000" in caplog.text
    assert "4761739001010010" not in caplog.text


def test_msr_swipes_a_card() -> None:
    from emv.cards import load_card

    msr = open_device("virtual://msr")
    assert isinstance(msr, MagstripeReader)
    msr.swipe_card(load_card("pboc-sda"))  # type: ignore[attr-defined]
    swipe = msr.read_swipe(0.1)
    assert swipe is not None and swipe.ok and swipe.track1 is not None
    msr.swipe_raw(b";62242")  # type: ignore[attr-defined]
    partial = msr.read_swipe(0.1)
    assert partial is not None and partial.kind == "swipe_again"
    assert msr.read_swipe(0) is None


def test_scanner_and_printer_urls() -> None:
    scanner = open_device("virtual://scanner")
    assert isinstance(scanner, Scanner)
    scanner.scan("28xxxx")  # type: ignore[attr-defined]
    assert scanner.read_code(0.1) == "28xxxx" and scanner.read_code(0) is None
    printer = open_device("virtual://printer?paper=80")
    assert isinstance(printer, Printer) and printer.paper.columns == 48  # type: ignore[attr-defined]
