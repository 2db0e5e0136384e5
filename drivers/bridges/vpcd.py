"""Serve a virtual card to pcscd through vsmartcard's vpcd reader driver (RECIPES.md "PC/SC for real").

The virtual card is the TCP client of vpcd (which runs inside pcscd and listens on its CHANNELID port,
40000 + slot in posemu's reader config). Every message both ways is a 2-byte big-endian length and the
bytes. A 1-byte message from vpcd is control: ``00`` power off, ``01`` power on, ``02`` reset (no reply),
``04`` get ATR (reply with the ATR). Anything longer is a C-APDU, answered with the R-APDU. Closing the
connection is removing the card.

Latency trap: vpcd writes the length and the payload separately, which collides with delayed ACK (a 44 ms
median round trip). ``TCP_QUICKACK`` is set again after every ``recv`` (Linux clears it), which brings the
round trip to about 0.1 ms. Replies go out in one ``sendall``.

A card is any object with ``atr: bytes`` and ``transmit(bytes) -> bytes`` (``emv.cards`` cards qualify).
If ``transmit`` raises (``emv.cards.errors.CardRemovedError`` after ``card.remove()``, or a test card
that pulls itself out mid-command), the bridge drops the connection: pcscd sees the card leave mid-APDU.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Protocol

__all__ = ["ServedCard", "VpcdBridge"]

log = logging.getLogger(__name__)

VPCD_BASE_PORT = 40000
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


class ServedCard(Protocol):
    """What the bridge needs of a virtual card."""

    @property
    def atr(self) -> bytes: ...

    def transmit(self, capdu: bytes) -> bytes: ...


class VpcdBridge:
    """One vpcd slot with (at most) one card in it. ``insert``/``remove`` as often as needed."""

    def __init__(self, port: int = VPCD_BASE_PORT, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.apdus = 0  # C-APDUs served, for tests and the bench
        self._card: ServedCard | None = None
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"vpcd-bridge-{port}", daemon=True)
        self._thread.start()

    # -- test-side API ------------------------------------------------------------------------------------
    def insert(self, card: ServedCard, timeout_s: float = 5.0) -> None:
        """Put ``card`` in the slot and wait until vpcd took the connection (pcscd reports the card
        present up to 0.4 s later).

        Raises:
            TimeoutError: vpcd did not accept within ``timeout_s`` (pcscd not running?).
        """
        self.remove()
        with self._lock:
            self._card = card
        self._wake.set()
        if not self._connected.wait(timeout_s):
            raise TimeoutError(f"vpcd on {self.host}:{self.port} did not accept the card in {timeout_s:g} s")

    def remove(self) -> None:
        """Pull the card out (close the connection). pcscd notices within about 0.4 s."""
        with self._lock:
            self._card = None
            sock, self._sock = self._sock, None
        self._connected.clear()
        if sock is not None:
            _shutdown(sock)

    @property
    def card(self) -> ServedCard | None:
        return self._card

    def stop(self, timeout_s: float = 2.0) -> None:
        """Remove the card and end the thread."""
        self._stopped.set()
        self.remove()
        self._wake.set()
        self._thread.join(timeout_s)

    def __enter__(self) -> VpcdBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the thread -----------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopped.is_set():
            card = self._card
            if card is None:
                self._wake.wait(0.2)
                self._wake.clear()
                continue
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                self._stopped.wait(0.05)  # pcscd (re)starting: try again, the loop is bounded by stop()
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(None)
            with self._lock:
                if self._card is not card:
                    _shutdown(sock)
                    continue
                self._sock = sock
            self._connected.set()
            try:
                self._serve(sock, card)
            finally:
                with self._lock:
                    if self._sock is sock:
                        self._sock = None
                _shutdown(sock)
                self._connected.clear()

    def _serve(self, sock: socket.socket, card: ServedCard) -> None:
        while True:
            head = _recv_exact(sock, 2)
            if head is None:
                log.debug("vpcd %d closed the connection", self.port)
                return
            body = _recv_exact(sock, int.from_bytes(head, "big"))
            if body is None:
                return
            if len(body) == 1:
                if body[0] == 0x04:
                    _send(sock, card.atr)
                elif body[0] in (0x01, 0x02):  # power on / reset: a fresh card session, no reply
                    reset = getattr(card, "reset", None)
                    if callable(reset):
                        reset()
                continue  # 00 power off: no reply
            self.apdus += 1
            try:
                reply = card.transmit(body)
            except Exception as exc:  # the card left mid-command: pcscd must see it go
                log.debug("vpcd %d: card raised %s, removing it", self.port, type(exc).__name__)
                with self._lock:
                    if self._card is card:
                        self._card = None
                return
            _send(sock, reply)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        if _QUICKACK is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            except OSError:
                return None
        buf += chunk
    return buf


def _send(sock: socket.socket, payload: bytes) -> None:
    try:
        sock.sendall(len(payload).to_bytes(2, "big") + payload)
    except OSError:
        pass  # the connection went away; the next recv ends the session


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
