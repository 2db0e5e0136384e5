"""host.mac.CupEcbMac (the host's keyed fast path) against host.mac.cup_ecb_mac and a byte-wise fold."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emv.crypto import des
from emv.crypto.errors import KeyLengthError
from host.mac import CupEcbMac, cup_ecb_mac


def _by_bytes(mak: bytes, mab: bytes) -> bytes:
    padded = mab + bytes(-len(mab) % 8)
    block = bytes(8)
    for i in range(0, len(padded), 8):
        block = bytes(a ^ b for a, b in zip(block, padded[i : i + 8], strict=True))
    hexed = block.hex().upper().encode()
    first = des.encrypt_ecb(mak, hexed[:8])
    return (
        des.encrypt_ecb(mak, bytes(a ^ b for a, b in zip(first, hexed[8:], strict=True)))
        .hex()
        .upper()
        .encode()[:8]
    )


@given(
    st.sampled_from([8, 16, 24]).flatmap(lambda n: st.binary(min_size=n, max_size=n)), st.binary(max_size=300)
)
def test_keyed_mac_equals_the_function(mak: bytes, mab: bytes) -> None:
    assert CupEcbMac(mak).mac(mab) == cup_ecb_mac(mak, mab) == _by_bytes(mak, mab)


def test_keyed_mac_is_reusable_and_checks_the_key() -> None:
    key = CupEcbMac(bytes(range(16)))
    assert key.mac(b"abc") == key.mac(b"abc") == cup_ecb_mac(bytes(range(16)), b"abc")
    with pytest.raises(KeyLengthError):
        CupEcbMac(bytes(7))
