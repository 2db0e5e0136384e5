"""A seeded corpus of realistic EMV card data for the TLV benchmark and tests.

Every sample is built from a tree, so the expected decode is known exactly: FCIs with nested templates and
repeated ``61`` directory entries, GPO responses in formats 1 and 2, records carrying 176-248-byte
certificates (``81`` and ``82`` length forms), GENERATE AC responses, 2- and 3-byte tags (``9Fxx``,
``DF8101``, the constructed ``FF8101``), issuer script templates, and whole card dumps (every response of
one transaction in one buffer). A few samples have ``00`` padding between objects as Book 3 Annex B
allows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from emv.tlv import Tree, encode_length, encode_tag


@dataclass(frozen=True)
class Sample:
    """One buffer and the tree it must decode to."""

    kind: str
    data: bytes
    tree: Tree


def _encode(tree: Tree, rng: random.Random | None) -> bytes:
    # Encode like emv.tlv.encode, optionally inserting 00 padding before some objects.
    out = bytearray()
    for tag, value in tree:
        if rng is not None and rng.random() < 0.15:
            out += bytes(rng.randint(1, 3))
        body = value if isinstance(value, bytes) else _encode(value, rng)
        out += encode_tag(tag) + encode_length(len(body)) + body
    return bytes(out)


class _Maker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def b(self, n: int) -> bytes:
        return self.rng.randbytes(n)

    def bcd(self, digits: int) -> bytes:
        s = "".join(str(self.rng.randrange(10)) for _ in range(digits))
        return bytes.fromhex(s + "0" * (digits % 2))

    def pan(self) -> bytes:
        return bytes.fromhex("62" + "".join(str(self.rng.randrange(10)) for _ in range(14)))

    def label(self) -> bytes:
        return self.rng.choice([b"PBOC DEBIT", b"VISA DEBIT", b"MASTERCARD", b"UnionPay Credit", b"QUASI CR"])

    def aid(self) -> bytes:
        return self.rng.choice(
            [
                bytes.fromhex("A000000333010101"),
                bytes.fromhex("A000000333010102"),
                bytes.fromhex("A0000000031010"),
                bytes.fromhex("A0000000041010"),
            ]
        )

    def ppse(self) -> Tree:
        entries: Tree = []
        for prio in range(1, self.rng.randint(2, 5)):
            entry: Tree = [(0x4F, self.aid()), (0x50, self.label()), (0x87, bytes([prio]))]
            if self.rng.random() < 0.7:
                entry.append((0x9F2A, b"\x03"))
            entries.append((0x61, entry))
        return [(0x6F, [(0x84, b"2PAY.SYS.DDF01"), (0xA5, [(0xBF0C, entries)])])]

    def select_aid(self) -> Tree:
        pdol = bytes.fromhex("9F66049F02069F03069F1A0295055F2A029A039C019F3704")
        return [
            (
                0x6F,
                [
                    (0x84, self.aid()),
                    (
                        0xA5,
                        [
                            (0x50, self.label()),
                            (0x87, b"\x01"),
                            (0x9F38, pdol),
                            (0x5F2D, b"zhen"),
                            (0x9F11, b"\x01"),
                            (0xBF0C, [(0x9F4D, b"\x0b\x0a"), (0xDF61, b"\x01")]),
                        ],
                    ),
                ],
            )
        ]

    def gpo1(self) -> Tree:
        afl = b"".join(bytes([sfi << 3, 1, self.rng.randint(1, 4), 1]) for sfi in (1, 2, 3))
        return [(0x80, self.b(2) + afl)]

    def gpo2(self) -> Tree:
        return [
            (
                0x77,
                [
                    (0x82, b"\x7c\x00"),
                    (0x94, bytes.fromhex("0801010010010301")),
                    (0x9F36, self.b(2)),
                    (0x9F26, self.b(8)),
                    (0x9F27, b"\x80"),
                    (0x9F10, self.b(19)),
                    (0x57, self.pan() + b"\xd2\x80\x62\x01\x39\x49\x03\x10\x13\x1f"),
                    (0x5F34, b"\x01"),
                    (0x9F4B, self.b(self.rng.choice((128, 144, 176)))),
                    (0x9F6C, b"\x00\x80"),
                    (0x9F5D, self.b(6)),
                ],
            )
        ]

    def record(self) -> Tree:
        cert_len = self.rng.randint(176, 248)
        inner: Tree = [
            (0x90, self.b(cert_len)),
            (0x8F, b"\x08"),
            (0x9F32, b"\x03"),
            (0x92, self.b(self.rng.randint(20, 40))),
        ]
        if self.rng.random() < 0.6:  # an ICC certificate too: the record needs the 82 length form
            inner += [(0x9F46, self.b(self.rng.randint(176, 248))), (0x9F47, b"\x03"), (0x9F48, self.b(10))]
        return [(0x70, inner)]

    def record_app(self) -> Tree:
        return [
            (
                0x70,
                [
                    (0x5A, self.pan()),
                    (0x5F24, self.bcd(6)),
                    (0x5F25, self.bcd(6)),
                    (0x5F28, b"\x01\x56"),
                    (0x5F34, b"\x01"),
                    (0x9F07, b"\xff\x00"),
                    (0x8C, bytes.fromhex("9F02069F03069F1A0295055F2A029A039C019F37049F21038A02")),
                    (0x8D, bytes.fromhex("910A8A0295059F3704")),
                    (0x8E, bytes.fromhex("000000000000000042031E031F00")),
                    (0x9F0D, self.b(5)),
                    (0x9F0E, self.b(5)),
                    (0x9F0F, self.b(5)),
                    (0x9F08, b"\x00\x30"),
                    (0x9F4A, b"\x82"),
                ],
            )
        ]

    def genac(self) -> Tree:
        if self.rng.random() < 0.3:  # format 1
            return [(0x80, b"\x80" + self.b(2) + self.b(8) + self.b(7))]
        body: Tree = [(0x9F27, b"\x80"), (0x9F36, self.b(2)), (0x9F26, self.b(8)), (0x9F10, self.b(32))]
        if self.rng.random() < 0.4:  # CDA: the signed dynamic data
            body.append((0x9F4B, self.b(self.rng.choice((128, 176, 248)))))
        return [(0x77, body)]

    def contactless(self) -> Tree:
        return [
            (
                0xFF8101,
                [(0xDF8101, self.b(3)), (0xDF8102, self.b(8)), (0xFF8106, [(0xDF8115, self.b(6))])],
            ),
            (0xDF8129, self.b(8)),
        ]

    def scripts(self) -> Tree:
        out: Tree = [(0x91, self.b(10))]
        for tag in (0x71, 0x71, 0x72, 0x72):
            out.append((tag, [(0x9F18, self.b(4)), (0x86, self.b(13)), (0x86, self.b(21))]))
        return out

    def dump(self) -> Tree:
        tree: Tree = []
        for part in (
            self.ppse,
            self.select_aid,
            self.gpo1,
            self.record_app,
            self.record,
            self.record,
            self.genac,
        ):
            tree += part()
        return tree


_KINDS = ("ppse", "select_aid", "gpo1", "gpo2", "record", "record_app", "genac", "contactless", "scripts")


def build_corpus(seed: int = 8583, copies: int = 12) -> list[Sample]:
    """The benchmark corpus: ``copies`` samples of each kind plus whole card dumps, deterministic per seed."""
    maker = _Maker(seed)
    pad_rng = random.Random(seed + 1)
    samples: list[Sample] = []
    for _ in range(copies):
        for kind in (*_KINDS, "dump"):
            tree = getattr(maker, kind)()
            padded = kind in ("record", "dump") and maker.rng.random() < 0.25
            samples.append(Sample(kind, _encode(tree, pad_rng if padded else None), tree))
    return samples


def count_objects(tree: Tree) -> int:
    """Objects in a tree, templates and primitives at every depth."""
    return sum(1 + (0 if isinstance(v, bytes) else count_objects(v)) for _, v in tree)
