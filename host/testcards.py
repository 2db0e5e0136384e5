"""ICC data as a virtual card would send it online, computed straight from its profile's keys: field 55
of an authorisation request with a real ARQC (EMV 4.4 Book 2, 8.1; the data elements of the card's
cryptogram version, :mod:`emv.crypto.ac`), without running the kernel. For the load generator and tests
that need many valid cryptograms quickly; the end-to-end test runs the real kernel and card instead.

TEST DATA ONLY: the keys are the virtual cards' test keys.

>>> card = TestCard.from_profile("pboc-sda")
>>> from emv import tlv
>>> icc = tlv.parse(card.icc(2500, atc=0x0030, un=bytes(4)))
>>> icc[0x9F02].hex(), icc[0x9F36].hex(), len(icc[0x9F26])
('000000002500', '0030', 8)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from emv import tlv
from emv.cards.cvn import AcType, CardCryptogram, CvrFacts
from emv.crypto.ac import derive_ac_key, generate_cryptogram

__all__ = ["TestCard"]


@dataclass(frozen=True)
class TestCard:
    """The online-relevant data of one card profile: PAN, PSN, PIN, expiry, cryptogram version, IMK-AC."""

    __test__ = False  # not a pytest test class

    name: str
    pan: str = field(repr=False)
    psn: str
    pin: str = field(repr=False)
    expiry: str  # YYMM
    cryptogram: CardCryptogram
    imk_ac: bytes = field(repr=False)
    dki: int = 1
    aip: bytes = b"\x39\x00"

    @classmethod
    def from_profile(cls, name: str) -> TestCard:
        """Raises: ProfileError: no such profile."""
        from emv.cards import load_profile

        p = load_profile(name)
        return cls(name, p.pan, p.psn, p.pin, p.expiry.strftime("%y%m"), p.cryptogram, p.imk_ac, p.dki, p.aip)

    def icc(self, amount_fen: int, *, atc: int, un: bytes, when: dt.date | None = None) -> bytes:
        """Field 55 of a request for ``amount_fen``: the CDOL1 data and the ARQC over it.

        Raises:
            CryptoError: an ATC outside 0..FFFF or an unpredictable number not 4 bytes.
        """
        day = when or dt.date.today()
        data = {
            0x9F02: bytes.fromhex(f"{amount_fen:012d}"),
            0x9F03: bytes(6),
            0x9F1A: b"\x01\x56",
            0x95: bytes(5),
            0x5F2A: b"\x01\x56",
            0x9A: bytes.fromhex(day.strftime("%y%m%d")),
            0x9C: b"\x00",
            0x9F37: un,
            0x82: self.aip,
            0x9F36: atc.to_bytes(2, "big"),
            0x9F10: self.cryptogram.build_iad(self.dki, CvrFacts(first_ac=AcType.ARQC)),
        }
        version = self.cryptogram.version
        key = derive_ac_key(version, self.imk_ac, self.pan, self.psn, data[0x9F36])
        arqc = generate_cryptogram(version, key, data)
        items = [(0x9F26, arqc), (0x9F27, b"\x80"), *data.items(), (0x9F33, bytes.fromhex("E0F8C8"))]
        return tlv.encode(items)
