"""The terminal's link to the acquirer host: CUP POS ISO 8583 over TCP (ARCHITECTURE.md section 5;
DOMAIN_FACTS section A for the framing, the reversal reasons and the timeouts).

| URL                                  | class               | reaches                           |
|--------------------------------------|---------------------|-----------------------------------|
| ``tcp://127.0.0.1:5000``             | ``TcpHostLink``     | ``posemu host``, a test host      |
| ``virtual://host`` (``?db=FILE``)    | ``VirtualHostLink`` | a simulator in this process       |

Options (both): ``connect_timeout`` (s, default 10), ``timeout`` (response, s, default 50), ``retries``
(default 3), ``tpdu`` (10 hex digits, default ``6000060000``), ``mac`` (``cup-ecb`` or ``x9.19``).

:meth:`SocketHostLink.transact` sends one :class:`host.protocol.Message`: it sets the TPDU, MACs every
request but the 08xx network messages once a MAK is set, frames it, and waits for *its* reply: MTI plus
10, the same trace (11) and TID (41); anything else that arrives (a late reply to an earlier request) is
logged and dropped. One request is in flight per link (a lock); every wait has a deadline. Connecting is
tried ``1 + retries`` times; a request is sent again after a timeout or a dropped connection only when
it is safe to repeat (network management, reversal, settlement, batch upload: the host treats them
idempotently). The link reconnects by itself on the next request after any failure.

What the terminal acts on (all :class:`HostError`, itself a :class:`drivers.errors.DeviceError`):

=========================  ===========================================================================
``HostUnavailable``        no connection (refused, unreachable) or it dropped. ``request_sent`` says
                           whether the host may have the request: reverse a reversible one if so.
``HostTimeout``            the request left, no reply in time (also ``TimeoutError``): reverse with 98.
``HostMacError``           the reply's MAC is missing (on an approval) or wrong (also
                           :class:`host.errors.MacError`): reverse with A0 and sign on again.
``HostFormatError``        the reply does not decode (also :class:`host.errors.Iso8583Error`): treat as
                           no reply: reverse a reversible request with 98.
``HostBusy``               another request is in flight on this link longer than the timeout.
=========================  ===========================================================================

A reply's processing-requirement nibble 3 (sign on again) is the terminal's to read from the header.
:meth:`SocketHostLink.exchange` is the raw level of :class:`drivers.base.HostLink`: a framed request in,
the matching framed reply out, no MAC handling. Longer than STYLE.md's 400 lines because the error
table the terminal acts on, the link and its two URL schemes belong together.
"""

# ruff: noqa: N818  (the names are STYLE.md section 5's error table)
from __future__ import annotations

import logging
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult

from drivers.errors import BadDeviceUrl, DeviceDisconnected, DeviceError, DeviceTimeout
from host.errors import FrameError, Iso8583Error, MacError
from host.fastcodec import frame_fast as frame
from host.fastcodec import unframe_fast as unframe
from host.framing import MAX_LENGTH, PREFIX_SIZE, read_length
from host.mac import CUP_ECB, X9_19, MacProfile, mac_message, verify_mac
from host.protocol import Message, Tpdu

__all__ = [
    "HostBusy",
    "HostError",
    "HostFormatError",
    "HostMacError",
    "HostTimeout",
    "HostUnavailable",
    "LinkSettings",
    "SocketHostLink",
    "TcpHostLink",
    "VirtualHostLink",
    "open_tcp_host",
    "open_virtual_host",
]

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------


class HostError(DeviceError):
    """The acquirer link failed; ``request_sent`` says whether the host may have received the request."""

    def __init__(self, url: str, reason: str, *, request_sent: bool = False) -> None:
        super().__init__(url, reason)
        self.request_sent = request_sent

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.url, self.reason, self.request_sent))


def _rebuild(cls: type[HostError], url: str, reason: str, sent: bool) -> HostError:
    return cls(url, reason, request_sent=sent)


class HostUnavailable(HostError, DeviceDisconnected):
    """No connection to the host, or it dropped (before the reply, when ``request_sent``)."""


class HostTimeout(HostError, DeviceTimeout):
    """The request was sent and no matching reply came in time (also a ``TimeoutError``)."""


class HostBusy(HostError):
    """Another request holds the link (one request in flight per terminal)."""


class HostMacError(HostError, MacError):
    """The reply's MAC is wrong, or an approval came without one (also :class:`host.errors.MacError`)."""

    def __init__(self, url: str, reason: str, *, request_sent: bool = True) -> None:
        HostError.__init__(self, url, reason, request_sent=request_sent)
        self.reason, self.field, self.offset = reason, 64, None


class HostFormatError(HostError, Iso8583Error):
    """The reply does not decode (also :class:`host.errors.Iso8583Error`); ``field``/``offset`` say where."""

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        request_sent: bool = True,
        field: int | None = None,
        offset: int | None = None,
    ) -> None:
        HostError.__init__(self, url, reason, request_sent=request_sent)
        self.reason, self.field, self.offset = reason, field, offset


# ---------------------------------------------------------------------------------------------------------
# The link
# ---------------------------------------------------------------------------------------------------------


_DEFAULT_TPDU = Tpdu(destination=0x0006)


@dataclass(frozen=True)
class LinkSettings:
    """Timeouts and retries (CUP terminal defaults: connect 10 s, response 50 s, 3 retries), TPDU, MAC."""

    connect_timeout_s: float = 10.0
    response_timeout_s: float = 50.0
    retries: int = 3
    retry_delay_s: float = 0.2
    tpdu: Tpdu | None = _DEFAULT_TPDU
    mac: MacProfile = CUP_ECB
    max_frame: int = MAX_LENGTH


def _resendable(mti: str) -> bool:
    """Requests the host handles idempotently, so the link may send them again after a timeout."""
    return mti[:2] in ("08", "04", "05", "03", "06")


def _response_mti(mti: str) -> str:
    return f"{int(mti) + 10:04d}"


class _Dropped(Exception):
    """The peer closed the connection while the link waited."""


class SocketHostLink:
    """The link over any stream socket; ``connect(timeout_s)`` opens one (TCP, or a socket pair)."""

    def __init__(self, url: str, connect: Callable[[float], socket.socket], settings: LinkSettings) -> None:
        self.url = url
        self.settings = settings
        self._connect = connect
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._mak: bytes | None = None

    # -- keys --------------------------------------------------------------------------------------------

    def set_mac_key(self, mak: bytes | None) -> None:
        """The session MAK from the last sign-on (None after sign-off: requests go unMAC'd)."""
        self._mak = mak

    @property
    def mac_key(self) -> bytes | None:
        """The session MAK in use (for a caller that must put it back after a failed sign-on)."""
        return self._mak

    # -- the two levels ----------------------------------------------------------------------------------

    def transact(self, request: Message, timeout_s: float | None = None) -> Message:
        """Send ``request`` (TPDU set, MAC'd when a MAK is set and it is not an 08xx) and return its reply.

        Raises:
            HostUnavailable, HostTimeout, HostMacError, HostFormatError, HostBusy: see the module docstring.
            Iso8583Error: the request itself does not encode (a bug in the caller).
        """
        if self.settings.tpdu is not None:
            request = replace(request, tpdu=self.settings.tpdu)
        macs = self._mak is not None and not request.mti.startswith("08")
        if macs and self._mak is not None:
            request = mac_message(request, self._mak, self.settings.mac)
        wire = frame(request, self.settings.max_frame)
        reply, _ = self._transact(wire, request, timeout_s)
        if macs and self._mak is not None:
            self._check_mac(reply, self._mak)
        return reply

    def exchange(self, request: bytes, timeout_s: float) -> bytes:
        """Send one framed request and return the framed reply matching it (no MAC handling).

        Raises:
            HostError subclasses as :meth:`transact`; Iso8583Error: ``request`` is not a valid frame.
        """
        msg = unframe(request, self.settings.max_frame)
        _, raw = self._transact(bytes(request), msg, timeout_s)
        return raw

    def close(self) -> None:
        """Close the connection (the next request reconnects)."""
        self._drop()

    # -- internals ---------------------------------------------------------------------------------------

    def _check_mac(self, reply: Message, mak: bytes) -> None:
        if reply.get(64) is None:
            if reply.get(39) == "00":
                raise HostMacError(self.url, f"{reply.mti} approval without a MAC")
            return  # a decline the host could not MAC (A0, 30, 97)
        try:
            verify_mac(reply, mak, self.settings.mac)
        except MacError:
            raise HostMacError(self.url, f"{reply.mti} MAC does not verify") from None

    def _transact(self, wire: bytes, request: Message, timeout_s: float | None) -> tuple[Message, bytes]:
        timeout = self.settings.response_timeout_s if timeout_s is None else timeout_s
        if not self._lock.acquire(timeout=timeout + self.settings.connect_timeout_s):
            raise HostBusy(self.url, "another request is in flight")
        try:
            return self._send_and_wait(wire, request, timeout)
        finally:
            self._lock.release()

    def _send_and_wait(self, wire: bytes, request: Message, timeout: float) -> tuple[Message, bytes]:
        retries, attempt, sent = self.settings.retries, 0, False
        while True:
            try:
                sock = self._connected()
            except HostUnavailable as exc:  # a reconnect for a resend failed: the first copy may have arrived
                raise HostUnavailable(self.url, exc.reason, request_sent=sent) from None
            try:
                sock.settimeout(self.settings.connect_timeout_s)
                sock.sendall(wire)
                sent = True
            except OSError as exc:
                self._drop()
                if attempt < retries:
                    attempt += 1
                    continue
                raise HostUnavailable(
                    self.url, f"send failed ({exc.__class__.__name__})", request_sent=sent
                ) from None
            try:
                return self._await_reply(sock, request, time.monotonic() + timeout)
            except (TimeoutError, _Dropped, OSError) as exc:
                self._drop()
                if _resendable(request.mti) and attempt < retries:
                    attempt += 1
                    log.warning("no reply to %s trace %s, sending it again", request.mti, request.get(11))
                    continue
                if isinstance(exc, TimeoutError):
                    raise HostTimeout(
                        self.url, f"no reply to {request.mti} within {timeout:g} s", request_sent=True
                    ) from None
                raise HostUnavailable(
                    self.url, "connection dropped before the reply", request_sent=True
                ) from None

    def _connected(self) -> socket.socket:
        if self._sock is not None and self._stale(self._sock):
            self._drop()
        if self._sock is not None:
            return self._sock
        last = "refused"
        for attempt in range(self.settings.retries + 1):
            if attempt:
                time.sleep(self.settings.retry_delay_s)
            try:
                self._sock = self._connect(self.settings.connect_timeout_s)
                return self._sock
            except TimeoutError:
                last = "connect timed out"
            except OSError as exc:
                last = f"cannot connect ({exc.__class__.__name__})"
        raise HostUnavailable(self.url, last)

    @staticmethod
    def _stale(sock: socket.socket) -> bool:
        """True when the peer closed the idle connection; late replies waiting in it are dropped."""
        try:
            while select.select([sock], [], [], 0)[0]:
                data = sock.recv(65536)
                if not data:
                    return True
                log.warning("dropping %d unsolicited byte(s) from the host", len(data))
        except OSError:
            return True
        return False

    def _drop(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def _recv_exactly(self, sock: socket.socket, size: int, deadline: float) -> bytes:
        out = bytearray()
        while len(out) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            chunk = sock.recv(size - len(out))
            if not chunk:
                raise _Dropped
            out += chunk
        return bytes(out)

    def _await_reply(self, sock: socket.socket, request: Message, deadline: float) -> tuple[Message, bytes]:
        want = (_response_mti(request.mti), request.get(11), request.get(41))
        while True:
            prefix = self._recv_exactly(sock, PREFIX_SIZE, deadline)
            try:
                length = read_length(prefix, self.settings.max_frame)
            except FrameError as exc:
                self._drop()
                raise HostFormatError(self.url, f"reply: {exc.reason}", offset=exc.offset) from None
            raw = prefix + self._recv_exactly(sock, length, deadline)
            try:
                reply = unframe(raw, self.settings.max_frame)
            except Iso8583Error as exc:
                raise HostFormatError(
                    self.url, f"reply: {exc.reason}", field=exc.field, offset=exc.offset
                ) from None
            got = (reply.mti, reply.get(11), reply.get(41) if want[2] is not None else None)
            if got == want or (got[0] == want[0] and reply.get(39) == "30" and got[1] is None):
                return reply, raw
            log.warning(
                "dropping an unmatched reply %s trace %s (waiting for %s trace %s)",
                got[0],
                got[1],
                want[0],
                want[1],
            )


# ---------------------------------------------------------------------------------------------------------
# The two URL schemes
# ---------------------------------------------------------------------------------------------------------


class TcpHostLink(SocketHostLink):
    """``tcp://host:port``: a real host or ``posemu host``."""

    def __init__(
        self, host: str, port: int, settings: LinkSettings | None = None, url: str | None = None
    ) -> None:
        def connect(timeout_s: float) -> socket.socket:
            sock = socket.create_connection((host, port), timeout=timeout_s)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock

        super().__init__(url or f"tcp://{host}:{port}", connect, settings or LinkSettings())


class VirtualHostLink(SocketHostLink):
    """``virtual://host``: the simulator on a thread of this process, reached through a socket pair.

    Test-side API: :attr:`host` is the :class:`host.runner.SimulatorThread` (``host.call(fn)`` runs
    ``fn(simulator)`` on its loop: faults, wallets, accounts).
    """

    def __init__(
        self, db: str | Path = ":memory:", settings: LinkSettings | None = None, url: str = "virtual://host"
    ) -> None:
        from host.runner import SimulatorThread

        self.host = SimulatorThread(db).start()

        def connect(timeout_s: float) -> socket.socket:
            return self.host.connect()

        super().__init__(url, connect, settings or LinkSettings())

    def close(self) -> None:
        """Close the connection and stop the simulator."""
        super().close()
        self.host.stop()


_OPTIONS = frozenset({"connect_timeout", "timeout", "retries", "tpdu", "mac", "db"})


def _settings(url: str, options: dict[str, str]) -> LinkSettings:
    from drivers import float_option

    tpdu_hex = options.get("tpdu", "6000060000")
    try:
        tpdu = Tpdu.from_bytes(bytes.fromhex(tpdu_hex)) if len(tpdu_hex) == 10 else None
    except (ValueError, FrameError):
        tpdu = None
    if tpdu is None:
        raise BadDeviceUrl(url, f"option tpdu={tpdu_hex!r} is not 10 hex digits starting 60")
    mac = {"cup-ecb": CUP_ECB, "x9.19": X9_19}.get(options.get("mac", "cup-ecb"))
    if mac is None:
        raise BadDeviceUrl(url, "option mac is cup-ecb or x9.19")
    retries = options.get("retries", "3")
    if not retries.isdigit() or int(retries) > 10:
        raise BadDeviceUrl(url, f"option retries={retries!r} is not 0..10")
    return LinkSettings(
        float_option(url, options, "connect_timeout", 10.0),
        float_option(url, options, "timeout", 50.0),
        int(retries),
        tpdu=tpdu,
        mac=mac,
    )


def open_tcp_host(parts: SplitResult) -> TcpHostLink:
    """The factory behind ``tcp://host:port`` (nothing connects until the first request).

    Raises:
        BadDeviceUrl: no host or port, or a bad option.
    """
    from drivers import device_url, query_options

    url = device_url(parts)
    options = query_options(parts, _OPTIONS - {"db"})
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise BadDeviceUrl(url, "needs a host and a port: tcp://127.0.0.1:5000")
    return TcpHostLink(parts.hostname, port, _settings(url, options), url)


def open_virtual_host(parts: SplitResult) -> VirtualHostLink:
    """The factory behind ``virtual://host`` (``?db=FILE`` for a store on disk; default in memory).

    Raises:
        BadDeviceUrl: a bad option. StoreError, ConfigError: the simulator's store did not open.
    """
    from drivers import device_url, query_options

    url = device_url(parts)
    options = query_options(parts, _OPTIONS)
    return VirtualHostLink(options.get("db", ":memory:"), _settings(url, options), url)
