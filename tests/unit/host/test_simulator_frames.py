"""Malformed frames: a 30 reply or a closed connection, logged without PANs, and the server serves on."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from host.framing import frame
from host.protocol import Message
from host.requests import CardData, echo_test, purchase
from host.runner import SimulatorThread
from tests.unit.host.sim_support import PANS, TERMINAL, host, raw_exchange, read_reply

__all__ = ["host"]

PAN = PANS["pboc-sda"]


def _good() -> bytes:
    return frame(echo_test(TERMINAL, 77, 1))


def _purchase_frame() -> bytearray:
    msg = purchase(TERMINAL, 78, 1, 2500, CardData(pan=PAN, expiry="3012")).with_fields({64: b"12345678"})
    return bytearray(frame(msg))


def _still_serving(port: int) -> None:
    reply = raw_exchange(port, _good())
    assert reply is not None and reply.mti == "0830" and reply[39] == "00"


def _field_offset(wire: bytes, needle: bytes) -> int:
    at = wire.find(needle)
    assert at > 0
    return at


@pytest.fixture
def port(host: SimulatorThread, caplog: pytest.LogCaptureFixture) -> int:
    caplog.set_level(logging.DEBUG)
    assert host.port is not None
    return host.port


def _closed(port: int, wire: bytes) -> bool:
    return raw_exchange(port, wire) is None


def test_lying_length_longer_than_the_data_closes_after_the_frame_timeout(port: int) -> None:
    wire = _good()
    lying = (len(wire) - 2 + 20).to_bytes(2, "big") + wire[2:]
    started = time.monotonic()
    assert _closed(port, lying)
    assert time.monotonic() - started < 3
    _still_serving(port)


def test_lying_length_shorter_than_the_data_gets_30_then_a_close(port: int) -> None:
    wire = _purchase_frame()
    short = (len(wire) - 2 - 5).to_bytes(2, "big") + bytes(wire[2:])
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(short)
        reply = read_reply(sock)
        assert reply is not None and reply.mti == "0210" and reply[39] == "30"
        assert (reply[11], reply[41]) == ("000078", TERMINAL.tid)  # salvaged, so the terminal can match it
        assert read_reply(sock) is None  # the 5 leftover bytes are no frame
    _still_serving(port)


@pytest.mark.parametrize("prefix", [b"\xff\xff", b"\x08\x01", b"\x00\x05", b"\x00\x00"])
def test_length_prefix_out_of_range_closes(port: int, prefix: bytes) -> None:
    assert _closed(port, prefix + bytes(40))
    _still_serving(port)


def test_truncated_frame_closes(port: int) -> None:
    assert _closed(port, _good()[:-4])
    _still_serving(port)


def test_wrong_tpdu_closes(port: int) -> None:
    wire = bytearray(_good())
    wire[2] = 0x61
    assert _closed(port, bytes(wire))
    _still_serving(port)


def test_bad_bcd_in_the_header_closes(port: int) -> None:
    wire = bytearray(_good())
    wire[7] = 0x6A
    assert _closed(port, bytes(wire))
    _still_serving(port)


def test_bad_bcd_in_a_field_gets_30(port: int, caplog: pytest.LogCaptureFixture) -> None:
    wire = _purchase_frame()
    at = _field_offset(bytes(wire), bytes.fromhex("000000002500"))
    wire[at + 5] = 0x0A  # the amount's last byte: not BCD
    reply = raw_exchange(port, bytes(wire))
    assert reply is not None and reply[39] == "30" and reply[11] == "000078"
    assert "bad BCD" in caplog.text
    _still_serving(port)


def test_unknown_mti_closes(port: int) -> None:
    wire = bytearray(_good())
    wire[13:15] = b"\x03\x00"
    assert _closed(port, bytes(wire))
    _still_serving(port)


def test_a_reply_sent_to_the_host_closes(port: int) -> None:
    assert _closed(port, frame(Message("0830", {11: "000001", 39: "00"})))
    _still_serving(port)


def test_undefined_field_in_the_bitmap_gets_30(port: int) -> None:
    wire = bytearray(_purchase_frame())
    wire[15] |= 0x08  # bit 5: not defined by the CUP profile
    reply = raw_exchange(port, bytes(wire))
    assert reply is not None and reply.mti == "0210" and reply[39] == "30"
    _still_serving(port)


def test_other_connections_are_served_meanwhile(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as stuck:
        stuck.sendall(_good()[:10])  # half a frame, left hanging
        for _ in range(3):
            _still_serving(port)
    with socket.create_connection(("127.0.0.1", port), timeout=3) as pipelined:
        pipelined.sendall(_good() + _good())
        assert read_reply(pipelined) is not None and read_reply(pipelined) is not None


def test_no_pan_in_the_log(port: int, caplog: pytest.LogCaptureFixture) -> None:
    wire = _purchase_frame()
    wire[-12] = 0xAA  # corrupt something after the PAN
    raw_exchange(port, bytes(wire))
    raw_exchange(port, bytes(_purchase_frame()))  # decodes, fails its MAC (no session)
    assert PAN not in caplog.text
    assert caplog.records  # something was logged


def test_idle_connections_are_closed() -> None:
    from tests.unit.host.sim_support import host_config

    with SimulatorThread(config=host_config(idle_timeout_s=0.2), listen=True) as quick:
        assert quick.port is not None
        with socket.create_connection(("127.0.0.1", quick.port), timeout=3) as idle:
            started = time.monotonic()
            assert idle.recv(10) == b""  # closed by the host
            assert time.monotonic() - started < 2
        _still_serving(quick.port)
