"""Shared fixtures and a scripted terminal for the host simulator tests (imported by the test modules)."""

from __future__ import annotations

import copy
import datetime as dt
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from drivers.host import LinkSettings, TcpHostLink
from emv import tlv
from host.framing import PREFIX_SIZE, read_length, unframe
from host.protocol import Message
from host.requests import (
    CardData,
    SessionKeys,
    TerminalId,
    encipher_pin,
    keys_from_sign_on,
    purchase,
    sign_on,
)
from host.runner import SimulatorThread
from host.seed import load_host_config
from host.testcards import TestCard

TMK = bytes.fromhex("1A2B3C4D5E6F70811A2B3C4D5E6F7081")  # config/defaults/host.toml, terminal 10000019
TERMINAL = TerminalId("10000019", "850100082410002")
OTHER_TMK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
OTHER_TERMINAL = TerminalId("10000020", "850100082410002")
PANS = {
    "visa-cda": "4761739001010010",
    "mc-dda": "5413330089020011",
    "pboc-sda": "6224242900000113",
}
FAST_LINK = LinkSettings(connect_timeout_s=2.0, response_timeout_s=2.0, retries=1, retry_delay_s=0.05)


def host_config(**server: Any) -> dict[str, Any]:
    """The shipped host.toml with ``[server]`` overrides (short timeouts for tests)."""
    config = copy.deepcopy(load_host_config())
    config["server"] = {**config.get("server", {}), "frame_timeout_s": 0.5, **server}
    return config


@pytest.fixture
def host() -> Iterator[SimulatorThread]:
    """A simulator listening on a free port of 127.0.0.1, in-memory store, stopped after the test."""
    with SimulatorThread(config=host_config(), listen=True) as running:
        yield running


@pytest.fixture
def link(host: SimulatorThread) -> Iterator[TcpHostLink]:
    assert host.port is not None
    tcp = TcpHostLink("127.0.0.1", host.port, FAST_LINK)
    yield tcp
    tcp.close()


@pytest.fixture
def term(link: TcpHostLink) -> Term:
    """Terminal 10000019, signed on."""
    t = Term(link)
    t.sign_on()
    return t


class Term:
    """A scripted terminal over a host link: trace numbers, batch, session keys, card data."""

    def __init__(self, link: TcpHostLink, ident: TerminalId = TERMINAL, tmk: bytes = TMK) -> None:
        self.link, self.ident, self.tmk = link, ident, tmk
        self._trace = 0
        self.keys: SessionKeys | None = None
        self.batch = 0
        self.atc = 0x0100
        self.last: Message | None = None  # the last request built, sent or not (for reversals)

    def trace(self) -> int:
        self._trace += 1
        return self._trace

    def sign_on(self, network_code: str = "003") -> Message:
        reply = self.link.transact(sign_on(self.ident, self.trace(), self.batch, network_code))
        assert reply[39] == "00"
        self.keys = keys_from_sign_on(reply, self.tmk)
        self.batch = self.keys.batch
        self.link.set_mac_key(self.keys.mak)
        return reply

    def send(self, msg: Message) -> Message:
        self.last = msg
        return self.link.transact(msg)

    def card(self, profile: str, amount_fen: int, *, pin: str | None = "", icc: bool = True) -> CardData:
        """Card data a chip card gives: ICC data with a valid ARQC, and the PIN block ("" = right PIN)."""
        card = TestCard.from_profile(profile)
        self.atc += 1
        pin_block = None
        if pin is not None:
            assert self.keys is not None
            pin_block = encipher_pin(self.keys.pik, pin or card.pin, card.pan)
        data = card.icc(amount_fen, atc=self.atc, un=self.atc.to_bytes(4, "big")) if icc else None
        return CardData(
            pan=card.pan,
            expiry=card.expiry,
            psn=card.psn,
            icc=data,
            pin_block=pin_block,
            entry_mode="051" if pin_block is not None else "052",
        )

    def purchase(self, profile: str, amount_fen: int, **card: Any) -> tuple[Message, Message]:
        request = purchase(
            self.ident, self.trace(), self.batch, amount_fen, self.card(profile, amount_fen, **card)
        )
        return request, self.send(request)


def icc_of(reply: Message) -> dict[int, bytes]:
    value = reply.get(55)
    return tlv.parse(value) if isinstance(value, bytes) else {}


def raw_exchange(port: int, wire: bytes, timeout_s: float = 2.0) -> Message | None:
    """Send raw bytes on a new connection; the decoded reply, or None when the host closed instead."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(wire)
        return read_reply(sock)


def read_reply(sock: socket.socket) -> Message | None:
    """One framed reply from ``sock``, or None on a closed connection."""
    data = b""
    while len(data) < PREFIX_SIZE:
        chunk = sock.recv(PREFIX_SIZE - len(data))
        if not chunk:
            return None
        data += chunk
    length = read_length(data)
    while len(data) < PREFIX_SIZE + length:
        chunk = sock.recv(PREFIX_SIZE + length - len(data))
        if not chunk:
            return None
        data += chunk
    return unframe(data)


def age_order(sim: Any, ref: str) -> None:
    """Make order ``ref`` older than the wallet's order lifetime (run on the simulator's loop)."""
    order = sim.store.orders[ref]
    created = dt.datetime.fromisoformat(order.created)
    order.created = (created - dt.timedelta(seconds=sim.acquirer.wallets.order_ttl_s + 1)).isoformat()
