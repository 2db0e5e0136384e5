"""The acquirer host simulator: an asyncio TCP server speaking the CUP POS profile (ARCHITECTURE.md
section 5; DOMAIN_FACTS section A for the framing: 2-byte length, TPDU, 6-byte header, ISO 8583 body).

One :class:`asyncio.Protocol` per connection reads whole frames, decodes each, lets
:class:`host.acquirer.Acquirer` decide, waits until the store has committed what the decision changed
(:meth:`host.store.Store.when_durable`: every approval is on disk before its reply leaves), then MACs
and writes the reply, or applies the fault a rule chose (delay, no answer, close, garble, wrong MAC).

Bad input never stops the server. A length prefix under the minimum or over ``max_frame``, a frame whose
bytes stop coming for ``frame_timeout_s``, a TPDU that does not start with ``60`` or a header with a
non-digit nibble close that connection (the stream cannot be trusted to stay in step). A body that does
not decode (bad BCD, a field the profile does not define, a length that runs past the end, bytes after
the last field) is answered with response code 30 when its MTI is a known request, with fields 11 and 41
salvaged when they precede the fault so that the terminal can match it; otherwise the connection is
closed. Every such event is logged with its position and reason, never the bytes, so no PAN reaches the
log.

:meth:`Simulator.start` listens on TCP; :meth:`Simulator.attach` serves an already connected socket (the
in-process ``virtual://host`` link). Test and admin calls (faults, wallets, cards) are plain methods that
must run on the simulator's loop; :class:`host.runner.SimulatorThread` runs them from other threads.
Longer than STYLE.md's 400 lines because of that test-side API, which belongs with the server it steers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import ipaddress
import logging
import socket
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from host.acquirer import Acquirer, Outcome, response_mti
from host.errors import FrameError, Iso8583Error
from host.fastcodec import frame_fast, unframe_fast
from host.faults import FaultAction, FaultRule, rule_from_config
from host.framing import BODY_OFFSET, PREFIX_SIZE, frame, read_length
from host.profile import FIELDS, MTIS, Kind
from host.protocol import Header, Message, Tpdu, reply_tpdu
from host.records import Account, CardStatus
from host.seed import ServerSettings, load_host_config, seed_store
from host.store import Store, StoreError

__all__ = ["Simulator", "encode_reply", "salvage_ids", "tune_process"]

log = logging.getLogger(__name__)

_MAC_SIZE = 8


def salvage_ids(body: bytes) -> dict[int, str]:
    """Fields 11 and 41 of a body that does not decode, when they come before the fault.

    Walks the bitmap and the fields in order by the profile's formats, without checking their contents,
    and stops at the first field it cannot size.

    >>> salvage_ids(bytes.fromhex("0820002000000080000000000731303030303031390011FF"))
    {11: '000007', 41: '10000019'}
    """
    out: dict[int, str] = {}
    if len(body) < 10:
        return out
    bits = int.from_bytes(body[2:10], "big")
    pos = 10
    for number in range(2, 65):
        if not bits >> (64 - number) & 1:
            continue
        spec = FIELDS.get(number)
        if spec is None or number > 41:
            break
        if spec.prefix:
            size_bytes = (spec.prefix + 1) // 2
            digits = body[pos : pos + size_bytes].hex()
            if len(digits) != size_bytes * 2 or not digits.isdigit():
                break
            length, pos = int(digits), pos + size_bytes
        else:
            length = spec.max_len
        size = (length + 1) // 2 if spec.is_bcd else length
        value = body[pos : pos + size]
        if len(value) != size:
            break
        pos += size
        if number == 11 and value.hex().isdigit():
            out[11] = value.hex()
        elif number == 41 and spec.kind is Kind.ANS and all(0x20 <= b < 0x7F for b in value):
            out[41] = value.decode("ascii")
    return out


def encode_reply(outcome: Outcome) -> bytes:
    """The frame of an outcome's reply, with field 64 computed under ``mac`` (the CUP ECB MAC).

    Field 64 is the last field: its bit is set in the encoded bitmap and the MAC appended, which gives the
    bytes :func:`host.mac.mac_message` would (the MAC block is the body with bit 64 set, without it).

    Raises:
        Iso8583Error: a reply the profile cannot encode (a bug in the acquirer).
    """
    msg = outcome.reply
    if msg is None:
        return b""
    if outcome.mac is None:
        return frame_fast(msg)
    wire = bytearray(frame_fast(msg.with_fields({64: None}) if 64 in msg.fields else msg))
    wire[BODY_OFFSET + 9] |= 0x01  # bit 64, the last bit of the primary bitmap
    wire += outcome.mac.mac(bytes(wire[BODY_OFFSET:]))
    wire[:PREFIX_SIZE] = (len(wire) - PREFIX_SIZE).to_bytes(PREFIX_SIZE, "big")
    return bytes(wire)


def tune_process() -> None:
    """Process-wide settings for a process that is a dedicated host (``posemu host``, the load generator's
    server; never a terminal or a test): the commit thread gets the GIL back within 0.5 ms instead of 5,
    and the objects alive after start-up leave the garbage collector's generations, with fewer young
    collections (the simulator also freezes its growing ledger periodically: ``gc_freeze_s``)."""
    sys.setswitchinterval(0.0005)
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def _garble(wire: bytes) -> bytes:
    return wire[:BODY_OFFSET] + bytes(b ^ 0xFF for b in wire[BODY_OFFSET:])


def _spoil_mac(wire: bytes) -> bytes:
    return wire[:-1] + (b"0" if wire[-1:] != b"0" else b"1")


class _Connection(asyncio.Protocol):
    """One terminal connection: frames in, replies out, in order of arrival."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.loopback = True
        self.closed = False
        self.pending = 0  # replies waiting for a commit or a delay
        self.eof = False
        self._frame_timer: asyncio.TimerHandle | None = None
        self.last_activity = 0.0  # loop time of the last bytes received (the idle sweep reads it)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and peer:
            self.peer = f"{peer[0]}:{peer[1]}"
            try:
                self.loopback = ipaddress.ip_address(peer[0]).is_loopback
            except ValueError:
                self.loopback = False
        self.sim.connections.add(self)
        self.sim.stats["connections"] += 1
        self.last_activity = asyncio.get_running_loop().time()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.sim.connections.discard(self)
        if self._frame_timer is not None:
            self._frame_timer.cancel()

    def close(self, reason: str) -> None:
        if not self.closed and self.transport is not None:
            log.info("closing connection %s: %s", self.peer, reason)
            self.closed = True
            self.transport.close()

    def eof_received(self) -> bool:
        """The terminal half-closed: answer what is pending, then close."""
        self.eof = True
        if not self.pending:
            self.close("end of input")
        return True

    def done_one(self) -> None:
        self.pending -= 1
        if self.eof and not self.pending:
            self.close("end of input")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        loop = asyncio.get_running_loop()
        self.last_activity = loop.time()
        while not self.closed and len(self.buffer) >= PREFIX_SIZE:
            try:
                length = read_length(bytes(self.buffer[:PREFIX_SIZE]), self.sim.settings.max_frame)
            except FrameError as exc:
                self.sim.stats["bad_frames"] += 1
                log.warning("bad frame from %s: %s", self.peer, exc)
                self.close("bad length prefix")
                return
            if len(self.buffer) < PREFIX_SIZE + length:
                break
            wire = bytes(self.buffer[: PREFIX_SIZE + length])
            del self.buffer[: PREFIX_SIZE + length]
            try:
                self.sim.process(self, wire)
            except Exception as exc:  # a bug must not take the server down; the log names no data
                log.error("internal error on a frame from %s: %s", self.peer, exc.__class__.__name__)
                self.close("internal error")
        if self._frame_timer is not None:
            self._frame_timer.cancel()
            self._frame_timer = None
        if self.buffer and not self.closed:
            loop = asyncio.get_running_loop()
            self._frame_timer = loop.call_later(
                self.sim.settings.frame_timeout_s, self.close, "truncated frame"
            )

    def send(self, wire: bytes) -> None:
        if not self.closed and self.transport is not None and wire:
            self.transport.write(wire)


class Simulator:
    """The host: an :class:`host.acquirer.Acquirer` behind a TCP server, and its test-side API."""

    def __init__(
        self,
        store: Store,
        settings: ServerSettings | None = None,
        now: Callable[[], dt.datetime] = dt.datetime.now,
        gc_freeze_s: float | None = None,
    ) -> None:
        self.store = store
        self.gc_freeze_s = gc_freeze_s  # move the ledger out of the GC's reach this often (a host process)
        self.settings = settings or ServerSettings()
        self.acquirer = Acquirer(store, self.settings, now)
        self.connections: set[_Connection] = set()
        self.stats: Counter[str] = Counter()
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None

    @classmethod
    def open(
        cls,
        db: str | Path = ":memory:",
        config: dict[str, Any] | None = None,
        *,
        commit_thread: bool = False,
        **kw: Any,
    ) -> Simulator:
        """A simulator on the store at ``db``, seeded from ``config`` (default: the shipped host.toml) if new;
        ``commit_thread`` as :meth:`host.store.Store.open` takes it.

        Raises:
            StoreError: the database cannot be opened. ConfigError: a malformed configuration.
        """
        config = load_host_config() if config is None else config
        store = Store.open(db, commit_thread=commit_thread)
        if store.is_empty:
            seed_store(store, config)
        return cls(store, ServerSettings.from_config(config), **kw)

    # ----------------------------------------------------------------------------------------------------
    # Serving
    # ----------------------------------------------------------------------------------------------------

    async def start(self, host: str | None = None, port: int | None = None) -> int:
        """Listen on ``host:port`` (default: the settings'); the bound port (``0`` picks a free one)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self),
            host or self.settings.host,
            self.settings.port if port is None else port,
            reuse_address=True,
        )
        self._start_sweeper()
        bound: int = self._server.sockets[0].getsockname()[1]
        log.info("host simulator listening on %s:%d", host or self.settings.host, bound)
        return bound

    async def attach(self, sock: socket.socket) -> None:
        """Serve one already connected socket (the in-process link's end of a socket pair)."""
        self._start_sweeper()
        await asyncio.get_running_loop().connect_accepted_socket(lambda: _Connection(self), sock)

    def _start_sweeper(self) -> None:
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_idle())

    async def _sweep_idle(self) -> None:
        """Close connections idle for ``idle_timeout_s`` (one timer for all, not one per request)."""
        limit = self.settings.idle_timeout_s
        period = min(limit / 4, 5.0, self.gc_freeze_s or 5.0)
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(period)
            if self.gc_freeze_s:
                gc.freeze()  # the ledger only grows: full collections would walk all of it again and again
            now = loop.time()
            for conn in list(self.connections):
                if now - conn.last_activity > limit:
                    conn.close("idle timeout")

    async def stop(self) -> None:
        """Stop listening, close every connection, and commit what is queued."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for conn in list(self.connections):
            conn.close("server stopping")
        try:
            await self.store.durable()
        except StoreError:
            pass

    def process(self, conn: _Connection, wire: bytes) -> None:
        """Decode one whole frame and answer it (called by the connection, on the loop)."""
        self.stats["requests"] += 1
        try:
            msg = unframe_fast(wire, self.settings.max_frame)
        except FrameError as exc:
            self.stats["bad_frames"] += 1
            log.warning("bad frame from %s: %s", conn.peer, exc)
            conn.close("bad envelope")
            return
        except Iso8583Error as exc:
            self.stats["format_errors"] += 1
            log.warning("undecodable message from %s: %s", conn.peer, exc)
            try:
                reply = self._format_error(wire)
            except Iso8583Error:
                reply = None
            if reply is None:
                conn.close("undecodable message")
            else:
                conn.send(reply)
            return
        outcome = self.acquirer.handle(msg, wire[BODY_OFFSET:], loopback=conn.loopback)
        if outcome.close or (outcome.reply is None and outcome.fault is None):
            conn.close("not a request")
            return
        try:
            wire = encode_reply(outcome)  # before the commit: after it, only the write is left
        except Iso8583Error as exc:  # a reply the acquirer built wrong: a bug, logged without data
            log.error("cannot encode the reply to %s: %s", conn.peer, exc)
            conn.close("internal error")
            return
        conn.pending += 1
        if not self.store.when_durable(lambda error: self._after_commit(conn, outcome, wire, error)):
            self._deliver(conn, outcome, wire)

    def _after_commit(
        self, conn: _Connection, outcome: Outcome, wire: bytes, error: StoreError | None
    ) -> None:
        if error is not None and outcome.reply is not None:  # not durable: no approval may leave
            self.stats["store_failures"] += 1
            outcome = Outcome(outcome.reply.with_fields({39: "96", 38: None, 55: None}), outcome.mac)
            wire = encode_reply(outcome)
        self._deliver(conn, outcome, wire)

    def _deliver(self, conn: _Connection, outcome: Outcome, wire: bytes) -> None:
        fault = outcome.fault
        if fault is None:
            self.stats["replies"] += 1
            conn.send(wire)
            conn.done_one()
            return
        action = FaultAction(fault.action)
        log.info("fault %d (%s) on a reply to %s", fault.id, action.value, conn.peer)
        self.stats[f"fault_{action.value}"] += 1
        if action is FaultAction.DELAY:
            asyncio.get_running_loop().call_later(fault.delay_ms / 1000, self._late, conn, wire)
            return
        if action is FaultAction.CLOSE:
            conn.close("fault: close")
        elif action is FaultAction.GARBLE:
            conn.send(_garble(wire))
        elif action is FaultAction.BAD_MAC:
            conn.send(_spoil_mac(wire) if outcome.mac is not None else wire)
        conn.done_one()  # NO_ANSWER: nothing goes back

    @staticmethod
    def _late(conn: _Connection, wire: bytes) -> None:
        conn.send(wire)
        conn.done_one()

    def _format_error(self, wire: bytes) -> bytes | None:
        """A 30 reply to a body that did not decode, if its MTI is a known request."""
        body = wire[BODY_OFFSET:]
        mti = body[:2].hex()
        if mti not in MTIS or mti[2] not in "02" or response_mti(mti) not in MTIS:
            return None
        tpdu = Tpdu.from_bytes(wire[PREFIX_SIZE:])
        header = Header.from_bytes(wire[PREFIX_SIZE + 5 :])
        fields: dict[int, str | bytes] = {**salvage_ids(body), 39: "30"}
        return frame(Message(response_mti(mti), fields, reply_tpdu(tpdu), header))

    # ----------------------------------------------------------------------------------------------------
    # Test-side API: call on the loop (host.runner.SimulatorThread.call from other threads)
    # ----------------------------------------------------------------------------------------------------

    def add_fault(self, action: str, **criteria: Any) -> int:
        """Add a fault rule (see :mod:`host.faults`; ``amount=`` for a magic amount); its id.

        Raises:
            FaultError: an unknown action or criterion.
        """
        rule = rule_from_config(self.store.next_fault_id, {"action": action, **criteria})
        self.store.save_fault(rule)
        return rule.id

    def remove_fault(self, fault_id: int) -> None:
        self.store.delete_fault(fault_id)

    def clear_faults(self) -> None:
        for fault_id in list(self.store.faults):
            self.store.delete_fault(fault_id)

    def faults(self) -> list[FaultRule]:
        return sorted(self.store.faults.values(), key=lambda r: r.id)

    def pay_order(self, ref: str, account_id: str | None = None) -> str:
        """A wallet pays a merchant-presented order; the response code (see :meth:`Wallets.pay_order`)."""
        return self.acquirer.wallets.pay_order(ref, account_id)

    def issue_code(self, account_id: str, *, ttl_s: float = 60.0) -> str:
        """A one-time customer-presented payment code for a wallet account."""
        return self.acquirer.wallets.issue_code(account_id, ttl_s=ttl_s)

    def account_of(self, pan: str) -> Account:
        """The account of a card (a copy: change it through :meth:`set_account`)."""
        a = self.store.accounts[self.store.cards[pan].account_id]
        return Account(a.id, a.balance_fen, a.held_fen, a.limit_fen, a.wallet)

    def account(self, account_id: str) -> Account:
        a = self.store.accounts[account_id]
        return Account(a.id, a.balance_fen, a.held_fen, a.limit_fen, a.wallet)

    def set_account(
        self, account_id: str, *, balance_fen: int | None = None, limit_fen: int | None = None
    ) -> None:
        a = self.store.accounts[account_id]
        if balance_fen is not None:
            a.balance_fen = balance_fen
        if limit_fen is not None:
            a.limit_fen = limit_fen
        self.store.save_account(a)

    def set_card(
        self, pan: str, *, status: str | None = None, expiry: str | None = None, script: str | None = None
    ) -> None:
        """Change a card: ``status`` (active/blocked/lost/stolen), ``expiry`` YYMM, a pending script."""
        card = self.store.cards[pan]
        if status is not None:
            card.status = CardStatus(status)
        if expiry is not None:
            card.expiry = expiry
        if script is not None:
            card.pending_script = script
        self.store.save_card(card)
