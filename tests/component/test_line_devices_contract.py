"""The MagstripeReader and Scanner contracts, over the virtual twins and the real msr:// / scanner://
drivers reading a pty pair (every wait bounded; garbage and partial swipes give "swipe again")."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from drivers import open_device
from drivers.base import MagstripeReader, Scanner
from drivers.errors import DeviceDisconnected
from drivers.magstripe import encode_swipe
from emv.track import Pan, ServiceCode, Track1, Track2, encode_track1, encode_track2

PAN = "6224242900000113"
T2 = Track2(Pan(PAN), "2806", ServiceCode("201"), "3949031013")
T1 = Track1(Pan(PAN), "ZHANG/SAN", "2806", ServiceCode("201"), "0000")
GOOD = encode_swipe(encode_track1(T1), encode_track2(T2))


@dataclass
class MsrRig:
    name: str
    reader: MagstripeReader
    feed: Callable[[bytes], None]
    unplug: Callable[[], None] | None


@pytest.fixture(params=["virtual", "pty"])
def msr(request: pytest.FixtureRequest) -> Iterator[MsrRig]:
    if request.param == "virtual":
        from drivers.virtual.lines import VirtualMagstripe

        v = VirtualMagstripe()
        yield MsrRig("virtual", v, v.swipe_raw, None)
        return
    from drivers.bridges.pty import PtyBridge

    bridge = PtyBridge()
    reader = open_device(f"msr://{bridge.path}?gap=0.15")
    assert isinstance(reader, MagstripeReader)
    yield MsrRig("pty", reader, bridge.write, bridge.close)
    reader.close()
    bridge.close()


def test_good_swipe(msr: MsrRig, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        msr.feed(GOOD)
        swipe = msr.reader.read_swipe(2.0)
    assert swipe is not None and swipe.ok and swipe.kind == "swipe"
    assert swipe.track2 == T2 and swipe.track1 == T1
    assert PAN not in caplog.text and PAN not in repr(swipe)


def test_stx_framed_swipe_with_lrc(msr: MsrRig) -> None:
    msr.feed(encode_swipe(None, encode_track2(T2, "sentinels"), "stx"))
    swipe = msr.reader.read_swipe(2.0)
    assert swipe is not None and swipe.ok and swipe.track1 is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x00\xff\x13garbage\r", "non-ASCII byte at 1"),
        (b"hello\r", "unexpected byte at 0"),
        (b"%E?;E?\r", "track 1 read error"),
        (b";6224242900000113=2813201?\r", "track 2: expiry month not 01-12"),
        (b"\x02;1=1?\x03\x00", "frame LRC mismatch"),
        (b"%B6224242900000113^ZHANG/SAN^2806201?\r", "no track 2"),
    ],
)
def test_bad_swipes_ask_to_swipe_again(msr: MsrRig, raw: bytes, reason: str) -> None:
    msr.feed(raw)
    swipe = msr.reader.read_swipe(2.0)
    assert swipe is not None and swipe.kind == "swipe_again"
    assert swipe.reason.startswith(reason)
    assert "6224242900000113" not in swipe.reason


def test_partial_swipe_times_out_into_swipe_again(msr: MsrRig) -> None:
    msr.feed(b";6224242900000113=28")
    start = time.monotonic()
    swipe = msr.reader.read_swipe(2.0)
    assert swipe is not None and swipe.kind == "swipe_again" and "partial" in swipe.reason
    assert time.monotonic() - start < 1.0


def test_two_swipes_in_a_row(msr: MsrRig) -> None:
    msr.feed(b"junk\r" + GOOD)
    first, second = msr.reader.read_swipe(2.0), msr.reader.read_swipe(2.0)
    assert first is not None and not first.ok
    assert second is not None and second.ok


def test_nothing_swiped(msr: MsrRig) -> None:
    start = time.monotonic()
    assert msr.reader.read_swipe(0.2) is None
    assert time.monotonic() - start < 1.0


def test_port_vanishes(msr: MsrRig) -> None:
    if msr.unplug is None:
        pytest.skip("a virtual reader has no port")
    msr.unplug()
    with pytest.raises(DeviceDisconnected):
        msr.reader.read_swipe(1.0)


@dataclass
class ScanRig:
    name: str
    scanner: Scanner
    feed: Callable[[bytes], None]
    unplug: Callable[[], None] | None


@pytest.fixture(params=["virtual", "pty"])
def scan(request: pytest.FixtureRequest) -> Iterator[ScanRig]:
    if request.param == "virtual":
        from drivers.virtual.lines import VirtualScanner

        v = VirtualScanner()

        def feed(raw: bytes) -> None:
            for code in raw.decode().split():
                v.scan(code)

        yield ScanRig("virtual", v, feed, None)
        return
    from drivers.bridges.pty import PtyBridge

    bridge = PtyBridge()
    scanner = open_device(f"scanner://{bridge.path}?gap=0.15")
    assert isinstance(scanner, Scanner)
    yield ScanRig("pty", scanner, bridge.write, bridge.close)
    scanner.close()
    bridge.close()


def test_codes_with_each_terminator(scan: ScanRig) -> None:
    scan.feed("6225880112345678\r28xx\nhttps://qr.95516.com/a\r\nABC\t银联\n".encode())
    got = [scan.scanner.read_code(2.0) for _ in range(5)]
    assert got == ["6225880112345678", "28xx", "https://qr.95516.com/a", "ABC", "银联"]


def test_no_code(scan: ScanRig) -> None:
    assert scan.scanner.read_code(0.1) is None


def test_scanner_port_vanishes(scan: ScanRig) -> None:
    if scan.unplug is None:
        pytest.skip("a virtual scanner has no port")
    scan.unplug()
    with pytest.raises(DeviceDisconnected):
        scan.scanner.read_code(1.0)
