"""The CardReader contract, over the virtual reader and the real pcsc:// driver through pcscd + vpcd.

Module-scoped rigs keep one card inserted (pcscd needs ~0.4 s to notice an insert); the removal cases
use their own rig (vpcd slot 1 for PC/SC) and pay for the insert/remove they test. Every wait is bounded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from drivers import open_device
from drivers.base import CardReader
from drivers.errors import CardRemoved, NoCard
from drivers.trace import TracedReader
from tests.component import cards
from tests.component.cards import ContractCard


@dataclass
class Rig:
    name: str
    reader: CardReader
    insert: Callable[[Any], None]
    remove: Callable[[], None]


def _virtual_rig() -> Rig:
    from drivers.virtual.reader import VirtualReader

    reader = VirtualReader("virtual://reader")
    return Rig("virtual", reader, reader.insert, reader.remove)


def _pcsc_rig(slot: int) -> tuple[Rig, Any]:
    from drivers.bridges.pcscd import slot_reader_name
    from drivers.bridges.vpcd import VpcdBridge

    bridge = VpcdBridge(40000 + slot)
    reader = open_device(f"pcsc://?name={slot_reader_name(slot)}")
    assert isinstance(reader, CardReader)
    return Rig(f"pcsc slot {slot}", reader, bridge.insert, bridge.remove), bridge


@pytest.fixture(scope="module", params=["virtual", "pcsc"])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    if request.param == "virtual":
        r = _virtual_rig()
        bridge = None
    else:
        request.getfixturevalue("pcscd")
        r, bridge = _pcsc_rig(0)
    r.insert(ContractCard())
    r.reader.power_on(5.0)
    yield r
    r.reader.close()
    if bridge is not None:
        bridge.stop()
        cards.wait_slot_empty(0)


@pytest.fixture(params=["virtual", "pcsc"])
def fresh(request: pytest.FixtureRequest) -> Iterator[Rig]:
    """An empty reader (PC/SC: slot 1), for the cases that insert and remove."""
    if request.param == "virtual":
        r = _virtual_rig()
        yield r
        r.reader.close()
        return
    request.getfixturevalue("pcscd")
    r, bridge = _pcsc_rig(1)
    try:
        yield r
    finally:
        r.reader.close()
        bridge.stop()
        cards.wait_slot_empty(1)


def test_is_a_card_reader(rig: Rig) -> None:
    assert isinstance(rig.reader, CardReader)
    assert rig.reader.is_present()


def test_power_on_returns_the_atr(rig: Rig) -> None:
    assert rig.reader.power_on(5.0) == cards.ATR


def test_select(rig: Rig) -> None:
    assert rig.reader.transmit(cards.SELECT) == cards.FCI + b"\x90\x00"


def test_wrong_length_6cxx_is_resent_with_the_right_le(rig: Rig) -> None:
    assert rig.reader.transmit(cards.READ_6C) == cards.RECORD_18 + b"\x90\x00"


def test_61xx_fetches_the_response(rig: Rig) -> None:
    assert rig.reader.transmit(cards.GET_DATA_61) == bytes.fromhex("9F360200019000")


def test_long_response_and_command(rig: Rig) -> None:
    assert rig.reader.transmit(cards.READ_LONG) == cards.LONG_RECORD + b"\x90\x00"
    assert rig.reader.transmit(cards.long_command(200)) == b"\xc8\x90\x00"


def test_unknown_instruction_is_a_status_word_not_an_error(rig: Rig) -> None:
    assert rig.reader.transmit(bytes.fromhex("00AA000000")) == b"\x6d\x00"


def test_trace_logs_headers_and_status_but_no_pan(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    traced = TracedReader(rig.reader, bodies=True)
    with caplog.at_level(logging.DEBUG, logger="drivers.trace"):
        traced.transmit(cards.READ_LONG)
        traced.transmit(bytes.fromhex("00B2010C12"))
    assert "00 B2 02 0C Lc=0 Le=00 -> 9000, 248 data bytes" in caplog.text
    assert "6224242900000113" not in caplog.text
    assert "5A08****************" in caplog.text


def test_remove_then_insert_gives_events(fresh: Rig) -> None:
    assert fresh.reader.wait_event(0.05) in (None,)
    fresh.insert(ContractCard())
    event = fresh.reader.wait_event(3.0)
    assert event is not None and event.kind == "inserted"
    fresh.reader.power_on(3.0)
    fresh.remove()
    event = fresh.reader.wait_event(3.0)
    assert event is not None and event.kind == "removed"
    with pytest.raises(CardRemoved) as info:
        fresh.reader.transmit(cards.SELECT)
    assert info.value.url == fresh.reader.url
    fresh.insert(ContractCard())
    assert fresh.reader.power_on(3.0) == cards.ATR  # the caller can retry
    assert fresh.reader.transmit(cards.SELECT)[-2:] == b"\x90\x00"


def test_card_removed_mid_apdu(fresh: Rig) -> None:
    fresh.insert(ContractCard())
    fresh.reader.power_on(3.0)
    start = time.monotonic()
    with pytest.raises(CardRemoved):
        fresh.reader.transmit(cards.PULL)
    assert time.monotonic() - start < 2.0
    assert not fresh.reader.is_present() or fresh.name != "virtual"


def test_no_card_times_out(fresh: Rig) -> None:
    start = time.monotonic()
    with pytest.raises(NoCard) as info:
        fresh.reader.power_on(0.3)
    assert 0.25 <= time.monotonic() - start < 1.5
    assert isinstance(info.value, NoCard) and not isinstance(info.value, TimeoutError)
    with pytest.raises(CardRemoved):
        fresh.reader.transmit(cards.SELECT)
