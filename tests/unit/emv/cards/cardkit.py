"""Test helpers for the virtual cards: a tiny terminal side and an independent ODA chain check.

The chain check reads the CAPKs from config/defaults/capk_posemu_test.txt (checksum verified) and recovers
every certificate with emv.crypto.rsa.recover, checking each field as EMV 4.4 Book 2 sections 5 and 6 say.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from config.load import read_default_text
from emv import apdu
from emv.cards import VirtualCard, load_card
from emv.crypto.rsa import recover
from emv.dol import build_dol, parse_dol
from emv.tlv import decode, parse

UN = bytes.fromhex("A1B2C3D4")
TERMINAL: dict[int, bytes] = {
    0x9F02: bytes.fromhex("000000001000"),
    0x9F03: bytes(6),
    0x9F1A: bytes.fromhex("0156"),
    0x95: bytes(5),
    0x5F2A: bytes.fromhex("0156"),
    0x9A: bytes.fromhex("260315"),
    0x9C: b"\x00",
    0x9F37: UN,
    0x9F35: b"\x22",
    0x9F34: bytes.fromhex("1F0302"),
    0x9F7A: b"\x00",
    0x9F21: bytes.fromhex("101500"),
    0x9F4E: b"POSEMU SHOP",
}


def capks() -> dict[tuple[str, int], tuple[int, int]]:
    """(RID hex, index) -> (modulus, exponent) from the shipped posemu test CAPK file, checksums checked."""
    out = {}
    head: dict[str, str] = {}
    for line in read_default_text("capk_posemu_test.txt").splitlines():
        if line.startswith("RID="):
            head = dict(w.split("=", 1) for w in line.split() if "=" in w)
        elif line.startswith("MODULUS="):
            head["MODULUS"] = line[8:]
        elif line.startswith("SHA1="):
            rid, index, mod, exp = head["RID"], head["INDEX"], head["MODULUS"], head["EXP"]
            assert hashlib.sha1(bytes.fromhex(rid + index + mod + exp)).hexdigest().upper() == line[5:]
            assert len(mod) * 4 == int(head["BITS"])
            out[(rid, int(index, 16))] = (int(mod, 16), int(exp, 16))
    return out


@dataclass
class Exchange:
    """A terminal-side driver of one transaction against a card; ``sw`` is the last status word."""

    card: VirtualCard
    terminal: dict[int, bytes] = field(default_factory=lambda: dict(TERMINAL), repr=False)
    sw: int = 0
    pdol_data: bytes = b""
    cdol1_data: bytes = b""
    records: dict[tuple[int, int], bytes] = field(default_factory=dict, repr=False)

    def send(self, capdu: bytes) -> bytes:
        r = self.card.transmit(capdu)
        self.sw = int.from_bytes(r[-2:], "big")
        return r[:-2]

    def select(self) -> bytes:
        return self.send(apdu.select(self.card.image.profile.aid))

    def gpo(self) -> bytes:
        fci = parse(self.select())
        self.pdol_data = build_dol(parse_dol(fci.get(0x9F38, b"")), self.terminal)
        return self.send(apdu.gpo(self.pdol_data))

    def read_records(self) -> bytes:
        """Read the AFL; return the static data to be authenticated (Book 3, 10.3), as a kernel builds it."""
        afl = self.card.image.profile.afl
        static = bytearray()
        for i in range(0, len(afl), 4):
            sfi, first, last, oda = afl[i] >> 3, afl[i + 1], afl[i + 2], afl[i + 3]
            for rec in range(first, last + 1):
                data = self.send(apdu.read_record(rec, sfi))
                assert self.sw == 0x9000
                self.records[(sfi, rec)] = data
                if rec < first + oda:
                    node = decode(data).top()[0]
                    static += data if sfi > 10 else node.value
        tags = self.card_data().get(0x9F4A, b"")
        if tags == b"\x82":
            static += self.card.image.profile.aip
        return bytes(static)

    def card_data(self) -> dict[int, bytes]:
        out: dict[int, bytes] = {}
        for data in self.records.values():
            out.update(parse(data))
        return out

    def generate_ac(self, p1: int, second: bool = False) -> dict[int, bytes]:
        p = self.card.image.profile
        dol = p.cdol2_list if second else p.cdol1_list
        data = build_dol(dol, self.terminal)
        if not second:
            self.cdol1_data = data
        response = self.send(apdu.generate_ac(p1, data))
        if self.sw != 0x9000:
            return {}
        if response[0] == 0x80:
            body = parse(response)[0x80]
            return {0x9F27: body[:1], 0x9F36: body[1:3], 0x9F26: body[3:11], 0x9F10: body[11:]}
        return parse(response)

    def offline_pin(self, pin: str) -> int:
        block = bytes.fromhex(f"2{len(pin):X}{pin}".ljust(16, "F"))
        self.send(apdu.verify(block))
        return self.sw


def fixed_random(n: int) -> bytes:
    """A deterministic card random source: 01 02 03 ..."""
    return bytes(range(1, n + 1))


def start(name: str) -> Exchange:
    """A fresh card of ``name`` (deterministic random source) taken through SELECT, GPO and READ RECORD."""
    ex = Exchange(load_card(name, random_bytes=fixed_random))
    ex.gpo()
    assert ex.sw == 0x9000
    ex.read_records()
    return ex


@dataclass
class Chain:
    """What the ODA chain recovery found."""

    issuer_modulus: int
    issuer_exponent: int
    issuer_serial: bytes
    icc_modulus: int | None = None
    icc_exponent: int | None = None
    dac: bytes | None = None


def recover_chain(ex: Exchange, static: bytes) -> Chain:
    """Recover and check the issuer certificate, then the ICC certificate and/or the SSAD (Book 2, 5-6)."""
    data = ex.card_data()
    p = ex.card.image.profile
    n_ca, e_ca = capks()[(p.aid[:5].hex().upper(), data[0x8F][0])]
    cert = recover(data[0x90], n_ca, e_ca)
    n_ca_len = len(cert)
    assert cert[0] == 0x6A and cert[-1] == 0xBC and cert[1] == 0x02
    iin = cert[2:6].hex().upper().rstrip("F")
    assert p.pan.startswith(iin) and 3 <= len(iin) <= 8
    mm, yy = cert[6:8].hex()[:2], cert[6:8].hex()[2:]
    assert (int(yy), int(mm)) >= (26, 3)  # not expired in March 2026
    assert cert[11:13] == b"\x01\x01"
    n_i_len, e_i_len = cert[13], cert[14]
    leftmost = cert[15 : n_ca_len - 21]
    remainder, exponent = data.get(0x92, b""), data[0x9F32]
    assert len(exponent) == e_i_len
    assert cert[-21:-1] == hashlib.sha1(cert[1 : n_ca_len - 21] + remainder + exponent).digest()
    modulus = (leftmost + remainder)[:n_i_len]
    chain = Chain(int.from_bytes(modulus, "big"), int.from_bytes(exponent, "big"), cert[8:11])
    if 0x9F46 in data:
        icc = recover(data[0x9F46], chain.issuer_modulus, chain.issuer_exponent)
        assert icc[0] == 0x6A and icc[-1] == 0xBC and icc[1] == 0x04
        assert icc[2:12].hex().upper().rstrip("F") == p.pan
        n_ic_len, e_ic_len = icc[19], icc[20]
        icc_remainder, icc_exp = data.get(0x9F48, b""), data[0x9F47]
        assert len(icc_exp) == e_ic_len
        tail = icc_remainder + icc_exp + static
        assert icc[-21:-1] == hashlib.sha1(icc[1 : n_i_len - 21] + tail).digest()
        icc_modulus = (icc[21 : n_i_len - 21] + icc_remainder)[:n_ic_len]
        chain.icc_modulus, chain.icc_exponent = (
            int.from_bytes(icc_modulus, "big"),
            int.from_bytes(icc_exp, "big"),
        )
    if 0x93 in data:
        ssad = recover(data[0x93], chain.issuer_modulus, chain.issuer_exponent)
        assert ssad[:3] == b"\x6a\x03\x01" and ssad[-1] == 0xBC
        assert set(ssad[5 : n_i_len - 21]) == {0xBB}
        assert ssad[-21:-1] == hashlib.sha1(ssad[1 : n_i_len - 21] + static).digest()
        chain.dac = ssad[3:5]
    return chain


def recover_sdad(chain: Chain, sdad: bytes, hashed: bytes) -> bytes:
    """Recover and check a signed dynamic application data block; return the ICC dynamic data."""
    assert chain.icc_modulus is not None and chain.icc_exponent is not None
    x = recover(sdad, chain.icc_modulus, chain.icc_exponent)
    assert x[:3] == b"\x6a\x05\x01" and x[-1] == 0xBC
    ldd = x[3]
    assert set(x[4 + ldd : -21]) == {0xBB}
    assert x[-21:-1] == hashlib.sha1(x[1:-21] + hashed).digest()
    return x[4 : 4 + ldd]
