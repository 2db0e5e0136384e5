"""The ContactlessReader contract, over the virtual field and nfcpy's udp driver with posemu's ISO-DEP
card bridge (small frames, so commands and responses are chained)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from drivers import open_device
from drivers.base import ContactlessReader
from drivers.errors import CardRemoved, NoCard
from tests.component import cards
from tests.component.cards import ContractCard


@dataclass
class Rig:
    name: str
    reader: ContactlessReader
    tap: Callable[[Any], None]
    remove: Callable[[], None]


@pytest.fixture(params=["virtual", "nfc-udp"])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    if request.param == "virtual":
        from drivers.virtual.reader import VirtualContactlessReader

        reader = VirtualContactlessReader("virtual://contactless")
        yield Rig("virtual", reader, reader.tap, reader.remove)
        reader.close()
        return
    pytest.importorskip("nfc", reason="nfcpy (posemu[nfc]) is not installed")
    from drivers.bridges.nfcudp import UdpCardBridge

    bridge = UdpCardBridge(fsci=2, chain_at=40)  # 32-byte frames from the reader, 40-byte blocks back
    nfc_reader = open_device(f"nfc://{bridge.path}")
    assert isinstance(nfc_reader, ContactlessReader)
    yield Rig("nfc-udp", nfc_reader, bridge.tap, bridge.remove)
    nfc_reader.close()
    bridge.stop()


def test_tap_activate_and_exchange(rig: Rig) -> None:
    rig.tap(ContractCard())
    tap = rig.reader.activate(3.0)
    assert tap.uid == bytes.fromhex("08112233") and tap.technology == "A"
    assert rig.reader.transmit(cards.SELECT) == cards.FCI + b"\x90\x00"
    assert rig.reader.is_present()


def test_chaining_both_ways(rig: Rig) -> None:
    rig.tap(ContractCard())
    rig.reader.activate(3.0)
    assert rig.reader.transmit(cards.READ_LONG) == cards.LONG_RECORD + b"\x90\x00"
    assert rig.reader.transmit(cards.long_command(200)) == b"\xc8\x90\x00"


def test_events(rig: Rig) -> None:
    assert rig.reader.wait_event(0.05) is None
    rig.tap(ContractCard())
    event = rig.reader.wait_event(3.0)
    assert event is not None and event.kind == "tapped"
    rig.remove()
    event = rig.reader.wait_event(3.0)
    assert event is not None and event.kind == "removed"


def test_removed_card_gives_card_removed(rig: Rig) -> None:
    rig.tap(ContractCard())
    rig.reader.activate(3.0)
    rig.remove()
    start = time.monotonic()
    with pytest.raises(CardRemoved):
        rig.reader.transmit(cards.SELECT)
    assert time.monotonic() - start < 3.0


def test_card_leaves_mid_apdu(rig: Rig) -> None:
    rig.tap(ContractCard())
    rig.reader.activate(3.0)
    with pytest.raises(CardRemoved):
        rig.reader.transmit(cards.PULL)
    rig.tap(ContractCard())  # the caller can retry: tap again
    rig.reader.activate(3.0)
    assert rig.reader.transmit(cards.SELECT)[-2:] == b"\x90\x00"


def test_no_card_times_out(rig: Rig) -> None:
    start = time.monotonic()
    with pytest.raises(NoCard):
        rig.reader.activate(0.2)
    assert time.monotonic() - start < 1.6  # nfcpy's udp sense waits up to 1 s for an answer
