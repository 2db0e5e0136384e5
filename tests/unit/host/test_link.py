"""The terminal's host link (drivers.host): connecting, retries, reconnecting, reply matching, errors."""

from __future__ import annotations

import pickle
import socket
import threading
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from drivers.errors import BadDeviceUrl, DeviceDisconnected, DeviceTimeout
from drivers.host import (
    HostBusy,
    HostFormatError,
    HostMacError,
    HostTimeout,
    HostUnavailable,
    LinkSettings,
    TcpHostLink,
    VirtualHostLink,
    open_tcp_host,
    open_virtual_host,
)
from host.framing import frame, unframe
from host.mac import mac_message
from host.protocol import Message
from host.requests import echo_test, keys_from_sign_on, purchase, sign_on
from host.runner import SimulatorThread
from tests.unit.host.sim_support import FAST_LINK, TERMINAL, TMK, Term, host, link, read_reply

__all__ = ["host", "link"]

FAST = LinkSettings(connect_timeout_s=1.0, response_timeout_s=0.5, retries=2, retry_delay_s=0.01)


class FakeHost:
    """A scripted TCP host: ``answer(request, n)`` gives the frames to send back (None: close)."""

    def __init__(self, answer: Callable[[Message, int], list[bytes] | None]) -> None:
        self.answer = answer
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.server.getsockname()[1]
        self.requests: list[Message] = []
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    msg = read_reply(conn)
                except OSError:
                    return
                if msg is None:
                    return
                self.requests.append(msg)
                frames = self.answer(msg, len(self.requests))
                if frames is None:
                    return
                for f in frames:
                    conn.sendall(f)

    def close(self) -> None:
        self.server.close()


def _reply_to(msg: Message, **changes: str | None) -> bytes:
    fields: dict[int, str | bytes] = {n: msg.fields[n] for n in (11, 41, 42, 60) if n in msg.fields}
    fields[39] = "00"
    for key, value in changes.items():
        number = int(key[1:])
        if value is None:
            fields.pop(number, None)
        else:
            fields[number] = value
    return frame(Message(f"{int(msg.mti) + 10:04d}", fields))


@pytest.fixture
def fake() -> Iterator[Callable[[Callable[[Message, int], list[bytes] | None]], FakeHost]]:
    made: list[FakeHost] = []

    def make(answer: Callable[[Message, int], list[bytes] | None]) -> FakeHost:
        made.append(FakeHost(answer))
        return made[-1]

    yield make
    for f in made:
        f.close()


def _link(port: int, settings: LinkSettings = FAST) -> TcpHostLink:
    return TcpHostLink("127.0.0.1", port, settings)


def test_connection_refused_is_host_unavailable_after_the_retries() -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    link = _link(port)
    with pytest.raises(HostUnavailable) as info:
        link.transact(echo_test(TERMINAL, 1, 1))
    assert not info.value.request_sent and isinstance(info.value, DeviceDisconnected)


def test_unmatched_replies_are_dropped(fake: Callable[..., FakeHost]) -> None:
    def answer(msg: Message, n: int) -> list[bytes]:
        return [
            _reply_to(msg, f11="000999"),  # another trace
            _reply_to(msg, f41="99999999"),  # another terminal
            frame(Message("0830", {11: str(msg[11]), 41: str(msg[41]), 39: "05"})),  # another MTI
            _reply_to(msg),
        ]

    host = fake(answer)
    reply = _link(host.port).transact(purchase(TERMINAL, 5, 1, 100))
    assert (reply.mti, reply[11], reply[39]) == ("0210", "000005", "00")


def test_no_reply_is_host_timeout(fake: Callable[..., FakeHost]) -> None:
    host = fake(lambda msg, n: [])
    with pytest.raises(HostTimeout) as info:
        _link(host.port).transact(purchase(TERMINAL, 5, 1, 100))
    assert info.value.request_sent and isinstance(info.value, TimeoutError)
    assert isinstance(info.value, DeviceTimeout)
    assert len(host.requests) == 1  # a purchase is never sent twice


def test_network_messages_are_sent_again_after_a_timeout(fake: Callable[..., FakeHost]) -> None:
    host = fake(lambda msg, n: [] if n == 1 else [_reply_to(msg)])
    reply = _link(host.port).transact(echo_test(TERMINAL, 6, 1))
    assert reply[39] == "00" and len(host.requests) == 2 and host.connections == 2


def test_dropped_connection_before_the_reply(fake: Callable[..., FakeHost]) -> None:
    host = fake(lambda msg, n: None)
    with pytest.raises(HostUnavailable) as info:
        _link(host.port).transact(purchase(TERMINAL, 5, 1, 100))
    assert info.value.request_sent


def test_reconnects_after_the_host_closed_an_idle_connection(fake: Callable[..., FakeHost]) -> None:
    host = fake(lambda msg, n: [_reply_to(msg)] if n % 2 else None)  # answer, then close on the next
    link = _link(host.port)
    assert link.transact(echo_test(TERMINAL, 1, 1))[39] == "00"
    with pytest.raises(HostUnavailable):
        link.transact(purchase(TERMINAL, 2, 1, 100))
    assert link.transact(purchase(TERMINAL, 3, 1, 100))[39] == "00"
    assert host.connections == 2


def test_late_reply_of_an_earlier_request_is_dropped(fake: Callable[..., FakeHost]) -> None:
    import time

    def answer(msg: Message, n: int) -> list[bytes]:
        if n == 1:
            time.sleep(0.7)  # later than the link waits
        return [_reply_to(msg)]

    host = fake(answer)
    link = _link(host.port, LinkSettings(1.0, 0.5, retries=0))
    with pytest.raises(HostTimeout):
        link.transact(purchase(TERMINAL, 1, 1, 100))
    assert link.transact(purchase(TERMINAL, 2, 1, 100))[11] == "000002"


def test_reply_mac_is_checked(fake: Callable[..., FakeHost]) -> None:
    mak = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")

    def answer(msg: Message, n: int) -> list[bytes]:
        reply = unframe(_reply_to(msg))
        if n == 1:
            return [frame(mac_message(reply, mak))]  # right MAC
        if n == 2:
            return [frame(mac_message(reply, bytes(16)))]  # wrong MAC
        if n == 3:
            return [frame(reply)]  # an approval without a MAC
        if n == 4:
            return [frame(reply.with_fields({39: "A0"}))]  # a decline the host could not MAC
        return [frame(reply)]

    host = fake(answer)
    link = _link(host.port)
    link.set_mac_key(mak)
    assert link.transact(purchase(TERMINAL, 1, 1, 100))[39] == "00"
    assert host.requests[0].get(64) is not None  # the request was MAC'd
    for trace in (2, 3):
        with pytest.raises(HostMacError) as info:
            link.transact(purchase(TERMINAL, trace, 1, 100))
        assert info.value.request_sent and info.value.field == 64
    assert link.transact(purchase(TERMINAL, 4, 1, 100))[39] == "A0"
    assert link.transact(echo_test(TERMINAL, 5, 1))[39] == "00"
    assert host.requests[-1].get(64) is None  # network messages go unMAC'd


def test_garbled_and_lying_replies_are_format_errors(fake: Callable[..., FakeHost]) -> None:
    host = fake(lambda msg, n: [b"\x00\x19" + bytes(25)] if n == 1 else [b"\xff\xff"])
    link = _link(host.port)
    with pytest.raises(HostFormatError) as info:
        link.transact(purchase(TERMINAL, 1, 1, 100))
    assert info.value.offset is not None
    with pytest.raises(HostFormatError):
        link.transact(purchase(TERMINAL, 2, 1, 100))


def test_one_request_in_flight(fake: Callable[..., FakeHost]) -> None:
    import time

    def answer(msg: Message, n: int) -> list[bytes]:
        time.sleep(0.3)
        return [_reply_to(msg)]

    host = fake(answer)
    link = _link(host.port, LinkSettings(1.0, 2.0))
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda t=t: results.append(str(link.transact(echo_test(TERMINAL, t, 1))[11])))
        for t in (1, 2)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == ["000001", "000002"] and host.connections == 1

    busy = _link(host.port, LinkSettings(0.1, 2.0, retries=0))
    holder = threading.Thread(target=busy.transact, args=(echo_test(TERMINAL, 3, 1),))
    holder.start()  # the fake host takes 0.3 s to answer
    time.sleep(0.1)
    with pytest.raises(HostBusy):
        busy.transact(echo_test(TERMINAL, 4, 1), timeout_s=0.05)
    holder.join()


def test_links_satisfy_the_host_link_protocol(host: SimulatorThread) -> None:
    from drivers.base import HostLink

    tcp = _link(host.port or 1)
    assert isinstance(tcp, HostLink)
    tcp.close()


def test_errors_pickle() -> None:
    for err in (HostTimeout("tcp://x:1", "late", request_sent=True), HostMacError("tcp://x:1", "bad MAC")):
        again = pickle.loads(pickle.dumps(err))
        assert type(again) is type(err) and again.request_sent and str(again) == str(err)


def test_raw_exchange_level(link: TcpHostLink) -> None:
    raw = link.exchange(frame(sign_on(TERMINAL, 1)), timeout_s=2.0)
    keys = keys_from_sign_on(unframe(raw), TMK)
    assert len(keys.mak) == 16


def test_tcp_url_options(host: SimulatorThread) -> None:
    link = open_tcp_host(
        urlsplit(f"tcp://127.0.0.1:{host.port}?timeout=2&connect_timeout=1&retries=0&tpdu=6000070000")
    )
    assert (link.settings.response_timeout_s, link.settings.retries) == (2.0, 0)
    assert Term(link).sign_on().tpdu.source == 7
    link.close()
    for bad in (
        "tcp://127.0.0.1",
        "tcp://127.0.0.1:5000?tpdu=61",
        "tcp://h:1?mac=md5",
        "tcp://h:1?retries=x",
        "tcp://h:1?x=1",
    ):
        with pytest.raises(BadDeviceUrl):
            open_tcp_host(urlsplit(bad))


def test_virtual_host_link() -> None:
    link = open_virtual_host(urlsplit("virtual://host?timeout=2"))
    assert isinstance(link, VirtualHostLink)
    try:
        t = Term(link)  # type: ignore[arg-type]
        t.sign_on()
        assert t.purchase("pboc-sda", 100)[1][39] == "00"
        assert link.host.call(lambda sim: sim.stats["replies"]) == 2
    finally:
        link.close()


def test_fast_link_settings_are_the_test_default() -> None:
    assert FAST_LINK.retries == 1
