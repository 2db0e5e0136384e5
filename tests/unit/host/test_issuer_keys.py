"""host.issuer derives the AC key with the card's master key cached: the same keys as emv.crypto.ac."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emv.cards.cvn import CARD_CRYPTOGRAMS
from emv.crypto.ac import derive_ac_key
from host.issuer import _ac_key


@pytest.mark.parametrize("name", sorted(CARD_CRYPTOGRAMS))
@given(
    imk=st.binary(min_size=16, max_size=16),
    pan=st.text("0123456789", min_size=12, max_size=19),
    psn=st.text("0123456789", min_size=2, max_size=2),
    atc=st.binary(min_size=2, max_size=2),
)
def test_cached_derivation_is_the_reference(name: str, imk: bytes, pan: str, psn: str, atc: bytes) -> None:
    version = CARD_CRYPTOGRAMS[name].version
    assert _ac_key(version, imk, pan, psn, atc) == derive_ac_key(version, imk, pan, psn, atc)
