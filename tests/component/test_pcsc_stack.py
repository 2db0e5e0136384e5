"""The real PC/SC stack end to end: ``posemu card read`` and ``posemu devices`` through pcscd + vpcd with
a virtual card, and pcscd going away under an open reader (then coming back)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from drivers import open_device
from drivers.base import CardReader
from drivers.errors import DeviceDisconnected, DeviceNotFound
from terminal.cli import main
from tests.component.cards import wait_slot_empty


@pytest.fixture
def served(pcscd: Any) -> Iterator[Any]:
    from drivers.bridges.vpcd import VpcdBridge
    from emv.cards import load_card

    bridge = VpcdBridge(40000)
    bridge.insert(load_card("visa-cda"))
    yield bridge
    bridge.stop()
    wait_slot_empty(0)


def test_card_read_through_pcscd(served: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["card", "read", "--reader", "pcsc://?name=vpcd 00 00", "--json", "--timeout", "5"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["selected"] == "A0000000031010"
    assert data["applications"][0]["label"] == "VISA DEBIT"
    assert data["pan"] == "476173******0010"
    assert data["expiry"] == "2029-12"
    assert data["records"] >= 1


def test_card_read_text_has_no_clear_pan(served: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["card", "read", "--reader", "pcsc://0", "--timeout", "5"]) == 0
    out = capsys.readouterr().out
    assert "476173******0010" in out and "4761739001010010" not in out


def test_devices_lists_the_vpcd_readers(pcscd: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "--json"]) == 0
    sources = {s["source"]: s for s in json.loads(capsys.readouterr().out)}
    names = [d["name"] for d in sources["pcsc"]["devices"]]
    assert "posemu vpcd 00 00" in names and "posemu vpcd 00 01" in names


def test_devices_check(pcscd: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "--check", "pcsc://1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["card_present"] is False
    assert main(["devices", "--check", "pcsc://7"]) == 1
    assert "pcsc://7: no reader 7" in capsys.readouterr().err


def test_pcscd_stopped_then_back(pcscd: Any) -> None:
    reader = open_device("pcsc://?name=vpcd 00 01")
    assert isinstance(reader, CardReader)
    pcscd.stop()
    try:
        start = time.monotonic()
        with pytest.raises(DeviceDisconnected) as info:
            reader.wait_event(2.0)
        assert time.monotonic() - start < 2.5
        assert info.value.url == "pcsc://?name=vpcd 00 01"
        with pytest.raises(DeviceNotFound):
            open_device("pcsc://")
    finally:
        reader.close()
        pcscd.start(timeout_s=15.0)
    again = open_device("pcsc://?name=vpcd 00 01")  # the caller reopens to retry
    assert isinstance(again, CardReader) and not again.is_present()
    again.close()
