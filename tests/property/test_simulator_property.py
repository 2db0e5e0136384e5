"""Hypothesis fuzzes the host simulator's frame handling: random and mutated frames get replies or a closed
connection, never a hang, and the server still answers a good request afterwards."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host.framing import PREFIX_SIZE, frame, unframe
from host.requests import CardData, echo_test, purchase, sign_on
from host.runner import SimulatorThread
from tests.unit.host.sim_support import TERMINAL, host_config

GOOD = [
    frame(echo_test(TERMINAL, 1, 1)),
    frame(sign_on(TERMINAL, 2)),
    frame(
        purchase(
            TERMINAL,
            3,
            1,
            2500,
            CardData(pan="6224242900000113", icc=bytes.fromhex("9F360200019F2701 80".replace(" ", ""))),
        ).with_fields({64: b"ABCDEFGH"})
    ),
]


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with SimulatorThread(config=host_config(frame_timeout_s=0.1), listen=True) as running:
        assert running.port is not None
        yield running.port


def _replies(data: bytes) -> list[str]:
    """Split what the host sent into frames and decode each; every one must be a valid reply."""
    out, i = [], 0
    while i < len(data):
        length = int.from_bytes(data[i : i + PREFIX_SIZE], "big")
        msg = unframe(data[i : i + PREFIX_SIZE + length])
        assert msg.mti[2] in "13", msg.mti
        out.append(msg.mti)
        i += PREFIX_SIZE + length
    return out


def _send(port: int, wire: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=3.0) as sock:
        sock.sendall(wire)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while True:
            chunk = sock.recv(4096)  # a hang raises TimeoutError: the test fails
            if not chunk:
                return received
            received += chunk


def _mutate(base: bytes, edits: list[tuple[int, int]], cut: int | None, tail: bytes) -> bytes:
    data = bytearray(base)
    for at, value in edits:
        data[at % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    return bytes(data) + tail


fuzz = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(st.binary(max_size=300))
def test_random_bytes(port: int, data: bytes) -> None:
    _replies(_send(port, data))
    assert _replies(_send(port, GOOD[0])) == ["0830"]


@fuzz
@given(
    st.sampled_from(GOOD),
    st.lists(st.tuples(st.integers(0, 500), st.integers(0, 255)), max_size=6),
    st.one_of(st.none(), st.integers(0, 500)),
    st.binary(max_size=20),
)
def test_mutated_frames(
    port: int, base: bytes, edits: list[tuple[int, int]], cut: int | None, tail: bytes
) -> None:
    _replies(_send(port, _mutate(base, edits, cut, tail)))
    assert _replies(_send(port, GOOD[0])) == ["0830"]
