"""Small scripted cards for the reader contract suites (STYLE.md section 7: fakes are small classes).

``ContractCard`` answers a fixed script covering the reader duties: a plain SELECT, T=0 ``61xx`` and
``6Cxx``, a long response (chained on ISO-DEP), a long command, and ``INS EE``, which pulls the card out
mid-command (it raises the virtual cards' ``CardRemovedError``).
"""

from __future__ import annotations

from emv.cards.errors import CardRemovedError

ATR = bytes.fromhex("3B888001000000000000000000")
FCI = bytes.fromhex("6F1A840E315041592E5359532E4444463031A5088801015F2D027A68")
RECORD_18 = bytes.fromhex("7010" + "5A0862242429000001135F2403300831")
LONG_RECORD = bytes.fromhex("7081F5") + bytes(range(245))
SELECT = bytes.fromhex("00A404000E315041592E5359532E444446303100")
READ_6C = bytes.fromhex("00B2010C00")
GET_DATA_61 = bytes.fromhex("80CA9F3600")
READ_LONG = bytes.fromhex("00B2020C00")
PULL = bytes.fromhex("00EE000000")


def long_command(n: int = 120) -> bytes:
    """An UPDATE-like command with ``n`` data bytes; the card answers with ``n`` as one byte."""
    return bytes((0x80, 0xD6, 0x00, 0x00, n)) + bytes(i & 0xFF for i in range(n))


class ContractCard:
    atr = ATR

    def __init__(self) -> None:
        self.commands: list[bytes] = []

    def transmit(self, c: bytes) -> bytes:
        self.commands.append(bytes(c))
        if c == SELECT:
            return FCI + b"\x90\x00"
        if c == READ_6C:
            return b"\x6c\x12"
        if c == bytes.fromhex("00B2010C12"):
            return RECORD_18 + b"\x90\x00"
        if c == GET_DATA_61:
            return b"\x61\x05"
        if c == bytes.fromhex("00C0000005"):
            return bytes.fromhex("9F360200019000")
        if c == READ_LONG:
            return LONG_RECORD + b"\x90\x00"
        if c[:2] == b"\x80\xd6" and len(c) > 5:
            return bytes((c[4],)) + b"\x90\x00"
        if c[1:2] == b"\xee":
            raise CardRemovedError()
        return b"\x6d\x00"


def wait_slot_empty(slot: int, timeout_s: float = 3.0) -> None:
    """Wait until pcscd reports vpcd slot ``slot`` empty (it polls every 0.4 s), so the next test's insert
    is seen as a new card: re-inserting before pcscd noticed the removal confuses it (RECIPES.md)."""
    import time

    from drivers import open_device
    from drivers.base import CardReader
    from drivers.bridges.pcscd import slot_reader_name

    reader = open_device(f"pcsc://?name={slot_reader_name(slot)}")
    assert isinstance(reader, CardReader)
    deadline = time.monotonic() + timeout_s
    while reader.is_present() and time.monotonic() < deadline:
        reader.wait_event(0.2)
    reader.close()
