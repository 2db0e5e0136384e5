"""Device round trips and receipt rendering (issue 6 figures), printed, never asserted.

- APDU round trip through the real PC/SC stack: pyscard -> pcscd -> vsmartcard vpcd -> posemu's vpcd
  bridge -> a virtual card (target median <= 0.3 ms; about 44 ms means the delayed-ACK trap is back).
  Needs pcscd and vsmartcard-vpcd, and no other pcscd running (one per machine): skipped otherwise.
- APDU round trip through nfcpy's udp driver to posemu's ISO-DEP card bridge.
- APDU round trip through the virtual reader in process.
- A sale slip: ESC/POS encoding, parsing, text and PNG rendering.

Each figure is the median of N timed calls after a warm-up; the card answers SELECT with ``9000``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SELECT = bytes.fromhex("00A404000E315041592E5359532E444446303100")
ATR = bytes.fromhex("3B888001000000000000000000")


class _Card:
    atr = ATR

    def transmit(self, capdu: bytes) -> bytes:
        return b"\x6f\x00\x90\x00"


def _median_ms(fn: Callable[[], object], n: int) -> tuple[float, float]:
    for _ in range(min(n // 10, 50)):
        fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000


def _report(name: str, n: int, median_ms: float, p95_ms: float, note: str = "") -> None:
    print(f"  {name:<34} median {median_ms:8.3f} ms   p95 {p95_ms:8.3f} ms   (n={n}){note}")


def bench_pcsc(n: int = 2000) -> None:
    try:
        from drivers import open_device
        from drivers.base import CardReader
        from drivers.bridges.pcscd import PcscdProcess, slot_reader_name
        from drivers.bridges.vpcd import VpcdBridge
        from drivers.errors import DeviceError
    except ModuleNotFoundError as exc:
        print(f"  pcsc: skipped (missing {exc.name})")
        return
    with tempfile.TemporaryDirectory() as tmp:
        proc = PcscdProcess(Path(tmp))
        try:
            proc.start()
        except DeviceError as exc:
            print(f"  pcsc: skipped ({exc})")
            return
        bridge = VpcdBridge(40000)
        try:
            bridge.insert(_Card())
            reader = open_device(f"pcsc://?name={slot_reader_name(0)}")
            assert isinstance(reader, CardReader)
            start = time.monotonic()
            reader.power_on(5.0)
            seen = (time.monotonic() - start) * 1000
            med, p95 = _median_ms(lambda: reader.transmit(SELECT), n)
            _report("pcsc -> pcscd -> vpcd -> card", n, med, p95, f"  insert seen after {seen:.0f} ms")
            reader.close()
        finally:
            bridge.stop()
            proc.stop()


def bench_nfc(n: int = 2000) -> None:
    try:
        import nfc  # noqa: F401
    except ModuleNotFoundError:
        print("  nfc: skipped (nfcpy missing)")
        return
    from drivers import open_device
    from drivers.base import ContactlessReader
    from drivers.bridges.nfcudp import UdpCardBridge

    with UdpCardBridge() as bridge:
        bridge.tap(_Card())
        reader = open_device(f"nfc://{bridge.path}")
        assert isinstance(reader, ContactlessReader)
        start = time.monotonic()
        reader.activate(5.0)
        seen = (time.monotonic() - start) * 1000
        med, p95 = _median_ms(lambda: reader.transmit(SELECT), n)
        _report("nfcpy udp -> ISO-DEP card", n, med, p95, f"  activated in {seen:.1f} ms")
        reader.close()


def bench_virtual(n: int = 20000) -> None:
    from drivers.virtual.reader import VirtualReader

    reader = VirtualReader("virtual://reader")
    reader.insert(_Card())
    reader.power_on(0.1)
    med, p95 = _median_ms(lambda: reader.transmit(SELECT), n)
    _report("virtual reader (in process)", n, med, p95)


def bench_receipt(n: int = 50) -> None:
    from drivers.document import Barcode, Cut, PrintOp, Qr, Text
    from drivers.escpos import encode_document
    from drivers.virtual.paint import find_cjk_font, paint_png
    from drivers.virtual.render import parse_escpos

    slip: list[PrintOp] = [Text("银联POS签购单", align="center", bold=True, width=2, height=2)]
    slip += [Text(f"第{i}行 LINE {i}: 商户 测试 RMB {i}.00") for i in range(20)]
    slip += [Qr("https://qr.95516.com/00010000/01234567890123456789", size=5), Barcode("000001000403"), Cut()]
    init, chunks = encode_document(slip)
    data = init + b"".join(chunks)
    med, p95 = _median_ms(lambda: encode_document(slip), n)
    _report("encode sale slip (python-escpos)", n, med, p95)
    med, p95 = _median_ms(lambda: parse_escpos(data).text(32), n)
    _report("ESC/POS -> text", n, med, p95)
    med, p95 = _median_ms(lambda: paint_png(parse_escpos(data), 384), n)
    font = find_cjk_font()
    _report("ESC/POS -> PNG (58 mm)", n, med, p95, f"  font {Path(font[0]).name if font else 'none: boxes'}")


def main() -> None:
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(Path(".cache/escpos").resolve()))
    print("drivers: APDU round trips and receipt rendering")
    bench_pcsc()
    bench_nfc()
    bench_virtual()
    bench_receipt()


if __name__ == "__main__":
    main()
