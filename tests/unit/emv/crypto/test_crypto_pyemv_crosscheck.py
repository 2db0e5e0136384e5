"""Cross-check emv.crypto against pyemv 1.5.0 (a test-only peer) on random inputs with hypothesis.

pyemv still imports TripleDES from its deprecated location and passes 8- and 16-byte keys, so its
CryptographyDeprecationWarnings are silenced here; emv.crypto itself raises none.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyemv import ac as pyemv_ac
from pyemv import cvn as pyemv_cvn
from pyemv import kd as pyemv_kd
from pyemv import mac as pyemv_mac
from pyemv import tools

from emv.crypto import ac, kd, mac
from emv.crypto.mac import Padding

pytestmark = pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")

EXAMPLES = settings(max_examples=40, deadline=None)

keys16 = st.binary(min_size=16, max_size=16)
pans = st.text(alphabet="0123456789", min_size=8, max_size=19)
psns = st.text(alphabet="0123456789", min_size=2, max_size=2)
paddings = st.sampled_from(
    [(Padding.METHOD_1, pyemv_ac.PaddingType.VISA), (Padding.METHOD_2, pyemv_ac.PaddingType.EMV)]
)


@given(imk=keys16, pan=pans, psn=psns)
@EXAMPLES
def test_master_keys(imk: bytes, pan: str, psn: str) -> None:
    assert kd.derive_icc_mk_a(imk, pan, psn) == pyemv_kd.derive_icc_mk_a(imk, pan, psn)
    assert kd.derive_icc_mk_b(imk, pan, psn) == pyemv_kd.derive_icc_mk_b(imk, pan, psn)


@given(mk=keys16, r=st.binary(min_size=8, max_size=8))
@EXAMPLES
def test_common_session_key(mk: bytes, r: bytes) -> None:
    assert kd.derive_common_sk(mk, r) == pyemv_kd.derive_common_sk(mk, r)


@given(key=keys16, data=st.binary(max_size=80), method=st.sampled_from([1, 2]), length=st.integers(4, 8))
@EXAMPLES
def test_retail_mac(key: bytes, data: bytes, method: int, length: int) -> None:
    ours = mac.generate_retail_mac(key, data, Padding(method), length)
    assert ours == pyemv_mac.mac_iso9797_3(key[:8], key[8:], data, method, length)


@given(sk=keys16, data=st.binary(max_size=80), padding=paddings)
@EXAMPLES
def test_generate_ac(sk: bytes, data: bytes, padding: tuple[Padding, pyemv_ac.PaddingType]) -> None:
    assert ac.generate_ac(sk, data, padding[0]) == pyemv_ac.generate_ac(sk, data, padding[1])


@given(
    sk=keys16,
    arqc=st.binary(min_size=8, max_size=8),
    arc=st.binary(min_size=2, max_size=2),
    csu=st.binary(min_size=4, max_size=4),
    pad=st.binary(max_size=8),
)
@EXAMPLES
def test_arpc_methods(sk: bytes, arqc: bytes, arc: bytes, csu: bytes, pad: bytes) -> None:
    arpc1 = ac.generate_arpc_1(sk, arqc, arc)
    assert arpc1 == pyemv_ac.generate_arpc_1(sk, arqc, arc)
    assert ac.verify_arpc_1(sk, arqc, arc, arpc1)
    arpc2 = ac.generate_arpc_2(sk, arqc, csu, pad)
    assert arpc2 == pyemv_ac.generate_arpc_2(sk, arqc, csu, pad)
    assert ac.verify_arpc_2(sk, arqc, csu, arpc2, pad)


TAG_LENGTHS = {
    0x9F02: 6,
    0x9F03: 6,
    0x9F1A: 2,
    0x95: 5,
    0x5F2A: 2,
    0x9A: 3,
    0x9C: 1,
    0x9F37: 4,
    0x82: 2,
    0x9F36: 2,
}


@st.composite
def elements(draw: st.DrawFn) -> dict[int, bytes]:
    out = {tag: draw(st.binary(min_size=n, max_size=n)) for tag, n in TAG_LENGTHS.items()}
    out[0x9F10] = draw(st.binary(min_size=7, max_size=32))
    return out


def _args(data: dict[int, bytes]) -> dict[str, bytes]:
    return {f"tag_{tag:x}": data[tag] for tag in TAG_LENGTHS}


@given(imk=keys16, pan=pans, psn=psns, data=elements(), arc=st.binary(min_size=2, max_size=2))
@EXAMPLES
def test_visa_cvn10(imk: bytes, pan: str, psn: str, data: dict[int, bytes], arc: bytes) -> None:
    card = pyemv_cvn.VisaCVN10(imk, imk, imk, pan, psn)
    key = ac.derive_ac_key(ac.VISA_CVN10, imk, pan, psn, data[0x9F36])
    arqc = ac.generate_cryptogram(ac.VISA_CVN10, key, data)
    assert arqc == card.generate_ac(cvr=data[0x9F10][3:7], **_args(data))
    assert ac.generate_arpc(ac.VISA_CVN10, key, arqc, arc) == card.generate_arpc(arqc, arc)


@given(
    imk=keys16,
    pan=pans,
    psn=psns,
    data=elements(),
    csu=st.binary(min_size=4, max_size=4),
    pad=st.binary(max_size=8),
)
@EXAMPLES
def test_visa_cvn18(imk: bytes, pan: str, psn: str, data: dict[int, bytes], csu: bytes, pad: bytes) -> None:
    card = pyemv_cvn.VisaCVN18(imk, imk, imk, pan, psn)
    key = ac.derive_ac_key(ac.VISA_CVN18, imk, pan, psn, data[0x9F36])
    arqc = ac.generate_cryptogram(ac.VISA_CVN18, key, data)
    assert arqc == card.generate_ac(tag_9f10=data[0x9F10], **_args(data))
    assert ac.verify_cryptogram(ac.VISA_CVN18, key, data, arqc)
    expected = card.generate_arpc(arqc, data[0x9F36], csu, pad or None)
    assert ac.generate_arpc(ac.VISA_CVN18, key, arqc, csu, pad) == expected


@given(imk=keys16, pan=pans, psn=psns, data=elements(), arc=st.binary(min_size=2, max_size=2))
@EXAMPLES
def test_pboc_composed_from_pyemv_primitives(
    imk: bytes, pan: str, psn: str, data: dict[int, bytes], arc: bytes
) -> None:
    # pyemv has no PBOC class: compose option A, the PBOC session key, 80-padding, ARPC method 1.
    atc = data[0x9F36]
    mk = pyemv_kd.derive_icc_mk_a(imk, pan, psn)
    sk = tools.adjust_key_parity(
        tools.encrypt_tdes_ecb(mk, bytes(6) + atc + bytes(6) + tools.xor(atc, b"\xff\xff"))
    )
    covered = b"".join(data[tag] for tag in TAG_LENGTHS) + data[0x9F10][3:7]
    key = ac.derive_ac_key(ac.PBOC_CVN01, imk, pan, psn, data[0x9F36])
    assert key == sk
    arqc = ac.generate_cryptogram(ac.PBOC_CVN01, key, data)
    assert arqc == pyemv_ac.generate_ac(sk, covered, pyemv_ac.PaddingType.EMV)
    assert ac.generate_arpc(ac.PBOC_CVN01, key, arqc, arc) == pyemv_ac.generate_arpc_1(sk, arqc, arc)
