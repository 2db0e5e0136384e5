"""A local 9100-style TCP printer that keeps and renders what ``escpos+tcp://`` prints (ESC/POS real-time
status: ``DLE EOT`` 1, 2, 4).

Listens on 127.0.0.1 (a free port unless given), one connection at a time. ``DLE EOT n`` in the stream is
answered at once with the status byte a real printer sends: online ``0x12`` (``0x08`` offline), cause
``0x12`` (``0x04`` cover open, ``0x20`` paper end stop), paper sensor ``0x12`` (``0x0C`` near end, ``0x60``
out). Test-side API: :meth:`set_paper`, :meth:`set_cover_open`, :meth:`paper_out_after` (bytes),
:meth:`drop_after` (close the connection after that many bytes), :attr:`received`, :meth:`render_text`,
:meth:`render_png`.
"""

from __future__ import annotations

import select
import socket
import threading

from drivers.base import PaperState
from drivers.escpos import PAPERS, Paper
from drivers.virtual.render import Rendering, parse_escpos

__all__ = ["PrinterServer"]


class PrinterServer:
    """A printer on ``127.0.0.1:port``; :attr:`url` is its ``escpos+tcp://`` URL."""

    def __init__(self, port: int = 0, paper: Paper = PAPERS["58"]) -> None:
        self.paper = paper
        self._received = bytearray()
        self._scan = 0
        self._lock = threading.Lock()
        self._paper: PaperState = "ok"
        self._cover_open = False
        self._online = True
        self._out_after: int | None = None
        self._drop_after: int | None = None
        self.connections = 0
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", port))
        self._server.listen(4)
        self.port: int = self._server.getsockname()[1]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"printer-{self.port}", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"escpos+tcp://127.0.0.1:{self.port}?paper={self.paper.name}&timeout=2"

    # -- test-side API ------------------------------------------------------------------------------
    @property
    def received(self) -> bytes:
        with self._lock:
            return bytes(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
            self._scan = 0

    def set_paper(self, state: PaperState) -> None:
        self._paper = state

    def set_cover_open(self, is_open: bool) -> None:
        self._cover_open = is_open

    def set_online(self, online: bool) -> None:
        self._online = online

    def paper_out_after(self, nbytes: int | None) -> None:
        """The paper runs out once this many more bytes arrived."""
        with self._lock:
            self._out_after = None if nbytes is None else len(self._received) + nbytes

    def drop_after(self, nbytes: int | None) -> None:
        """Close the connection once this many more bytes arrived (a printer unplugged mid-receipt)."""
        with self._lock:
            self._drop_after = None if nbytes is None else len(self._received) + nbytes

    def render(self) -> Rendering:
        return parse_escpos(self.received)

    def render_text(self) -> str:
        return self.render().text(self.paper.columns)

    def render_png(self) -> bytes:
        from drivers.virtual.paint import paint_png

        return paint_png(self.render(), self.paper.dots)

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stopped.set()
        self._thread.join(timeout_s)
        self._server.close()

    def __enter__(self) -> PrinterServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the thread ---------------------------------------------------------------------------------
    def _status(self, n: int) -> int:
        if n == 1:
            return 0x12 | (0 if self._online else 0x08)
        if n == 2:
            return 0x12 | (0x04 if self._cover_open else 0) | (0x20 if self._paper == "out" else 0)
        if n == 4:
            return 0x12 | {"near_end": 0x0C, "out": 0x6C}.get(self._paper, 0)
        return 0x12

    def _run(self) -> None:
        while not self._stopped.is_set():
            if not select.select([self._server], [], [], 0.1)[0]:
                continue
            try:
                conn, _addr = self._server.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        while not self._stopped.is_set():
            if not select.select([conn], [], [], 0.1)[0]:
                continue
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            replies = bytearray()
            with self._lock:
                self._received += chunk
                if self._out_after is not None and len(self._received) >= self._out_after:
                    self._paper, self._out_after = "out", None
                data, start = self._received, max(self._scan - 2, 0)
                while True:
                    at = data.find(b"\x10\x04", start)
                    if at < 0 or at + 2 >= len(data):
                        break
                    if at + 2 >= self._scan:  # not answered yet
                        replies.append(self._status(data[at + 2]))
                    start = at + 3
                self._scan = len(data)
                drop = self._drop_after is not None and len(self._received) >= self._drop_after
                if drop:
                    self._drop_after = None
            if drop:
                return  # closing the connection: the printer went away mid-document
            if replies:
                try:
                    conn.sendall(bytes(replies))
                except OSError:
                    return
