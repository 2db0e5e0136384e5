"""Serve a virtual contactless card as an ISO-DEP (Type 4A) card on nfcpy's udp driver
(ISO/IEC 14443-3 anticollision and 14443-4 block protocol; RECIPES.md "NFC through nfcpy").

nfcpy's udp driver sends each frame as one ASCII datagram ``"106A <hex>"`` (``RFOFF`` when the reader
closes). nfcpy's own card emulation does Type 3 only and binds 0.0.0.0, so posemu answers the frames
itself on a socket bound to 127.0.0.1:

- ``26``/``52`` (REQA/WUPA) -> SENS_RES ``4400``; ``93 20`` -> UID + BCC; ``93 70 ...`` -> SAK ``20``;
- ``E0 xx`` (RATS) -> the ATS ``05 7x 80 y0 00`` (FSCI ``x``, FWI ``y``);
- I-blocks (with chaining: each chained block is answered with R(ACK)); a response longer than
  ``chain_at`` bytes goes out in chained I-blocks, the next one after each R(ACK) from the reader;
- R(NAK) -> the last block again when its number matches (ISO/IEC 14443-4 rule 6), else R(ACK);
- S(DESELECT) ``C2`` -> echoed; the card waits to be selected again.

A removed card is silent (the reader times out). A card whose ``transmit`` raises is removed.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
from binascii import hexlify, unhexlify
from typing import Any

__all__ = ["UdpCardBridge"]

log = logging.getLogger(__name__)


class UdpCardBridge:
    """One virtual card on ``udp:127.0.0.1:PORT`` (``port=0``: a free port, see :attr:`port`)."""

    def __init__(
        self,
        port: int = 0,
        uid: bytes = bytes.fromhex("08112233"),
        fsci: int = 8,
        fwi: int = 9,
        chain_at: int = 250,
    ) -> None:
        if len(uid) != 4:
            raise ValueError("a single-size (4-byte) UID only")
        self.uid = uid
        self.ats = bytes((0x05, 0x70 | fsci, 0x80, fwi << 4, 0x00))
        self.chain_at = chain_at
        self.apdus = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", port))
        self.port: int = self._sock.getsockname()[1]
        self._card: Any = None
        self._lock = threading.Lock()
        self._reset_link()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"nfc-udp-{self.port}", daemon=True)
        self._thread.start()

    @property
    def path(self) -> str:
        """The nfcpy device path of this card's field."""
        return f"udp:127.0.0.1:{self.port}"

    def tap(self, card: Any) -> None:
        """Bring ``card`` (``transmit(bytes) -> bytes``) into the field."""
        with self._lock:
            self._card = card
            self._reset_link()

    def remove(self) -> None:
        """Take the card out of the field: it stops answering."""
        with self._lock:
            self._card = None
            self._reset_link()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stopped.set()
        self._thread.join(timeout_s)
        self._sock.close()

    def __enter__(self) -> UdpCardBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the thread ---------------------------------------------------------------------------------
    def _reset_link(self) -> None:
        self._active = False
        self._command = b""
        self._pending = b""  # response bytes still to send in chained blocks
        self._last = b""  # the last block sent, for R(NAK)

    def _run(self) -> None:
        while not self._stopped.is_set():
            if not select.select([self._sock], [], [], 0.1)[0]:
                continue
            try:
                datagram, addr = self._sock.recvfrom(1024)
            except OSError:
                return
            if datagram.startswith(b"RFOFF"):
                with self._lock:
                    self._reset_link()
                continue
            try:
                brty, hexdata = datagram.split()
                frame = unhexlify(hexdata)
            except ValueError:
                continue
            with self._lock:
                reply = self._answer(frame) if self._card is not None and brty == b"106A" else None
            if reply is not None:
                self._sock.sendto(b"106A " + hexlify(reply), addr)

    def _answer(self, frame: bytes) -> bytes | None:
        bcc = self.uid[0] ^ self.uid[1] ^ self.uid[2] ^ self.uid[3]
        if frame in (b"\x26", b"\x52"):
            self._reset_link()
            return b"\x44\x00"
        if frame == b"\x93\x20":
            return self.uid + bytes((bcc,))
        if frame == b"\x93\x70" + self.uid + bytes((bcc,)):
            return b"\x20"
        if frame[:1] == b"\xe0" and len(frame) == 2:
            self._reset_link()
            self._active = True
            return self.ats
        if not self._active or not frame:
            return None
        pcb = frame[0]
        if pcb & 0xE2 == 0x02:  # I-block
            bn = pcb & 1
            self._command += frame[1:]
            if pcb & 0x10:  # the reader chains: acknowledge, wait for the rest
                return self._send(bytes((0xA2 | bn,)))
            command, self._command = self._command, b""
            self.apdus += 1
            try:
                self._pending = bytes(self._card.transmit(command))
            except Exception as exc:  # the card left mid-command: go silent
                log.debug("udp card %d: card raised %s, removing it", self.port, type(exc).__name__)
                self._card = None
                self._reset_link()
                return None
            return self._next_block(bn)
        if pcb & 0xF6 == 0xA2:  # R(ACK): send the next chained block
            return self._next_block(pcb & 1) if self._pending else None
        if pcb & 0xF6 == 0xB2:  # R(NAK)
            if self._last and (self._last[0] & 1) == (pcb & 1):
                return self._last
            return self._send(bytes((0xA2 | (pcb & 1),)))
        if pcb == 0xC2:  # S(DESELECT)
            self._reset_link()
            return b"\xc2"
        return None

    def _next_block(self, bn: int) -> bytes:
        chunk, self._pending = self._pending[: self.chain_at], self._pending[self.chain_at :]
        more = 0x10 if self._pending else 0x00
        return self._send(bytes((0x02 | more | bn,)) + chunk)

    def _send(self, block: bytes) -> bytes:
        self._last = block
        return block
