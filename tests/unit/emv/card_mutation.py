"""Mutations of card responses for the kernels' property tests: one response of a run is flipped at a
byte, truncated, given another status word, emptied or replaced by junk; every kernel must still end in an
outcome (STYLE.md: bad input gets a typed error, never an exception out of the kernel)."""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["mutate", "mutations"]

KINDS = ["flip", "truncate", "sw", "empty", "garbage"]


def mutations(responses: int, junk: int) -> st.SearchStrategy[tuple[int, str, int, int, bytes]]:
    """(which response of the first ``responses``, kind, position, byte, junk of up to ``junk`` bytes)."""
    return st.tuples(
        st.integers(0, responses),
        st.sampled_from(KINDS),
        st.integers(0, 400),
        st.integers(0, 255),
        st.binary(max_size=junk),
    )


def mutate(rapdu: bytes, kind: str, pos: int, byte: int, junk: bytes) -> bytes:
    """The response after one mutation of :func:`mutations`."""
    if kind == "flip" and rapdu:
        p = pos % len(rapdu)
        return rapdu[:p] + bytes((byte,)) + rapdu[p + 1 :]
    if kind == "truncate":
        return rapdu[: pos % (len(rapdu) + 1)]
    if kind == "sw":
        return rapdu[:-2] + bytes((byte, pos & 0xFF))
    if kind == "empty":
        return b""
    return junk
